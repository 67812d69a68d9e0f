import type { FastifyRequest } from 'fastify';
import { firstHeader } from './headers';
import { clientRequestIdOf } from './request-id';

/** Who sent a request and from where, as audit rows and key traces record it. */
export interface RequestClient {
  /** the address the request came from (X-Forwarded-For only from a proxy named in TRUST_PROXY) */
  ip: string | null;
  /** the server's own id of the request */
  requestId: string;
  /** the id the client gave it (X-Request-Id, cleaned) */
  clientRequestId: string | null;
  userAgent: string | null;
}

export function clientOf(request: FastifyRequest): RequestClient {
  return {
    ip: request.ip ?? null,
    requestId: request.id,
    clientRequestId: clientRequestIdOf(request.headers),
    userAgent: firstHeader(request.headers, 'user-agent') ?? null,
  };
}
