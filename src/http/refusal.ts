import type { FastifyReply } from 'fastify';
import { errorCode } from '../errors';

/**
 * Routes outside GraphQL answer a refusal in GraphQL's shape, `{ errors: [{ message, extensions:
 * { code } }] }`, with the HTTP status of its code: a client reads one kind of error everywhere.
 */
export const STATUS_OF: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 503,
};

export function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ errors: [{ message, extensions: { code } }] });
}

/**
 * A service's refusal (an error with a contract code) as the route's answer; anything else is not
 * a refusal and is thrown on, to the error handler.
 */
export function failWith(reply: FastifyReply, error: unknown) {
  const code = errorCode(error);
  if (code === undefined || code === 'INTERNAL_SERVER_ERROR' || !(error instanceof Error))
    throw error;
  return fail(reply, STATUS_OF[code] ?? 400, code, error.message);
}
