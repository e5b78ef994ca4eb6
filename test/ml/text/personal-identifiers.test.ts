import { describe, expect, it } from 'vitest';
import { findPersonalIdentifiers, hasPersonalIdentifier, redactPersonalIdentifiers, tokenize, words } from '../../../src/ml/text/index.js';
import { trainTextClassifier, loadTextClassifier } from '../../../src/ml/classifier/index.js';
import { decodeArtifact } from '../../../src/ml/classifier/artifact.js';
import { plantedCorpus } from '../classifier/planted.js';

const kinds = (text: string) => findPersonalIdentifiers(text).map((m) => [m.kind, text.slice(m.start, m.end)]);

describe('findPersonalIdentifiers: true positives', () => {
  it.each([
    ['li.wei@example.com', 'email'],
    ['Ann.Lee+tea@mail.example.co.uk', 'email'],
    ['13812345678@qq.com', 'email'],
    ['13812345678', 'phone'],
    ['138 1234 5678', 'phone'],
    ['138-1234-5678', 'phone'],
    ['+86 138 1234 5678', 'phone'],
    ['+8613812345678', 'phone'],
    ['0086 13812345678', 'phone'],
    ['１３８１２３４５６７８', 'phone'],
    ['+44 20 7946 0958', 'phone'],
    ['+1 (555) 123-4567', 'phone'],
    ['+49 30 901820', 'phone'],
    ['(555) 123-4567', 'phone'],
    ['555-123-4567', 'phone'],
    ['010-12345678', 'phone'],
    ['(0755) 1234567', 'phone'],
    ['11010519491231002X', 'id-number'],
    ['11010519491231002x', 'id-number'],
    ['440308199901011234', 'id-number'],
  ])('finds %s as %s, alone and inside Chinese and English text', (identifier, kind) => {
    expect(kinds(identifier)).toEqual([[kind, identifier]]);
    expect(kinds(`请联系${identifier}谢谢`)).toEqual([[kind, identifier]]);
    expect(kinds(`Contact: ${identifier}, thanks.`)).toEqual([[kind, identifier]]);
    expect(kinds(`(${identifier})`)).toEqual([[kind, identifier]]);
  });

  it('replaces each by its placeholder, keeping the rest of the text', () => {
    expect(redactPersonalIdentifiers('快递太慢了，我的电话13812345678，邮箱li.wei@example.com，身份证11010519491231002X。')).toBe(
      '快递太慢了，我的电话[phone]，邮箱[email]，身份证[id-number]。',
    );
    expect(redactPersonalIdentifiers('Call +44 20 7946 0958 or (555) 123-4567; mail ann@example.com.')).toBe('Call [phone] or [phone]; mail [email].');
    expect(redactPersonalIdentifiers('no identifiers here')).toBe('no identifiers here');
    expect(redactPersonalIdentifiers('')).toBe('');
  });
});

describe('findPersonalIdentifiers: no false positives on ordinary numbers', () => {
  it.each([
    'Price ¥1299.00, was $19.99, now 1,234,567 units sold',
    'Delivered 2026-11-29 at 10:20, ordered on 2026/11/28, 29.11.2026',
    'ordered 3 times, 12 items, 5 stars, +20% off, 100% cotton, 2x faster',
    'order #20261129001, SKU 12345678, 订单号 202611291234567890',
    'ISBN 978-3-16-148410-0, version v1.2.3, model X200-5000, 3.1415926535',
    'a 1381234567 ten-digit and a 138123456789 twelve-digit number',
    'id-like but an invalid date 110105199913310021 and 110105194902300021',
    'batch 2026-1129-0001 and totals 100 200 3000 and +1000000 points',
    'user@localhost, @handle, a@b, email me',
    '我买了3件，花了299元，2026年11月29日到货，评分5分',
  ])('leaves "%s" alone', (text) => {
    expect(findPersonalIdentifiers(text)).toEqual([]);
    expect(hasPersonalIdentifier(text)).toBe(false);
  });

  it('stays fast on hostile input (no backtracking blow-up)', () => {
    for (const text of ['+1 '.repeat(3000), '1'.repeat(8000), `${'a'.repeat(8000)}@`, `+${'1-'.repeat(4000)}`, `${'a.'.repeat(4000)}@b`]) {
      expect(Array.isArray(findPersonalIdentifiers(text))).toBe(true);
    }
  });
});

describe('the tokenizer replaces identifiers by placeholder tokens', () => {
  it('emits [email], [phone], [id-number] words and no piece of the identifier', () => {
    const text = 'Courier late again, call 13812345678 or mail li.wei@example.com, ID 11010519491231002X';
    expect(words(text)).toEqual(['courier', 'late', 'again', 'call', '[phone]', 'or', 'mail', '[email]', 'id', '[id-number]']);
    const features = tokenize(text).join(' ');
    expect(features).not.toMatch(/1381|5678|li\.wei|wei|example|1101|002x/);
    expect(tokenize('快递电话13812345678').join(' ')).not.toMatch(/138|5678/);
  });

  it('finds an identifier that crosses the maxChars cut', () => {
    const text = `${'a '.repeat(40)}li.wei@example.com`;
    expect(tokenize(text, { maxChars: 85 }).join(' ')).not.toMatch(/li|wei|exam/);
  });
});

describe('a classifier trained on texts with identifiers', () => {
  it('stores no email, phone or ID number in its vocabulary or explanations', async () => {
    const corpus = plantedCorpus(40, 3).map((example, index) => ({
      label: example.label,
      text:
        index % 3 === 0
          ? `${example.text} call me 1381234${String(5600 + (index % 7)).padStart(4, '0')}`
          : index % 3 === 1
            ? `${example.text} mail customer${index % 5}@example.com`
            : `${example.text} +44 20 7946 09${String(index % 10).padStart(2, '0')} id 11010519491231002X`,
    }));
    const result = await trainTextClassifier(corpus, { seed: 7, epochs: 4, minDf: 1 });
    const { header } = decodeArtifact<{ features: string[] }>(result.artifact);
    expect(header.features).toContain('w:[phone]');
    expect(header.features).toContain('w:[email]');
    const leaked = header.features.filter((feature) => /@|example|customer|1381|7946|1101|\d{4}/.test(feature));
    expect(leaked).toEqual([]);
    const classifier = await loadTextClassifier(result.artifact);
    const predictions = classifier.predict(['courier ann@example.com 13812345678', '快递 li.wei@example.com +86 138 1234 5678']);
    for (const prediction of predictions) {
      for (const { token } of prediction.explanation) expect(token).not.toMatch(/@|example|ann|li\.wei|138|5678/);
    }
    classifier.dispose();
  });
});
