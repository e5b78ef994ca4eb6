import pg from 'pg';
import { connectDatabase } from '../src/db/prisma.ts';
const url = 'postgresql://postgres@127.0.0.1:5432/ea_test';
const db = connectDatabase(url);
const users = (await db.pool.query('select id::text from users')).rows.map((r: any) => r.id);
const prods = (await db.pool.query('select id::text from products')).rows.map((r: any) => r.id);
let seq = 1_000_000;
function rows() { return Array.from({ length: 10000 }, () => { seq++; return { k: 'x:z' + seq, e: 'z' + seq, u: users[seq % 1000], p: prods[seq * 7 % 1000], t: 'VIEW', v: null, c: null, o: new Date(Date.UTC(2026,0,1) + seq * 1000).toISOString() }; }); }
const cols = (b: any[]) => ['k','e','u','p','t','v','c','o'].map((f) => b.map((r) => r[f]));
const unnestSql = `INSERT INTO interactions (dedupe_key, external_id, user_id, product_id, type, value, campaign_id, occurred_at)
 SELECT r.k, r.e, r.u, r.p, r.t::"InteractionType", r.v, r.c, r.o FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::float8[], $7::uuid[], $8::timestamptz[]) AS r(k, e, u, p, t, v, c, o) ON CONFLICT (dedupe_key) DO NOTHING`;
const jsonSql = `INSERT INTO interactions (dedupe_key, external_id, user_id, product_id, type, value, campaign_id, occurred_at)
 SELECT r.k, r.e, r.u, r.p, r.t::"InteractionType", r.v, r.c, r.o FROM json_to_recordset($1::json) AS r(k text, e text, u uuid, p uuid, t text, v float8, c uuid, o timestamptz) ON CONFLICT (dedupe_key) DO NOTHING`;
async function time(label: string, fn: () => Promise<unknown>) { const t = performance.now(); await fn(); console.log(label, (performance.now() - t).toFixed(0)); }
for (let i = 0; i < 3; i++) {
  let b = rows(); await time('pg unnest new', () => db.pool.query(unnestSql, cols(b))); await time('pg unnest resend', () => db.pool.query(unnestSql, cols(b)));
  b = rows(); await time('pg json new', () => db.pool.query(jsonSql, [JSON.stringify(b)])); await time('pg json resend', () => db.pool.query(jsonSql, [JSON.stringify(b)]));
  b = rows(); await time('prisma unnest new', () => db.prisma.$executeRawUnsafe(unnestSql, ...cols(b))); await time('prisma unnest resend', () => db.prisma.$executeRawUnsafe(unnestSql, ...cols(b)));
  b = rows(); await time('prisma json new', () => db.prisma.$executeRawUnsafe(jsonSql, JSON.stringify(b))); await time('prisma json resend', () => db.prisma.$executeRawUnsafe(jsonSql, JSON.stringify(b)));
}
await db.close();
