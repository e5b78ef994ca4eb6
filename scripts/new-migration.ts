// Creates prisma/migrations/<timestamp>_<name>/migration.sql from the difference between the
// schema.prisma committed in git (HEAD) and the working copy. `prisma migrate dev` cannot run
// here (WASM schema engine), so this is the way to add a migration; then `npm run db:migrate`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:new-migration -- <snake_case_name>');
  process.exit(2);
}
const previous = path.join(os.tmpdir(), `schema-head-${process.pid}.prisma`);
fs.writeFileSync(previous, execFileSync('git', ['show', 'HEAD:prisma/schema.prisma']));
const sql = execFileSync('npx', ['prisma', 'migrate', 'diff', '--from-schema-datamodel', previous, '--to-schema-datamodel', 'prisma/schema.prisma', '--script'], {
  encoding: 'utf8',
});
fs.rmSync(previous);
if (!sql.trim() || /This is an empty migration/.test(sql)) {
  console.log('schema.prisma has no changes against HEAD; nothing to do.');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = path.join('prisma', 'migrations', `${stamp}_${name}`);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
console.log(`wrote ${dir}/migration.sql — review it, then run: npm run db:migrate`);
