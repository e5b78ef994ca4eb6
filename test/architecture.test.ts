import fs from 'node:fs';
import path from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

// The house rules of .dependency-cruiser.cjs (no import cycle, the ML core standing alone, the
// graphql library knowing no module, modules not reaching into the composition root), checked
// on the real import graph of src/, type-only imports included.
const root = path.resolve(import.meta.dirname, '..');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? files(full) : /\.(ts|mjs)$/.test(entry.name) ? [full] : [];
  });
}

describe('the structure of src/', () => {
  it('keeps every rule of .dependency-cruiser.cjs', async () => {
    // Paths in the rules are relative to the repository root, where vitest runs.
    expect(process.cwd()).toBe(root);
    const options = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
    const tsConfig = extractTSConfig(path.join(root, 'tsconfig.json'));
    const output = (await cruise(['src'], { ...options, validate: true }, undefined, { tsConfig })).output as ICruiseResult;
    const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((step) => step.name).join(' → ')})` : ''}`);
    expect(violations).toEqual([]);
    // The graph was really read, type-only imports included.
    const sources = new Set(output.modules.map((module) => module.source));
    for (const file of ['src/app/services.ts', 'src/modules/access/viewer.ts', 'src/ml/recommender/model.ts', 'src/graphql/pagination.ts']) {
      expect(sources.has(file), file).toBe(true);
    }
    expect(output.summary.totalCruised).toBeGreaterThan(150);
  });

  it('takes advisory locks only through src/db/advisory-locks.ts (named lock spaces, apart from pg-boss)', () => {
    const writers = files(path.join(root, 'src')).filter((file) => /pg_(try_)?advisory_(xact_)?lock/.test(fs.readFileSync(file, 'utf8')));
    expect(writers.map((file) => path.relative(root, file))).toEqual(['src/db/advisory-locks.ts']);
  });

  it('has an ML core that reads no environment: its configuration is handed in', () => {
    const readers = files(path.join(root, 'src/ml')).filter((file) => /process\.env|import\.meta\.env/.test(fs.readFileSync(file, 'utf8')));
    expect(readers.map((file) => path.relative(root, file))).toEqual([]);
  });
});
