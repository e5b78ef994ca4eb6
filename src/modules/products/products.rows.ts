import { Prisma, type Product } from '../../generated/prisma/client.ts';

/** Product columns for raw SQL joins (alias `p`), shaped like Prisma's Product row by productFromRow. */
export const PRODUCT_COLUMNS = Prisma.sql`p.id, p.external_id AS "externalId", p.sku, p.name, p.description, p.category,
  p.tags, p.price::text AS price, p.attributes, p.active, p.created_at AS "createdAt", p.updated_at AS "updatedAt"`;

export type ProductRow = Omit<Product, 'price'> & { price: string | null };

export function productFromRow(row: ProductRow): Product {
  return { ...row, price: row.price === null ? null : new Prisma.Decimal(row.price) };
}
