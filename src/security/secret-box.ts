import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

/**
 * Secrets the service must use again, not only check (a webhook endpoint's signing secret: each
 * delivery is signed with it), kept encrypted at rest with AES-256-GCM, so a copy of the
 * database alone reveals none of them. Everything the service only checks (API secrets,
 * passwords, sessions) stays a digest.
 */
export class SecretBox {
  private key: Buffer | null = null;

  /** `keyOf` is asked once, when a secret is first sealed or opened */
  constructor(private readonly keyOf: () => Buffer) {}

  private get cipherKey(): Buffer {
    this.key ??= this.keyOf();
    if (this.key.length !== 32) throw new Error('a secret box needs a 32-byte key');
    return this.key;
  }

  /** "v1:" + base64(iv | tag | ciphertext) */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.cipherKey, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
  }

  /** The secret, or an error if it was sealed with another key or changed. */
  open(box: string): string {
    if (!box.startsWith(`${VERSION}:`)) throw new Error('not a sealed secret');
    const bytes = Buffer.from(box.slice(VERSION.length + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.cipherKey, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/**
 * The key of the secret box: WEBHOOK_SECRETS_KEY (base64 of 32 bytes; every instance of a
 * deployment needs the same), or else a key made once and kept in the data folder, readable by
 * this user only (enough for one instance, as `npm start` runs it).
 */
export function secretBoxKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'base64');
  const file = path.resolve(dataDir, 'webhook-secrets.key');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // another process made it first: use theirs
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
