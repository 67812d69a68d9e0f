import type { FastifyRequest } from 'fastify';

/** What one request did, for its log line and metrics: filled in as it runs. */
export interface RequestTrace {
  /** `query:viewer`, `mutation:createApiKey`, `invalid`; unset outside GraphQL (the route names it) */
  operation?: string;
  /** `user:<id>`, `apiKey:<id>`; unset: anonymous */
  principal?: string;
  /** `ok` or the first error code; unset: from the HTTP status */
  outcome?: string;
  /**
   * the key whose credentials were checked, the answer, and the client address the caller named
   * (its usage is counted per minute: this is the request's own detail)
   */
  checkedKey?: { id: string; code: string; clientIp?: string | null };
  /** at /v1/authorize: the method and path of the request the proxy forwards */
  forwarded?: string;
}

const traces = new WeakMap<FastifyRequest, RequestTrace>();

/** The request's trace, begun on first use. */
export function traceOf(request: FastifyRequest): RequestTrace {
  let trace = traces.get(request);
  if (!trace) traces.set(request, (trace = {}));
  return trace;
}
