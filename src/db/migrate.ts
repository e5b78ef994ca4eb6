import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const migrationsDir = path.join(root, 'prisma', 'migrations');

/** Applies committed migrations with the Prisma CLI (WASM schema engine, see docs/development.md). */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const prismaBin = path.join(root, 'node_modules', '.bin', 'prisma');
  try {
    await run(prismaBin, ['migrate', 'deploy'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`prisma migrate deploy failed: ${output.stderr || output.stdout || output.message}`);
  }
}

export function committedMigrations(): string[] {
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Names of committed migrations the database has not applied (empty when ready). */
export async function pendingMigrations(pool: pg.Pool, committed = committedMigrations()): Promise<string[]> {
  const { rows } = await pool.query<{ migration_name: string }>(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`);
  const applied = new Set(rows.map((row) => row.migration_name));
  return committed.filter((name) => !applied.has(name));
}

/**
 * Runs `migrate deploy` only when something is pending: the CLI costs seconds even when there
 * is nothing to do, which a restart of the embedded database would otherwise pay every time.
 */
export async function ensureMigrated(pool: pg.Pool, databaseUrl: string): Promise<'applied' | 'up-to-date'> {
  let pending: string[];
  try {
    pending = await pendingMigrations(pool);
  } catch {
    pending = committedMigrations(); // no _prisma_migrations table yet: a fresh database
  }
  if (pending.length === 0) return 'up-to-date';
  await applyMigrations(databaseUrl);
  return 'applied';
}
