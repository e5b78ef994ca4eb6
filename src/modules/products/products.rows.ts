import { prepared, type RawRunner } from '../../db/raw.ts';
import { Prisma, type Product } from '../../generated/prisma/client.ts';

/** Product columns for raw SQL joins (alias `p`), shaped like Prisma's Product row by productFromRow. */
export const PRODUCT_COLUMNS = Prisma.sql`p.id, p.external_id AS "externalId", p.sku, p.name, p.description, p.category,
  p.tags, p.price::text AS price, p.attributes, p.active,
  (extract(epoch FROM p.created_at) * 1000)::float8 AS "createdAt", (extract(epoch FROM p.updated_at) * 1000)::float8 AS "updatedAt"`;

/** Timestamps as epoch milliseconds: a Date from a number is far cheaper than parsing PostgreSQL's text. */
export type ProductRow = Omit<Product, 'price' | 'createdAt' | 'updatedAt'> & { price: string | null; createdAt: number; updatedAt: number };

export function productFromRow(row: ProductRow): Product {
  return {
    ...row,
    price: row.price === null ? null : new Prisma.Decimal(row.price),
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}

/**
 * Products by id as raw SQL (`raw(db)`: straight through the pg pool). Recommendation responses
 * load 10–40 products per request; this costs ~0.3 ms against ~1.4 ms through Prisma's query
 * compiler, most of the per-request database time on the serving path.
 */
const PRODUCTS_BY_ID = prepared('products_by_id', `SELECT ${PRODUCT_COLUMNS.sql} FROM products p WHERE p.id = ANY($1::uuid[])`);
export async function productsById(runner: RawRunner, ids: readonly string[]): Promise<Product[]> {
  const rows = await runner.rows<ProductRow>(PRODUCTS_BY_ID, [ids]);
  return rows.map(productFromRow);
}
