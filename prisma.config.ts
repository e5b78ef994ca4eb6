import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// The CLI must always resolve a datasource URL: without one it falls back to downloading
// native engines, which is impossible offline (see docs/development.md).
//
// Deliberate version pairing (docs/deployment.md "Prisma versions"): prisma and @prisma/client
// 6.19 with @prisma/adapter-pg 7.10. The CLI runs `migrate deploy` on the WASM schema engine
// through this adapter (engine: 'js'), and the 6.19 adapter cannot read the `name` column type
// that `migrate deploy` inspects; 7.10's can, and the 6.19 client works with it at run time
// (src/db/prisma.ts). Prisma 7 itself cannot migrate here (native schema engine only). Upgrade
// the three together, and only once `npm run db:migrate` and the test suite pass offline.
const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
process.env.DATABASE_URL ??= DEFAULT_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL ?? DEFAULT_URL }),
});
