import type { FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Actor } from '../actor';
import { authenticate, readCredentials, type Credentials } from '../auth/authenticate';
import { ANONYMOUS, type Principal } from '../auth/principal';
import { errorCode } from '../errors';
import { clientRequestIdOf } from './request-id';
import { AuditOutcome } from '../modules/audit/audit-event.entity';
import { TeamAccess } from '../permissions/team-access';
import type { Services } from '../services';
import { createLoaders, type Loaders } from './loaders';

/** Who sent a request and from where, as audit rows and key traces record it. */
export interface RequestClient {
  ip: string | null;
  /** the server's own id of the request */
  requestId: string;
  /** the id the client gave it, cleaned (X-Request-Id) */
  clientRequestId: string | null;
  userAgent: string | null;
  /** the GraphQL operation name or the route, for the trace of key use */
  operation: string | null;
}

export function clientOf(request: FastifyRequest, operation: string | null): RequestClient {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip ?? null,
    requestId: request.id,
    clientRequestId: clientRequestIdOf(request.headers),
    userAgent: typeof userAgent === 'string' ? userAgent : null,
    operation,
  };
}

/**
 * A request's caller, for GraphQL and the routes outside it alike: its credentials turned into a
 * principal (throws the 401 or 429 to answer when they don't check out, after counting the refusal
 * in the security log), its permissions looked up through the request's own loaders, once per team.
 */
export async function actorFromRequest(
  request: FastifyRequest,
  services: Pick<Services, 'users' | 'verifier' | 'securityLog' | 'adminReads'>,
  dataSource: DataSource,
  operation: string | null,
): Promise<{ actor: Actor; loaders: Loaders }> {
  const client = clientOf(request, operation);
  const credentials = readCredentials(request.headers);
  let principal: Principal;
  try {
    principal = await authenticate(services, credentials, client);
  } catch (error) {
    noteRefusal(services, request, client, credentials, error);
    throw error;
  }
  const loaders = createLoaders(dataSource);
  const access = new TeamAccess(principal, loaders, (teamId) => services.adminReads.record(actor, teamId));
  const { requestId, clientRequestId, ip, userAgent } = client;
  const actor: Actor = { principal, access, requestId, clientRequestId, ip, userAgent };
  return { actor, loaders };
}

/** Credentials refused (401) or a caller over its failure limit (429): counted, never a row per request. */
function noteRefusal(
  services: Pick<Services, 'securityLog'>,
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
    ip: client.ip,
    userAgent: client.userAgent,
    requestId: client.requestId,
    clientRequestId: client.clientRequestId,
    code,
    credentialKind: credentials.kind,
    route: request.routeOptions.url ?? 'unmatched',
  });
}
