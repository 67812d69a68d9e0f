import type { Principal } from './auth/principal';
import type { TeamAccess } from './permissions/team-access';

/**
 * Everything a service needs to know about who is acting and from where: it authorises with
 * `access` and writes `requestId`, `ip` and `userAgent` into the audit row.
 */
export interface Actor {
  principal: Principal;
  access: TeamAccess;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}
