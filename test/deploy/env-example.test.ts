import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.ts';

// .env.example lists every variable the configuration schema reads, with its real default.
const ROOT = path.resolve(import.meta.dirname, '../..');
const lines = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8').split('\n');
const entries = lines.flatMap((line, index) => {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
  return match ? [{ name: match[1]!, value: match[2]!, comment: lines[index - 1] ?? '' }] : [];
});
const listed = entries.map((entry) => entry.name);

describe('.env.example', () => {
  it('lists every variable of the configuration schema, and only those, once each', () => {
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(40);
    expect(
      CONFIG_VARIABLES.filter((name) => !listed.includes(name)),
      'read by src/config.ts but missing from .env.example',
    ).toEqual([]);
    expect(
      listed.filter((name) => !CONFIG_VARIABLES.includes(name)),
      'in .env.example but not read by the configuration',
    ).toEqual([]);
    expect(
      listed.filter((name, index) => listed.indexOf(name) !== index),
      'listed twice',
    ).toEqual([]);
  });

  it.each(entries)('$name: the value given is the default the service uses', ({ name, value }) => {
    // An empty value counts as unset, so it must be what an unset variable gives too.
    expect(loadConfig({ [name]: value })[name as keyof ReturnType<typeof loadConfig>]).toEqual(loadConfig({})[name as keyof ReturnType<typeof loadConfig>]);
  });

  it('says in a comment what each variable means', () => {
    // A variable directly below another (RATING_MIN/MAX/STEP) shares the comment of the first.
    const undocumented = entries.filter((entry) => !entry.comment.startsWith('# ') && !/^[A-Z][A-Z0-9_]*=/.test(entry.comment));
    expect(undocumented.map((entry) => entry.name)).toEqual([]);
  });
});
