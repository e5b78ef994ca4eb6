import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// The CLI must always resolve a datasource URL: without one it falls back to downloading
// native engines, which is impossible offline (see docs/development.md).
const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
process.env.DATABASE_URL ??= DEFAULT_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL ?? DEFAULT_URL }),
});
