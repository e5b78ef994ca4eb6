import { userInputError } from '../../graphql/errors.ts';
import { assertOneRef, optionalLocalId } from './references.ts';
import { MAX_TEXT_LENGTH } from './text.ts';

/** The user / product / campaign a list of events or feedback is narrowed to, by global ID or externalId. */
export interface RelatedFilter {
  userId?: string | null;
  userExternalId?: string | null;
  productId?: string | null;
  productExternalId?: string | null;
  campaignId?: string | null;
  campaignExternalId?: string | null;
}

const RELATIONS = [
  { relation: 'user', column: 'userId', type: 'User' },
  { relation: 'product', column: 'productId', type: 'Product' },
  { relation: 'campaign', column: 'campaignId', type: 'Campaign' },
] as const;

type RelatedCondition =
  | { userId: string }
  | { productId: string }
  | { campaignId: string }
  | { user: { externalId: string } }
  | { product: { externalId: string } }
  | { campaign: { externalId: string } };

/**
 * Prisma conditions of a RelatedFilter (for any model with userId/productId/campaignId and
 * their relations). A filter names each relation at most once; IDs are decoded here.
 */
export function relatedConditions(filter: RelatedFilter): RelatedCondition[] {
  const conditions: RelatedCondition[] = [];
  for (const { relation, column, type } of RELATIONS) {
    const id = filter[column];
    const externalId = filter[`${relation}ExternalId`];
    assertOneRef(id, externalId, [`filter.${column}`, `filter.${relation}ExternalId`], { required: false, argument: 'filter' });
    const localId = optionalLocalId(type, id, `filter.${column}`);
    if (localId) conditions.push({ [column]: localId } as RelatedCondition);
    if (externalId) conditions.push({ [relation]: { externalId } } as RelatedCondition);
  }
  return conditions;
}

/**
 * The one condition of every `search` filter: a case-insensitive substring match in which `%`,
 * `_` and `\` are literal characters. Prisma's `contains` puts the text between `%` wildcards of
 * an ILIKE pattern as it is, so they are escaped here (backslash is PostgreSQL's LIKE escape).
 */
export function searchContains(search: string): { contains: string; mode: 'insensitive' } {
  // Longer than any stored text it could be found in (feedback text is the longest): refused, as
  // the query engine spends ~0.2 s of the event loop per statement on a 10^5-character pattern.
  if (search.length > MAX_TEXT_LENGTH) {
    throw userInputError(`filter.search must be at most ${MAX_TEXT_LENGTH} characters; got ${search.length}.`, { argument: 'filter.search' });
  }
  return { contains: escapeLike(search), mode: 'insensitive' };
}

/** `text` as a LIKE/ILIKE pattern matching exactly itself (for raw SQL, add the wildcards around it). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * The distinct values of an enum-list filter (`statuses`, `channels`, `types`): a list may repeat
 * a value any number of times (10^5 entries fit in a request), the condition needs each once.
 */
export function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
