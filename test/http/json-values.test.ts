import { describe, expect, it } from 'vitest';
import { jsonBodyExceeds, MAX_JSON_OBJECT_MEMBERS } from '../../src/http/json-values.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('JSON body limits counted before parsing', () => {
  it('counts values outside strings only, escapes included', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ externalId: `u${i}`, name: 'a, b [c] {d}', note: 'say \\"x, y\\"' }));
    const body = bytes(JSON.stringify({ query: '{ a }', variables: { input: rows } }));
    // 2,000 rows × 4 values (object + 3 members) + the envelope: about 8,000.
    expect(jsonBodyExceeds(body, 8_100)).toBeNull();
    expect(jsonBodyExceeds(body, 7_900)).toBe('values');
  });

  it('refuses one object of more members than MAX_JSON_OBJECT_MEMBERS, whatever the values limit', () => {
    const members = (n: number) => `{"query":"{ a }","variables":{${Array.from({ length: n }, (_, i) => `"v${i}":0`).join(',')}}}`;
    expect(jsonBodyExceeds(bytes(members(MAX_JSON_OBJECT_MEMBERS)), 0)).toBeNull();
    expect(jsonBodyExceeds(bytes(members(MAX_JSON_OBJECT_MEMBERS + 1)), 0)).toBe('members');
    // The same number of values spread over small objects is fine.
    const small = `[${Array.from({ length: MAX_JSON_OBJECT_MEMBERS }, () => '{"a":1,"b":2}').join(',')}]`;
    expect(jsonBodyExceeds(bytes(small), 0)).toBeNull();
  });

  it('ends a string at a quote after an escaped backslash, and not at an escaped quote', () => {
    // Strings ending in a backslash, and strings holding quotes: the structure after them still counts.
    const rows = Array.from({ length: 3000 }, (_, i) => ({ a: `ends in a backslash ${i}\\`, b: 'has "quotes", [and] {braces}' }));
    const body = bytes(JSON.stringify(rows));
    // 3,000 objects × 3 values (object + 2 members) + the array: 9,001.
    expect(jsonBodyExceeds(body, 9_001)).toBeNull();
    expect(jsonBodyExceeds(body, 9_000)).toBe('values');
  });

  it('leaves short bodies alone', () => {
    expect(jsonBodyExceeds(bytes('{"query":"{ serviceInfo { version } }"}'), 5)).toBeNull();
  });
});
