import type { FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Actor } from '../actor';
import {
  authenticate,
  readCredentials,
  type Authenticators,
  type Credentials,
} from '../auth/authenticate';
import { ANONYMOUS, principalInLog, type Principal } from '../auth/principal';
import { errorCode } from '../errors';
import { AuditOutcome } from '../modules/audit/audit-event.entity';
import type { PlatformAdminReads } from '../modules/audit/platform-admin-reads';
import type { SecurityLog } from '../modules/audit/security-log';
import { createLoaders, type Loaders } from '../modules/loaders';
import { TeamAccess } from '../permissions/team-access';
import { clientOf, type RequestClient } from '../request/client';
import { traceOf } from '../request/trace';

/** What building a request's caller needs of the services. */
export interface CallerServices extends Authenticators {
  /** counts refused credentials */
  securityLog: Pick<SecurityLog, 'note'>;
  /** records a platform admin's reads of teams it is not in */
  adminReads: Pick<PlatformAdminReads, 'record'>;
}

/**
 * A request's caller, for GraphQL and the routes outside it alike: its credentials turned into a
 * principal (throws the 401 or 429 to answer when they don't check out, after counting the refusal
 * in the security log), its permissions looked up through the request's own loaders, once per team.
 * The principal goes into the request's trace, for its log line.
 */
export async function actorFromRequest(
  request: FastifyRequest,
  services: CallerServices,
  dataSource: DataSource,
): Promise<{ actor: Actor; loaders: Loaders }> {
  const client = clientOf(request);
  const credentials = readCredentials(request.headers);
  let principal: Principal;
  try {
    principal = await authenticate(services, credentials, client, (checked) => {
      traceOf(request).checkedKey = checked;
    });
  } catch (error) {
    noteRefusal(services, request, client, credentials, error);
    throw error;
  }
  return actorAs(principal, request, services, dataSource);
}

/**
 * The request's caller as the given principal, whatever credentials it carries: the session route
 * signs people in as ANONYMOUS, so a stale cookie can't stand in the way of a new session.
 */
export function actorAs(
  principal: Principal,
  request: FastifyRequest,
  services: Pick<CallerServices, 'adminReads'>,
  dataSource: DataSource,
): { actor: Actor; loaders: Loaders } {
  traceOf(request).principal = principalInLog(principal);
  const loaders = createLoaders(dataSource);
  const access = new TeamAccess(principal, loaders, (teamId) =>
    services.adminReads.record(actor, teamId),
  );
  const actor: Actor = { principal, access, ...clientOf(request) };
  return { actor, loaders };
}

/** Credentials refused (401) or a caller over its failure limit (429): counted, never a row per request. */
function noteRefusal(
  services: Pick<CallerServices, 'securityLog'>,
  request: FastifyRequest,
  client: RequestClient,
  credentials: Credentials,
  error: unknown,
): void {
  const code = errorCode(error);
  if (code !== 'UNAUTHENTICATED' && code !== 'RATE_LIMITED') return;
  services.securityLog.note({
    action: 'security.authRefused',
    outcome: AuditOutcome.DENIED,
    principal: ANONYMOUS,
    ...client,
    code,
    credentialKind: credentials.kind,
    route: request.routeOptions.url ?? 'unmatched',
  });
}
