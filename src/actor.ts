import type { Principal } from './auth/principal';
import type { TeamAccess } from './permissions/team-access';

/**
 * Everything a service needs to know about who is acting and from where: it authorises with
 * `access` and writes `requestId`, `ip` and `userAgent` into the audit row.
 */
export interface Actor {
  principal: Principal;
  access: TeamAccess;
  /** the server's own id of the request */
  requestId: string;
  /** the id the client gave it (X-Request-Id, cleaned), kept in audit metadata as clientRequestId */
  clientRequestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** The signed-in person behind an operation whose rule admits only people (`person` in the rule map). */
export function personOf(actor: Actor): Extract<Principal, { type: 'USER' }> {
  if (actor.principal.type !== 'USER') throw new Error('unreachable: the rule admits only a signed-in person');
  return actor.principal;
}
