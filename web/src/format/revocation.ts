import type { KeyRowFragment } from '../graphql/generated';

type Revocation = Pick<KeyRowFragment, 'revocationReason' | 'leakSource'>;

/**
 * Why a key was revoked, when it was not by a person: its secret was found in public and
 * reported. The place is the reporter's words, shown as text, never as a link (anyone holding the
 * secret could have written it).
 */
export function leakText(key: Revocation): string | null {
  if (key.revocationReason !== 'LEAKED') return null;
  return `Revoked: ${whereFound(key.leakSource)}`;
}

/** "its secret was found at https://…", or without a place "…found in public and reported". */
export function whereFound(leakSource: string | null | undefined): string {
  return leakSource
    ? `its secret was found at ${leakSource}`
    : 'its secret was found in public and reported';
}
