import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// `npm run schema:check` (CI) on a throwaway git repository: a removed field fails it, an added
// one does not, and a Schema-Breaking trailer lets a breaking change through.
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/schema-check.ts');
// tsx resolved from this checkout, not from the throwaway repository's directory.
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function repository(before: string, after: string, message = 'change the schema') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mai-schema-check-'));
  dirs.push(dir);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: dir });
  git('init', '-q');
  fs.writeFileSync(path.join(dir, 'schema.graphql'), before);
  git('add', '.');
  git('commit', '-qm', 'first');
  fs.writeFileSync(path.join(dir, 'schema.graphql'), after);
  git('commit', '-qam', message);
  return dir;
}
function check(dir: string) {
  const result = spawnSync(process.execPath, ['--import', TSX, SCRIPT], { cwd: dir, encoding: 'utf8' });
  return { code: result.status, output: result.stdout + result.stderr };
}

const V1 = 'type Query { campaign(id: ID!): Campaign }\ntype Campaign { id: ID! name: String! budget: Float }\n';

describe('schema breaking-change check', () => {
  it('passes an added field', () => {
    const result = check(repository(V1, V1.replace('budget: Float', 'budget: Float currency: String')));
    expect(result.output).toMatch(/0 breaking/);
    expect(result.code).toBe(0);
  });

  it('fails a removed field and names it', () => {
    const result = check(repository(V1, V1.replace(' budget: Float', '')));
    expect(result.output).toMatch(/BREAKING: .*budget/);
    expect(result.code).toBe(1);
  });

  it('lets a breaking change through with a Schema-Breaking trailer', () => {
    const result = check(repository(V1, V1.replace(' budget: Float', ''), 'Campaign.budget removed\n\nSchema-Breaking: budgets moved to campaignTotals'));
    expect(result.output).toMatch(/allowed by a Schema-Breaking trailer: budgets moved/);
    expect(result.code).toBe(0);
  });
});
