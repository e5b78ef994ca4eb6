import { describe, it, expect } from 'vitest';
import { tokenize, words, displayFeature } from '../../../src/ml/text/tokenizer.js';
import { detectLanguage } from '../../../src/ml/text/language.js';

describe('tokenize', () => {
  it('segments Chinese into jieba words, bigrams and char 1–3-grams', () => {
    const t = tokenize('这家店很好吃');
    expect(t).toContain('w:好吃');
    expect(t).toContain('b:很 好吃');
    expect(t).toContain('c:好');
    expect(t).toContain('c:好吃');
    expect(t).toContain('c:很好吃');
    expect(t.some((f) => f.startsWith('c:') && [...f.slice(2)].length > 3)).toBe(false);
  });

  it("lower-cases and normalises English, expands n't and marks the negation scope", () => {
    const t = tokenize("The food WASN'T very good.");
    expect(t).toContain('w:food');
    expect(t).toContain('w:not');
    expect(t).toContain('b:not very');
    expect(t).toContain('n:good'); // inside the negation scope
    expect(t).not.toContain('w:Food');
    // the full stop closes the scope
    expect(tokenize("It isn't bad. Good.")).not.toContain('n:good');
  });

  it('handles mixed zh/en text without gluing scripts together', () => {
    expect(words('iPhone手机很好用').slice(0, 2)).toEqual(['iphone', '手机']);
    const t = tokenize('iPhone手机很好用');
    expect(t).toContain('w:iphone');
    expect(t).toContain('b:iphone 手机');
    expect(t).toContain('s:<ip'); // Latin sub-word grams
  });

  it('keeps emoji and sentiment punctuation as tokens', () => {
    const w = words('太棒了👍👍!!! 真的吗? 好吧！');
    expect(w).toContain('👍');
    expect(w).toContain('!!!');
    expect(w).toContain('?');
    expect(w).toContain('!'); // full-width ！ is NFKC-normalised
    expect(words('wow!!!!!')).toEqual(['wow', '!!!']); // long runs collapse
    expect(words('really?!')).toEqual(['really', '?!']);
  });

  it('returns nothing for empty or symbol-only input', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize('   \n\t ')).toEqual([]);
    expect(tokenize('，。、')).toEqual([]);
  });

  it('bounds the work on very long input', () => {
    const long = '好吃不贵，送餐很快 good value for money! '.repeat(4000); // ~116k chars
    expect(long.length).toBeGreaterThan(100_000);
    const t0 = performance.now();
    const t = tokenize(long);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(t.length).toBeLessThanOrEqual(1500);
    expect(tokenize(long, { maxTokens: 100 })).toHaveLength(100);
  });

  it('does not split a surrogate pair at the maxChars cut', () => {
    const t = tokenize('a😀', { maxChars: 2 });
    expect(t.every((f) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(f))).toBe(true);
  });

  it('displays features without their namespace', () => {
    expect(displayFeature('w:好吃')).toBe('好吃');
    expect(displayFeature('b:not good')).toBe('not good');
    expect(displayFeature('n:good')).toBe('not_good');
  });
});

describe('detectLanguage', () => {
  it('classifies by script ratio', () => {
    expect(detectLanguage('这家店的外卖很好吃')).toBe('zh');
    expect(detectLanguage('The delivery was fast and the food was great')).toBe('en');
    expect(detectLanguage('iPhone 手机很好用')).toBe('mixed');
    expect(detectLanguage('这个app真的很好用，推荐')).toBe('zh');
    expect(detectLanguage('I love 北京 so much, the food is amazing')).toBe('en');
    expect(detectLanguage('')).toBe('und');
    expect(detectLanguage('😀👍 123 !!!')).toBe('und');
  });
});
