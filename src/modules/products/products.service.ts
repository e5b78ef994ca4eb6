import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../db/prisma.ts';
import type { Prisma, Product } from '../../generated/prisma/client.ts';
import { ErrorCode, userInputError } from '../../graphql/errors.ts';
import { bulkResult, bulkTransaction, checkBatch, fields, nothingWritten } from '../common/bulk.ts';
import { rawIn } from '../../db/raw.ts';
import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import type { BulkWriteResult, ServiceLimits } from '../common/bulk.ts';
import { jsonEqual, pick } from '../users/users.service.ts';
import { PRODUCT_COLUMNS, productFromRow, type ProductRow } from './products.rows.ts';
import { EntityService } from '../common/entity-service.ts';
import { searchContains } from '../common/filters.ts';
import type { ProductFilter } from '../../generated/schema-types.ts';

/** The ProductFilter input of the schema (codegen): what the list's filter may hold. */
export type { ProductFilter } from '../../generated/schema-types.ts';

export const MAX_PRICE = 1_000_000_000;
const MAX_FILTER_LIST = 100;

/** Money with two decimals, as Decimal(12,2)/(14,2) columns store it. */
export function money(max: number) {
  return z
    .number()
    .refine(Number.isFinite, 'must be a finite number')
    .refine((value) => value >= 0, 'must not be negative')
    .refine((value) => value <= max, `must be at most ${max}`)
    .transform((value) => Math.round(value * 100) / 100);
}

/** Tags: trimmed, lower-cased, de-duplicated (first occurrence keeps its place). */
export function normaliseTag(tag: string): string {
  return tag.trim().toLowerCase();
}

const tagList = z
  .array(z.string().transform(normaliseTag).pipe(z.string().min(1, 'must not be empty').max(50, 'must be at most 50 characters')))
  .max(50, 'must hold at most 50 tags')
  .transform((tags) => [...new Set(tags)]);

const ProductInputSchema = z.object({
  externalId: fields.externalId,
  sku: fields.shortText(100).nullish(),
  name: fields.entityName('product'),
  description: fields.description,
  category: fields
    .shortText(100)
    .nullish()
    .transform((value) => (value === '' ? null : value)),
  tags: tagList.nullish(),
  price: money(MAX_PRICE).nullish(),
  attributes: fields.attributes.nullish(),
  active: z.boolean().nullish(),
});
type ProductInput = z.output<typeof ProductInputSchema>;

/** The columns an upsert may write, after merging the input over the stored row. */
interface ProductValues {
  externalId: string;
  sku: string | null;
  name: string;
  description: string | null;
  category: string | null;
  tags: string[];
  price: number | null;
  attributes: Record<string, unknown>;
  active: boolean;
}

/** products / product (EntityService) and upsertProducts. */
export class ProductsService extends EntityService<Product, ProductFilter, Prisma.ProductWhereInput> {
  constructor(db: Db, limits: ServiceLimits) {
    super(db, limits, db.product, productWhere);
  }

  /**
   * Creates or updates products by externalId in one transaction. Omitted fields keep their
   * stored values; explicit nulls clear them. New products need a name.
   */
  async upsertProducts(input: readonly unknown[]): Promise<BulkWriteResult> {
    const { rows, errors: refused } = checkBatch(input, ProductInputSchema, { maxBatchSize: this.limits.maxBatchSize, unique: 'externalId' });
    if (rows.length === 0) return nothingWritten(refused);

    return bulkTransaction(this.db, async (tx) => {
      const errors = [...refused]; // per attempt: a retried attempt starts over
      // Concurrent batches naming the same products wait here, then read what the other committed.
      await lockKeys(rawIn(tx), [{ space: LockSpace.products, keys: rows.map((row) => row.value.externalId) }]);
      // Raw `= ANY($1)`: one array parameter instead of one parameter per row (much faster at 10k rows).
      const existing = (
        await tx.$queryRaw<ProductRow[]>`
          SELECT ${PRODUCT_COLUMNS} FROM products p WHERE p.external_id = ANY(${rows.map((row) => row.value.externalId)}::text[])`
      ).map(productFromRow);
      const existingByExternalId = new Map(existing.map((product) => [product.externalId, product]));

      const inserts: (ProductValues & { id: string })[] = [];
      const updates: (ProductValues & { id: string })[] = [];
      let unchanged = 0;
      for (const { index, value } of rows) {
        const stored = existingByExternalId.get(value.externalId);
        const merged = mergeProduct(value, stored);
        if (merged.name === null) {
          errors.push({
            index,
            externalId: value.externalId,
            code: ErrorCode.BAD_USER_INPUT,
            message: 'name: is required for a new product.',
            field: 'name',
          });
          continue;
        }
        const values = merged as ProductValues;
        if (!stored) inserts.push({ ...values, id: randomUUID() });
        else if (productChanged(stored, values)) updates.push({ ...values, id: stored.id });
        else unchanged += 1;
      }
      if (inserts.length) {
        await tx.$executeRaw`
          INSERT INTO products (id, external_id, sku, name, description, category, tags, price, attributes, active, created_at, updated_at)
          SELECT r.id, r."externalId", r.sku, r.name, r.description, r.category,
            ARRAY(SELECT jsonb_array_elements_text(r.tags)), r.price, r.attributes, r.active, now(), now()
          FROM jsonb_to_recordset(${JSON.stringify(inserts)}::jsonb)
            AS r(id uuid, "externalId" text, sku text, name text, description text, category text, tags jsonb,
                 price numeric, attributes jsonb, active boolean)`;
      }
      if (updates.length) {
        await tx.$executeRaw`
          UPDATE products AS p SET sku = r.sku, name = r.name, description = r.description, category = r.category,
            tags = ARRAY(SELECT jsonb_array_elements_text(r.tags)), price = r.price, attributes = r.attributes,
            active = r.active, updated_at = now()
          FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
            AS r(id uuid, sku text, name text, description text, category text, tags jsonb,
                 price numeric, attributes jsonb, active boolean)
          WHERE p.id = r.id`;
      }
      return bulkResult({ created: inserts.length, updated: updates.length, unchanged }, errors);
    });
  }
}

function mergeProduct(input: ProductInput, stored: Product | undefined): Omit<ProductValues, 'name'> & { name: string | null } {
  const storedPrice = stored ? (stored.price === null ? null : stored.price.toNumber()) : undefined;
  return {
    externalId: input.externalId,
    sku: pick(input.sku, stored?.sku, null),
    name: pick(input.name, stored?.name, null),
    description: pick(input.description, stored?.description, null),
    category: pick(input.category, stored?.category, null),
    tags: pick(input.tags, stored?.tags, null) ?? [],
    price: pick(input.price, storedPrice, null),
    attributes: pick(input.attributes, stored?.attributes as Record<string, unknown> | undefined, null) ?? {},
    active: pick(input.active, stored?.active, null) ?? true,
  };
}

function productChanged(stored: Product, next: ProductValues): boolean {
  return (
    stored.sku !== next.sku ||
    stored.name !== next.name ||
    stored.description !== next.description ||
    stored.category !== next.category ||
    stored.active !== next.active ||
    !sameMoney(stored.price, next.price) ||
    stored.tags.length !== next.tags.length ||
    stored.tags.some((tag, i) => tag !== next.tags[i]) ||
    !jsonEqual(stored.attributes, next.attributes)
  );
}

/** Compares a stored Decimal(…, 2) with a number already rounded to two decimals. */
export function sameMoney(stored: Prisma.Decimal | null, next: number | null): boolean {
  if (stored === null || next === null) return stored === next;
  return stored.toFixed(2) === next.toFixed(2);
}

function productWhere(filter: ProductFilter | null | undefined): Prisma.ProductWhereInput {
  if (!filter) return {};
  const conditions: Prisma.ProductWhereInput[] = [];
  const listLimit = (list: readonly string[] | null | undefined, argument: string) => {
    if (list && list.length > MAX_FILTER_LIST) {
      throw userInputError(`filter.${argument} accepts at most ${MAX_FILTER_LIST} values.`, { argument: `filter.${argument}` });
    }
  };
  listLimit(filter.categories, 'categories');
  listLimit(filter.tags, 'tags');
  if (filter.category !== undefined && filter.category !== null) conditions.push({ category: filter.category });
  if (filter.categories) conditions.push({ category: { in: [...filter.categories] } });
  if (filter.tag !== undefined && filter.tag !== null) conditions.push({ tags: { has: normaliseTag(filter.tag) } });
  if (filter.tags) conditions.push({ tags: { hasSome: filter.tags.map(normaliseTag) } });
  if (filter.priceMin !== undefined && filter.priceMin !== null) conditions.push({ price: { gte: filter.priceMin } });
  if (filter.priceMax !== undefined && filter.priceMax !== null) conditions.push({ price: { lte: filter.priceMax } });
  if (filter.search) {
    const matches = searchContains(filter.search);
    conditions.push({ OR: [{ name: matches }, { description: matches }, { sku: matches }, { externalId: matches }] });
  }
  if (filter.active !== undefined && filter.active !== null) conditions.push({ active: filter.active });
  return { AND: conditions };
}
