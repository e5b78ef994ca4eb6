import { prepared, type RawRunner } from '../../db/raw.ts';
import type { User } from '../../generated/prisma/client.ts';

/** User columns for raw SQL (alias `u`), named like Prisma's User fields (no conversion needed). */
const USER_COLUMNS = `u.id::text AS id, u.external_id AS "externalId", u.email AS "legacyEmail", u.name AS "legacyName",
  u.email_ciphertext AS "emailCiphertext", u.name_ciphertext AS "nameCiphertext", u.email_hash AS "emailHash", u.attributes,
  u.marketing_consent AS "marketingConsent", u.marketing_consent_updated_at AS "marketingConsentUpdatedAt",
  u.erased_at AS "erasedAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;

/**
 * Users by id as raw SQL (straight through the pg pool). A campaign audience loads up to ~10,500
 * customers at once: through Prisma's query compiler that held the event loop ~0.3 s
 * (docs/benchmarks.md, "Event loop under heavy requests"); personal fields stay encrypted here and
 * are decrypted only when a resolver shows them.
 */
const USERS_BY_ID = prepared('users_by_id', `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ANY($1::uuid[])`);
export function usersById(runner: RawRunner, ids: readonly string[]): Promise<User[]> {
  return runner.rows<User>(USERS_BY_ID, [ids]);
}
