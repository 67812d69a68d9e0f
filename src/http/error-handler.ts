import type { FastifyInstance } from 'fastify';
import { DATABASE_UNAVAILABLE_ANSWER, isDatabaseUnavailable } from '../database-unavailable';
import { traceOf } from '../request/trace';

/**
 * Anything that escapes a route: a database out of reach is a 503 that says so; any other
 * server error a bare 500 (logged here, never echoed: no SQL, no internals); client errors
 * (bad JSON, unsupported content type, body too large) keep Fastify's 4xx answer.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      traceOf(request).outcome ??= 'DATABASE_UNAVAILABLE';
      return reply.code(503).send({ errors: [DATABASE_UNAVAILABLE_ANSWER] });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
      return reply.send(error);
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({
      errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
  });
}
