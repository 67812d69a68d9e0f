import type { KeyRowFragment } from '../graphql/generated';

type Revocation = Pick<KeyRowFragment, 'revocationReason' | 'leakSource'>;

/**
 * Why a key was revoked, when it was not by a person: its secret was found in public and
 * reported. The place is the reporter's words, shown as text, never as a link (anyone holding the
 * secret could have written it).
 */
export function leakText(key: Revocation): string | null {
  if (key.revocationReason !== 'LEAKED') return null;
  return key.leakSource
    ? `Revoked: its secret was found at ${key.leakSource}`
    : 'Revoked: its secret was found in public and reported';
}
