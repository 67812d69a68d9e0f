import type { ApiKey } from '../modules/api-key/api-key.entity';
import type { User } from '../modules/user/user.entity';

/** Who is calling. Decided once per request from its credentials (see authenticate.ts). */
export type Principal =
  | { type: 'ANONYMOUS' }
  | { type: 'USER'; user: User; sessionId: string }
  | {
      type: 'API_KEY';
      apiKey: ApiKey;
      /** the key's API permissions cut to what its owner holds now (permissions/key-permissions.ts) */
      permissions: ReadonlySet<string>;
      /** what the key can do now: those and its application scopes */
      scopes: string[];
    };

export const ANONYMOUS: Principal = { type: 'ANONYMOUS' };

/** What an audit row and a log line say about the caller, as it is right now. */
export function principalLabel(principal: Principal): string | null {
  switch (principal.type) {
    case 'USER':
      return principal.user.email;
    case 'API_KEY':
      return principal.apiKey.key;
    default:
      return null;
  }
}

export function principalId(principal: Principal): string | null {
  switch (principal.type) {
    case 'USER':
      return principal.user.id;
    case 'API_KEY':
      return principal.apiKey.id;
    default:
      return null;
  }
}

/** How a request's log line names its caller: `user:<id>`, `apiKey:<id>` or `anonymous`. */
export function principalInLog(principal: Principal): string {
  switch (principal.type) {
    case 'USER':
      return `user:${principal.user.id}`;
    case 'API_KEY':
      return `apiKey:${principal.apiKey.id}`;
    default:
      return 'anonymous';
  }
}
