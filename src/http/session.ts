import { serialize } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Actor } from '../actor';
import { ANONYMOUS } from '../auth/principal';
import {
  isSameOriginRequest,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  sessionCookieOf,
} from '../auth/session-cookie';
import { actorAs, actorFromRequest } from '../context/request-context';
import { errorCode } from '../errors';
import type { Services } from '../modules/services';
import type { User } from '../modules/user/user.entity';
import { traceOf } from '../request/trace';
import { fail, failWith } from './refusal';

/**
 * The web app's session, on the same origin as the app:
 * - POST /v1/session `{ email, password }`: sign in (the limits and the audit of logIn);
 * - POST /v1/session/sign-up `{ email, password, name }`: create an account and sign in (signUp);
 * - DELETE /v1/session: sign out; the session ends on the server, not only in the browser.
 * The token goes into an HttpOnly, SameSite=Strict cookie and never into the answer, so no script
 * of the page can read it. Both POSTs take JSON only (a form of another site can't post JSON
 * without asking first) and only from this origin (no one signs a visitor in to their account).
 */
export function registerSessionRoutes(
  app: FastifyInstance,
  services: Services,
  dataSource: DataSource,
): void {
  const openSession = (operation: string, open: OpenSession) => {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      traceOf(request).operation = operation;
      reply.header('cache-control', 'no-store');
      if (!isSameOriginRequest(request.headers))
        return fail(reply, 403, 'FORBIDDEN', 'Sign in from a page of this service');
      const { actor } = actorAs(ANONYMOUS, request, services, dataSource);
      try {
        const { token, expiresAt, user } = await open(actor, request.body);
        reply.header('set-cookie', cookieHeader(request, token, expiresAt));
        return { user: { id: user.id, email: user.email, name: user.name } };
      } catch (error) {
        return failWith(reply, error);
      }
    };
  };
  const json = { schema: { body: { type: 'object' } } };
  app.post(
    '/v1/session',
    json,
    openSession('session.signIn', (actor, body) =>
      services.users.logIn(actor, fields(body, ['email', 'password'])),
    ),
  );
  app.post(
    '/v1/session/sign-up',
    json,
    openSession('session.signUp', (actor, body) =>
      services.users.signUp(actor, fields(body, ['email', 'password', 'name'])),
    ),
  );
  app.delete('/v1/session', async (request, reply) => {
    traceOf(request).operation = 'session.signOut';
    reply.header('cache-control', 'no-store');
    try {
      const { actor } = await actorFromRequest(request, services, dataSource);
      await services.users.logOut(actor);
    } catch (error) {
      // a session that already ended is signed out too: only the cookie is left to clear
      if (errorCode(error) !== 'UNAUTHENTICATED') throw error;
    }
    return reply.header('set-cookie', clearedCookie(request)).code(204).send();
  });
  clearRefusedCookies(app);
}

/** Signs in or signs up the anonymous caller with the request's body: a new session. */
type OpenSession = (
  actor: Actor,
  body: unknown,
) => Promise<{ token: string; expiresAt: Date; user: User }>;

/** The named fields of a JSON body, each a string ('' when missing or of another type: the service refuses it). */
function fields<K extends string>(body: unknown, names: readonly K[]): Record<K, string> {
  const source = (body ?? {}) as Record<string, unknown>;
  const out = {} as Record<K, string>;
  for (const name of names) {
    const value = source[name];
    out[name] = typeof value === 'string' ? value : '';
  }
  return out;
}

/**
 * The Set-Cookie of the session (an empty value that expired long ago clears it). Secure, and named
 * with `__Host-`, when the browser reached us over HTTPS, directly or through a named proxy.
 */
function cookieHeader(request: FastifyRequest, token: string, expires: Date): string {
  const secure = request.protocol === 'https';
  return serialize(secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/',
    expires,
  });
}

const clearedCookie = (request: FastifyRequest) => cookieHeader(request, '', new Date(0));

/**
 * A session cookie that was refused (expired, ended elsewhere) is cleared with the 401, so that the
 * browser's next request is simply signed out instead of refused again.
 */
function clearRefusedCookies(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 401 && sessionCookieOf(request.headers) !== undefined)
      reply.header('set-cookie', clearedCookie(request));
    return payload;
  });
}
