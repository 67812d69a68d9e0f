import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** One of GitHub's secret scanning public keys, from the document GitHub publishes. */
export interface GithubScanningKey {
  /** `key_identifier`: what GitHub names in the Github-Public-Key-Identifier header */
  id: string;
  key: KeyObject;
}

/**
 * GitHub's key document, as GitHub publishes it for its secret scanning partners
 * (`https://api.github.com/meta/public_keys/secret_scanning`):
 * `{ "public_keys": [{ "key_identifier": "…", "key": "-----BEGIN PUBLIC KEY-----…", "is_current": true }] }`.
 * Every key listed is believed, current or not: GitHub signs with one and lists the others while
 * it rotates. Throws an Error saying what is wrong (never repeating the document).
 */
export function parseGithubScanningKeys(text: string): GithubScanningKey[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new Error('is not JSON');
  }
  const listed =
    document !== null && typeof document === 'object'
      ? (document as { public_keys?: unknown }).public_keys
      : undefined;
  if (!Array.isArray(listed) || listed.length === 0)
    throw new Error('must hold a non-empty "public_keys" list');
  return listed.map((entry: unknown, i) => {
    const { key_identifier: id, key } = (entry ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || id === '' || typeof key !== 'string')
      throw new Error(`public_keys[${i}] needs a "key_identifier" and a "key"`);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(key);
    } catch {
      throw new Error(`public_keys[${i}].key is not a PEM public key`);
    }
    if (publicKey.asymmetricKeyType !== 'ec')
      throw new Error(`public_keys[${i}].key is not an ECDSA key`);
    return { id, key: publicKey };
  });
}

/**
 * Whether `body` was signed by the key GitHub names: an ECDSA signature (DER, base64) over the
 * body's bytes with SHA-256. Unknown key, missing or malformed signature: false.
 */
export function signedByGithub(
  keys: readonly GithubScanningKey[],
  keyId: string | undefined,
  signature: string | undefined,
  body: Buffer,
): boolean {
  if (!keyId || !signature) return false;
  const known = keys.find((k) => k.id === keyId);
  if (!known) return false;
  // base64 decoding never throws: junk decodes to bytes that don't verify
  const der = Buffer.from(signature, 'base64');
  if (der.length === 0) return false;
  try {
    return verify('sha256', body, { key: known.key, dsaEncoding: 'der' }, der);
  } catch {
    return false;
  }
}
