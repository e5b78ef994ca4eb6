import pg from 'pg';
import { applyMigrations } from '../src/db/migrate.ts';
import { connectDatabase } from '../src/db/prisma.ts';
import { InteractionsService } from '../src/modules/interactions/interactions.service.ts';
const serverUrl = 'postgresql://postgres@127.0.0.1:5432/postgres';
const name = 'prof_ingest';
const a = new pg.Client({ connectionString: serverUrl }); await a.connect();
await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); await a.query(`CREATE DATABASE ${name}`);
const url = 'postgresql://postgres@127.0.0.1:5432/' + name;
await applyMigrations(url);
const db = connectDatabase(url);
await db.prisma.user.createMany({ data: Array.from({ length: 1000 }, (_, i) => ({ externalId: `u-${i}` })) });
await db.prisma.product.createMany({ data: Array.from({ length: 1000 }, (_, i) => ({ externalId: `p-${i}`, name: `P${i}` })) });
const svc = new InteractionsService(db.prisma, { maxBatchSize: 10000, maxPageSize: 100 });
let seq = 0;
const batch = () => Array.from({ length: 10000 }, () => { seq++; return { externalId: `e${seq}`, userExternalId: `u-${seq % 1000}`, productExternalId: `p-${seq*7 % 1000}`, type: 'VIEW', occurredAt: new Date(Date.UTC(2026,0,1) + seq*1000) }; });
for (let i = 0; i < 4; i++) {
  const b = batch();
  let t = performance.now(); const r = await svc.recordInteractions(b); const t1 = performance.now() - t;
  t = performance.now(); const r2 = await svc.recordInteractions(b); const t2 = performance.now() - t;
  console.log('service new', t1.toFixed(0), r.created, 'resend', t2.toFixed(0), r2.unchanged);
}
// raw pg
const pool = db.pool;
const b = batch();
const users = new Map((await pool.query('select id::text, external_id from users')).rows.map((r: any) => [r.external_id, r.id]));
const prods = new Map((await pool.query('select id::text, external_id from products')).rows.map((r: any) => [r.external_id, r.id]));
const cols = [b.map(r => 'x:'+r.externalId), b.map(r => r.externalId), b.map(r => users.get(r.userExternalId)), b.map(r => prods.get(r.productExternalId)), b.map(r => r.type), b.map(() => null), b.map(() => null), b.map(r => r.occurredAt.toISOString())];
const sql = `INSERT INTO interactions (dedupe_key, external_id, user_id, product_id, type, value, campaign_id, occurred_at)
 SELECT r.k, r.e, r.u, r.p, r.t::"InteractionType", r.v, r.c, r.o FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::float8[], $7::uuid[], $8::timestamptz[]) AS r(k, e, u, p, t, v, c, o) ON CONFLICT (dedupe_key) DO NOTHING`;
let t = performance.now(); await pool.query(sql, cols); console.log('raw pg insert', (performance.now() - t).toFixed(0));
t = performance.now(); await pool.query(sql, cols); console.log('raw pg resend', (performance.now() - t).toFixed(0));
const b2 = batch();
const cols2 = [b2.map(r => 'x:'+r.externalId), b2.map(r => r.externalId), b2.map(r => users.get(r.userExternalId)), b2.map(r => prods.get(r.productExternalId)), b2.map(r => r.type), b2.map(() => null), b2.map(() => null), b2.map(r => r.occurredAt.toISOString())];
t = performance.now(); await db.prisma.$executeRawUnsafe(sql, ...cols2); console.log('prisma raw insert', (performance.now() - t).toFixed(0));
t = performance.now(); await db.prisma.$executeRawUnsafe(sql, ...cols2); console.log('prisma raw resend', (performance.now() - t).toFixed(0));
await db.close(); await a.query(`DROP DATABASE ${name} WITH (FORCE)`); await a.end();
