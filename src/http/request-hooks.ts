import type { FastifyInstance } from 'fastify';
import { clientRequestIdOf } from '../request/request-id';
import { traceOf, type RequestTrace } from '../request/trace';
import type { Metrics } from './metrics';

/**
 * What every request gets, whatever its route: its id in the X-Request-Id answer; while the server
 * stops, `Connection: close` on the answer (load balancers move away, clients reconnect elsewhere);
 * once answered, its count in the metrics and one log line. The line holds ids and outcomes only
 * (from the request's trace): no headers, no bodies, no variables.
 */
export function registerRequestHooks(
  app: FastifyInstance,
  metrics: Pick<Metrics, 'httpRequests'>,
  stopping: () => boolean,
): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (stopping()) reply.header('connection', 'close');
  });
  // The line is made of fixed fields, never of an object a client sent, so the logger's redaction
  // paths (a second line of defence for the other lines) can't match anything in it: skipping
  // them saves a third of the line's cost, on every request.
  const lines = app.log.child({}, { redact: [] });
  app.addHook('onResponse', async (request, reply) => {
    const trace = traceOf(request);
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: reply.statusCode });
    const clientRequestId = clientRequestIdOf(request.headers);
    lines.info(
      {
        reqId: request.id,
        ...(clientRequestId ? { clientRequestId } : {}),
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        operation: trace.operation ?? `${request.method} ${route}`,
        principal: trace.principal ?? 'anonymous',
        outcome: trace.outcome ?? (reply.statusCode < 400 ? 'ok' : `http_${reply.statusCode}`),
        ...keyFields(trace),
        ...(trace.forwarded ? { forwarded: trace.forwarded } : {}),
      },
      'request',
    );
  });
}

/** The key a request checked, for its log line: its id, the answer, the client address named. */
function keyFields({ checkedKey }: RequestTrace): Record<string, string> {
  if (!checkedKey) return {};
  const { id, code, clientIp } = checkedKey;
  return { apiKeyId: id, keyCode: code, ...(clientIp ? { namedClientIp: clientIp } : {}) };
}
