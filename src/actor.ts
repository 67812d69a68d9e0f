import type { Principal } from './auth/principal';
import type { TeamAccess } from './permissions/team-access';
import type { RequestClient } from './request/client';

/**
 * Everything a service needs to know about who is acting and from where: it authorises with
 * `access` and writes the request's id, address and agent (RequestClient) into the audit row.
 */
export interface Actor extends RequestClient {
  principal: Principal;
  access: TeamAccess;
}

/** The signed-in person behind an operation whose rule admits only people (`person` in the rule map). */
export function personOf(actor: Actor): Extract<Principal, { type: 'USER' }> {
  if (actor.principal.type !== 'USER')
    throw new Error('unreachable: the rule admits only a signed-in person');
  return actor.principal;
}
