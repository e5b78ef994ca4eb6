import type { RawRunner } from './raw.ts';

/** Tables bulk rows refer to by local id or externalId. */
export type ReferencedTable = 'users' | 'products' | 'campaigns' | 'feedback';

/** A reference to resolve: a local id or an externalId (see RowRef in modules/common/references.ts). */
export interface TableRef {
  kind: 'id' | 'externalId';
  value: string;
}

/** The rows one batch of references found: which local ids exist, and externalId → id. */
export class ResolvedRefs {
  readonly ids = new Set<string>();
  readonly byExternalId = new Map<string, string>();

  /** The local id a reference points at, or undefined when no such row exists. */
  lookup(ref: TableRef): string | undefined {
    if (ref.kind === 'id') return this.ids.has(ref.value) ? ref.value : undefined;
    return this.byExternalId.get(ref.value);
  }
}

/**
 * Resolves every reference of a batch to one table with one statement. With `lock` (the
 * default) the rows found are held FOR KEY SHARE until the transaction ends, so a row a write
 * refers to cannot disappear before it commits. Absent references (null/undefined) are skipped.
 */
export async function resolveRefs(runner: RawRunner, table: ReferencedTable, refs: Iterable<TableRef | null | undefined>, options: { lock?: boolean } = {}): Promise<ResolvedRefs> {
  const ids = new Set<string>();
  const externalIds = new Set<string>();
  for (const ref of refs) if (ref) (ref.kind === 'id' ? ids : externalIds).add(ref.value);
  const resolved = new ResolvedRefs();
  if (ids.size === 0 && externalIds.size === 0) return resolved;
  const found = await runner.rows<{ id: string; external_id: string | null }>(
    `SELECT id::text AS id, external_id FROM ${table}
     WHERE id = ANY($1::uuid[]) OR external_id = ANY($2::text[])${options.lock === false ? '' : ' FOR KEY SHARE'}`,
    [[...ids], [...externalIds]],
  );
  for (const row of found) {
    resolved.ids.add(row.id);
    if (row.external_id !== null) resolved.byExternalId.set(row.external_id, row.id);
  }
  return resolved;
}

/** What one row is found in by id or externalId: a Prisma model delegate such as `db.product` (or a transaction's). */
export interface RefSource<T> {
  findUnique(args: { where: { id: string } | { externalId: string } }): PromiseLike<T | null>;
}

/** The row a lookup's reference names (its local id, else its externalId), or null when there is none. */
export async function findByRef<T>(source: RefSource<T>, ref: { id?: string | null; externalId?: string | null }): Promise<T | null> {
  if (ref.id) return source.findUnique({ where: { id: ref.id } });
  if (ref.externalId) return source.findUnique({ where: { externalId: ref.externalId } });
  return null;
}
