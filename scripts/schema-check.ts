// Schema breaking-change check: schema.graphql as committed at a base commit against the one in
// the working tree, by @graphql-inspector/core. Breaking changes fail unless a commit since the
// base says so with a `Schema-Breaking: <why>` trailer (clients must be told; README "API").
//   npm run schema:check                  # base: HEAD~1 (on main, the state before the last merge or commit)
//   npm run schema:check -- --base v1.2   # any commit, tag or branch
// Without the base commit (a shallow clone, the first commit), nothing is compared: exit 0, said so.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

const SCHEMA_FILE = 'schema.graphql';
const TRAILER = /^Schema-Breaking:\s*(\S.*)$/im;

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { base: { type: 'string', default: process.env.SCHEMA_BASE || 'HEAD~1' } } });
  const base = values.base!;
  let previous: string;
  try {
    git('rev-parse', '--verify', '--quiet', `${base}^{commit}`);
    previous = git('show', `${base}:${SCHEMA_FILE}`);
  } catch {
    console.log(`schema check: no ${SCHEMA_FILE} at ${base} (shallow clone or first commit): nothing to compare`);
    return 0;
  }
  const changes = await diff(buildSchema(previous), buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8')));
  const breaking = changes.filter((change) => change.criticality.level === CriticalityLevel.Breaking);
  const dangerous = changes.filter((change) => change.criticality.level === CriticalityLevel.Dangerous);
  console.log(`schema check against ${base}: ${changes.length} changes, ${breaking.length} breaking, ${dangerous.length} dangerous`);
  for (const change of dangerous) console.log(`  dangerous: ${change.message}`);
  for (const change of breaking) console.log(`  BREAKING:  ${change.message}`);
  if (breaking.length === 0) return 0;
  const allowed = git('log', '--format=%B%x00', `${base}..HEAD`)
    .split('\0')
    .map((message) => TRAILER.exec(message)?.[1])
    .find(Boolean);
  if (allowed) {
    console.log(`breaking changes allowed by a Schema-Breaking trailer: ${allowed}`);
    return 0;
  }
  console.log('breaking changes fail the check; to make one on purpose, add a trailer to the commit message:\n  Schema-Breaking: <what clients must change>');
  return 1;
}

main().then((code) => process.exit(code));
