import type { FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Actor } from '../actor';
import { authenticate, readCredentials } from '../auth/authenticate';
import { clientRequestIdOf } from '../http/request-id';
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
 * principal (throws the 401 or 429 to answer when they don't check out), its permissions looked
 * up through the request's own loaders, once per team.
 */
export async function actorFromRequest(
  request: FastifyRequest,
  services: Pick<Services, 'users' | 'verifier'>,
  dataSource: DataSource,
  operation: string | null,
): Promise<{ actor: Actor; loaders: Loaders }> {
  const client = clientOf(request, operation);
  const principal = await authenticate(services, readCredentials(request.headers), client);
  const loaders = createLoaders(dataSource);
  const { requestId, clientRequestId, ip, userAgent } = client;
  const actor: Actor = { principal, access: new TeamAccess(principal, loaders), requestId, clientRequestId, ip, userAgent };
  return { actor, loaders };
}
