import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeKey, parseKeyring, type Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/**
 * Encryption at rest of personal fields (AES-256-GCM) and the keyed lookup hash of emails
 * (HMAC-SHA256).
 *
 * Ciphertext format, stored as text: `v1:<keyId>:<base64url(iv[12] | tag[16] | data)>`. The key id
 * names the keyring entry that encrypted the value, so keys can be rotated: put the new key
 * first in DATA_ENCRYPTION_KEY (`new:key,old:key`), restart, and the start-up backfill re-encrypts
 * every row under the new key; then the old key may be removed. The column name is bound as
 * additional authenticated data, so a ciphertext copied into another column does not decrypt.
 *
 * The email hash key (DATA_HASH_KEY) cannot be rotated this way: changing it makes every stored
 * hash unfindable (lookups by email and uniqueness checks would miss old rows).
 */
export class FieldCipher {
  readonly currentKeyId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(
    ring: readonly { id: string; key: Buffer }[],
    private readonly hashKey: Buffer,
  ) {
    if (ring.length === 0) throw new Error('FieldCipher needs at least one key');
    this.currentKeyId = ring[0]!.id;
    this.keys = new Map(ring.map((entry) => [entry.id, entry.key]));
  }

  encrypt(plaintext: string | null | undefined, column: string): string | null {
    if (plaintext === null || plaintext === undefined) return null;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(column, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1:${this.currentKeyId}:${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url')}`;
  }

  decrypt(ciphertext: string | null | undefined, column: string): string | null {
    if (ciphertext === null || ciphertext === undefined) return null;
    const [version, keyId, payload] = ciphertext.split(':');
    if (version !== 'v1' || !keyId || payload === undefined) throw new Error(`${column}: not a v1 ciphertext`);
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`${column}: encrypted with key "${keyId}", which is not in DATA_ENCRYPTION_KEY`);
    const bytes = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(column, 'utf8'));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }

  /** True when the value is encrypted under an older key of the ring. */
  isStale(ciphertext: string | null | undefined): boolean {
    return !!ciphertext && !ciphertext.startsWith(`v1:${this.currentKeyId}:`);
  }

  /** Keyed hash of a (lower-cased, trimmed) email: equal emails give equal hashes, nothing else leaks. */
  hashEmail(email: string): string {
    return createHmac('sha256', this.hashKey).update(email.trim().toLowerCase(), 'utf8').digest('hex');
  }
}

const devKeysByFile = new Map<string, { ring: { id: string; key: Buffer }[]; hashKey: Buffer }>();

/**
 * The cipher from configuration. Without DATA_ENCRYPTION_KEY / DATA_HASH_KEY (only allowed
 * outside production, see config.ts) a development key pair is generated once into
 * DATA_KEY_FILE (next to the embedded database by default) and reused on
 * later starts; losing that file makes the stored emails and names unreadable.
 */
export function fieldCipherFromConfig(
  // DATA_KEY_FILE is only read when a key is missing; its default is config.ts's.
  config: Pick<Config, 'DATA_ENCRYPTION_KEY' | 'DATA_HASH_KEY'> & Partial<Pick<Config, 'DATA_KEY_FILE'>>,
  logger?: Logger,
): FieldCipher {
  const ring = config.DATA_ENCRYPTION_KEY ? parseKeyring(config.DATA_ENCRYPTION_KEY) : null;
  const hashKey = config.DATA_HASH_KEY ? decodeKey(config.DATA_HASH_KEY) : null;
  if (ring && hashKey) return new FieldCipher(ring, hashKey);
  if (!config.DATA_KEY_FILE) throw new Error('DATA_KEY_FILE is needed when DATA_ENCRYPTION_KEY or DATA_HASH_KEY is unset');
  const file = path.resolve(config.DATA_KEY_FILE);
  let dev = devKeysByFile.get(file);
  if (!dev) {
    const stored = readOrCreateDevKeys(file);
    dev = { ring: parseKeyring(stored.encryptionKey)!, hashKey: decodeKey(stored.hashKey)! };
    devKeysByFile.set(file, dev);
    logger?.warn(
      { file, created: stored.created },
      'DATA_ENCRYPTION_KEY / DATA_HASH_KEY are not set: personal data is encrypted with a development key kept in this file. Set both in production.',
    );
  }
  return new FieldCipher(ring ?? dev.ring, hashKey ?? dev.hashKey);
}

function readOrCreateDevKeys(file: string): { encryptionKey: string; hashKey: string; created: boolean } {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { encryptionKey: string; hashKey: string };
    if (!parseKeyring(parsed.encryptionKey) || !decodeKey(parsed.hashKey)) throw new Error(`${file} does not hold valid keys`);
    return { ...parsed, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const keys = {
    note: 'Development keys for personal data at rest (generated because DATA_ENCRYPTION_KEY / DATA_HASH_KEY were unset). Do not use in production.',
    encryptionKey: `dev:${randomBytes(32).toString('base64url')}`,
    hashKey: randomBytes(32).toString('base64url'),
  };
  try {
    fs.writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    return { ...keys, created: true };
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreateDevKeys(file);
    throw error;
  }
}
