import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { applyMigrations } from '../../src/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set when tests run on a PostgreSQL server: a migrated database to copy per test file. */
    templateDatabase: string | null;
    /** Set when tests run on embedded PGlite: a tarball of a migrated data directory. */
    embeddedSnapshot: string | null;
  }
}

/**
 * Migrates once, then every test file clones the result: `CREATE DATABASE ... TEMPLATE` on a
 * server, or a PGlite data-directory snapshot when no DATABASE_URL is given.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const template = `mai_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
    await admin.end();
    await applyMigrations(withDatabase(serverUrl, template));
    project.provide('templateDatabase', template);
    project.provide('embeddedSnapshot', null);
    return async () => {
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await cleanup.end();
    };
  }

  const embedded = await startEmbeddedPostgres({});
  await applyMigrations(embedded.url);
  const snapshotPath = path.join(os.tmpdir(), `mai-pglite-${process.pid}.tar.gz`);
  const blob = await embedded.dumpDataDir();
  fs.writeFileSync(snapshotPath, Buffer.from(await blob.arrayBuffer()));
  await embedded.stop();
  project.provide('templateDatabase', null);
  project.provide('embeddedSnapshot', snapshotPath);
  return async () => fs.rmSync(snapshotPath, { force: true });
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
