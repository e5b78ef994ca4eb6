import type { Db } from '../db/prisma.ts';
import type { Logger } from '../logger.ts';
import type { FieldCipher } from './field-crypto.ts';

/**
 * Start-up migration of personal data at rest, idempotent and in batches:
 * - rows written before encryption (plaintext in users.email / users.name) are encrypted into
 *   email_ciphertext / name_ciphertext, hashed into email_hash, and the plaintext is cleared;
 * - rows encrypted under an older key of DATA_ENCRYPTION_KEY are re-encrypted under the current one
 *   (key rotation).
 * Each batch is its own transaction (rows locked with SKIP LOCKED, so servers starting together
 * share the work). Returns the number of rows rewritten.
 */
export async function backfillPersonalData(db: Db, cipher: FieldCipher, logger?: Logger, batchSize = 1000): Promise<number> {
  const current = `v1:${cipher.currentKeyId}:%`;
  let total = 0;
  for (;;) {
    const rewritten = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ id: string; email: string | null; name: string | null; email_ciphertext: string | null; name_ciphertext: string | null }[]>`
        SELECT id, email, name, email_ciphertext, name_ciphertext FROM users
        WHERE email IS NOT NULL OR name IS NOT NULL
           OR (email_ciphertext IS NOT NULL AND email_ciphertext NOT LIKE ${current})
           OR (name_ciphertext IS NOT NULL AND name_ciphertext NOT LIKE ${current})
        LIMIT ${batchSize} FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      const values = rows.map((row) => {
        const email = row.email_ciphertext ? cipher.decrypt(row.email_ciphertext, 'users.email') : row.email?.trim().toLowerCase() || null;
        const name = row.name_ciphertext ? cipher.decrypt(row.name_ciphertext, 'users.name') : row.name;
        return {
          id: row.id,
          emailCiphertext: cipher.encrypt(email, 'users.email'),
          nameCiphertext: cipher.encrypt(name, 'users.name'),
          emailHash: email ? cipher.hashEmail(email) : null,
        };
      });
      await tx.$executeRaw`
        UPDATE users AS u SET email = NULL, name = NULL, email_ciphertext = r."emailCiphertext",
          name_ciphertext = r."nameCiphertext", email_hash = r."emailHash"
        FROM jsonb_to_recordset(${JSON.stringify(values)}::jsonb)
          AS r(id uuid, "emailCiphertext" text, "nameCiphertext" text, "emailHash" text)
        WHERE u.id = r.id`;
      return rows.length;
    });
    total += rewritten;
    if (rewritten < batchSize) break;
  }
  if (total > 0) logger?.info({ users: total, keyId: cipher.currentKeyId }, 'encrypted personal data at rest (plaintext rows and rows under older keys)');
  return total;
}
