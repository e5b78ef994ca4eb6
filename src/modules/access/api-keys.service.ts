import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import type { Db } from '../../db/prisma.ts';
import { rawIn } from '../../db/raw.ts';
import type { ApiKey } from '../../generated/prisma/client.ts';
import type { Role, Viewer } from './viewer.ts';
import { notFoundError, userInputError } from '../../graphql/errors.ts';
import type { Logger } from '../../logger.ts';

export const ENV_ADMIN_KEY_ID = 'env:ADMIN_API_KEY';
const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_CACHE_ENTRIES = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** `mai_` + 32 random bytes (base64url): 256 bits, recognisable in secret scanners. */
export function generateSecret(): string {
  return `mai_${randomBytes(32).toString('base64url')}`;
}

/**
 * API keys: creation (secret shown once, SHA-256 stored), revocation and authentication.
 *
 * Lookups are cached in memory for `cacheSeconds` (API_KEY_CACHE_SECONDS), unknown keys included, so a
 * request costs no key query; revoking through this process clears its cache entry at once,
 * other processes stop accepting the key within `cacheSeconds`. `lastUsedAt` is written at most
 * once a minute per key, in the background.
 */
export class ApiKeysService {
  private readonly cache = new Map<string, { viewer: Viewer | null; expires: number }>();
  private readonly lastTouched = new Map<string, number>();
  private readonly envAdminHash: Buffer | null;

  constructor(
    private readonly db: Db,
    private readonly options: { adminApiKey?: string; cacheSeconds: number; logger?: Logger },
  ) {
    this.envAdminHash = options.adminApiKey ? Buffer.from(hashSecret(options.adminApiKey), 'hex') : null;
  }

  /** The caller behind a secret, or null when the key is unknown or revoked. */
  async authenticate(secret: string): Promise<Viewer | null> {
    const hash = hashSecret(secret);
    if (this.envAdminHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.envAdminHash)) {
      return { keyId: ENV_ADMIN_KEY_ID, keyName: 'ADMIN_API_KEY', role: 'ADMIN' };
    }
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.expires > now) {
      if (cached.viewer) this.touch(cached.viewer.keyId!, now);
      return cached.viewer;
    }
    const key = await this.db.apiKey.findUnique({ where: { secretHash: hash } });
    const viewer: Viewer | null = key && !key.revokedAt ? { keyId: key.id, keyName: key.name, role: key.role } : null;
    if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
    const ttl = this.options.cacheSeconds * 1000;
    if (ttl > 0) this.cache.set(hash, { viewer, expires: now + ttl });
    if (viewer && key) {
      if (!this.lastTouched.has(key.id) && key.lastUsedAt) this.lastTouched.set(key.id, key.lastUsedAt.getTime());
      this.touch(key.id, now);
    }
    return viewer;
  }

  private touch(keyId: string, now: number): void {
    const last = this.lastTouched.get(keyId);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    this.lastTouched.set(keyId, now);
    this.db.apiKey
      .update({ where: { id: keyId }, data: { lastUsedAt: new Date(now) } })
      .catch((error: unknown) => this.options.logger?.warn({ err: error, keyId }, 'could not record lastUsedAt of an API key'));
  }

  async createApiKey(name: string, role: Role): Promise<{ apiKey: ApiKey; secret: string }> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 100) throw userInputError('name must be 1 to 100 characters.', { argument: 'name' });
    const secret = generateSecret();
    const apiKey = await this.db.apiKey.create({
      data: { name: trimmed, role, secretHash: hashSecret(secret), prefix: secret.slice(0, 10) },
    });
    return { apiKey, secret };
  }

  async revokeApiKey(id: string): Promise<ApiKey> {
    const key = UUID.test(id) ? await this.db.apiKey.findUnique({ where: { id } }) : null;
    if (!key) throw notFoundError('ApiKey', `"${id}"`);
    const revoked = key.revokedAt ? key : await this.db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    this.cache.delete(key.secretHash);
    return revoked;
  }

  /** Newest first, at most `first`. */
  listApiKeys(first: number): Promise<ApiKey[]> {
    return this.db.apiKey.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first });
  }

  /**
   * First start without ADMIN_API_KEY: when no valid ADMIN key exists, creates one and returns
   * its secret (the caller prints it once). Serialised by an advisory lock so concurrently
   * starting servers create one key, not several.
   */
  async ensureBootstrapAdminKey(): Promise<{ apiKey: ApiKey; secret: string } | null> {
    if (this.envAdminHash) return null;
    return this.db.$transaction(async (tx) => {
      await lockKeys(rawIn(tx), [{ space: LockSpace.bootstrapAdminKey, keys: ['bootstrap admin'] }]);
      const admins = await tx.apiKey.count({ where: { role: 'ADMIN', revokedAt: null } });
      if (admins > 0) return null;
      const secret = generateSecret();
      const apiKey = await tx.apiKey.create({
        data: { name: 'bootstrap admin', role: 'ADMIN', secretHash: hashSecret(secret), prefix: secret.slice(0, 10) },
      });
      return { apiKey, secret };
    });
  }
}
