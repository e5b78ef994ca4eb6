import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { connectDatabase, type Database } from '../../src/db/prisma.ts';
import { withDatabase } from './global-setup.ts';

export interface TestDatabase extends Database {
  url: string;
  /** Closes connections and throws the database away. */
  destroy(): Promise<void>;
}

/**
 * A fresh, migrated database of this test file's own: a copy of the template database on a
 * PostgreSQL server (DATABASE_URL), or an embedded PGlite started from the migrated snapshot.
 */
export async function createTestDatabase(options: { poolSize?: number; statementTimeoutMs?: number; preparedStatements?: boolean } = {}): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  const serverUrl = process.env.DATABASE_URL;
  if (template && serverUrl) {
    const name = `mai_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
    const url = withDatabase(serverUrl, name);
    const database = connectDatabase(url, { poolSize: options.poolSize ?? 5, statementTimeoutMs: options.statementTimeoutMs, preparedStatements: options.preparedStatements });
    return {
      ...database,
      url,
      async destroy() {
        await database.close();
        const cleanup = new pg.Client({ connectionString: serverUrl });
        await cleanup.connect();
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await cleanup.end();
      },
    };
  }
  const snapshot = inject('embeddedSnapshot');
  if (!snapshot) throw new Error('global-setup did not prepare a test database');
  const embedded = await startEmbeddedPostgres({ loadDataDir: new Blob([fs.readFileSync(snapshot)]) });
  const database = connectDatabase(embedded.url, { poolSize: options.poolSize ?? 4, preparedStatements: options.preparedStatements });
  return {
    ...database,
    url: embedded.url,
    async destroy() {
      await database.close();
      await embedded.stop();
    },
  };
}
