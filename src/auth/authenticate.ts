import type { IncomingHttpHeaders } from 'node:http';
import {
  unauthenticatedWholeRequest,
  rateLimitedWholeRequest,
  usageExceededWholeRequest,
} from '../errors';
import { VerificationCode } from '../modules/api-key/api-key.types';
import type { VerifyRequest, VerifyResult } from '../modules/api-key/api-key-verifier';
import { secondsUntil } from '../modules/api-key/key-rate-limiter';
import type { User } from '../modules/user/user.entity';
import type { RequestClient } from '../request/client';
import { firstHeader } from '../request/headers';
import { ANONYMOUS, type Principal } from './principal';
import { isSameOriginRequest, sessionCookieOf } from './session-cookie';

export type Credentials =
  | { kind: 'none' }
  | { kind: 'session'; token: string }
  | { kind: 'apiKey'; key: string; secret: string }
  | { kind: 'malformed' };

/**
 * Reads credentials from the request headers:
 * - `Authorization: Bearer <session token>` (people, from logIn/signUp);
 * - `Authorization: Basic base64(<api key>:<api secret>)` (applications);
 * - `X-Api-Key` + `X-Api-Secret` (applications whose client can't set Basic auth);
 * - the session cookie (people in the web app and the playground), only on a request from this
 *   origin: a page elsewhere that makes the browser send it gets no credentials at all.
 * Headers come first: a client that sends one means it, whatever cookie the browser adds.
 */
export function readCredentials(headers: IncomingHttpHeaders): Credentials {
  const authorization = firstHeader(headers, 'authorization');
  const xKey = firstHeader(headers, 'x-api-key');
  const xSecret = firstHeader(headers, 'x-api-secret');
  if (authorization) {
    const match = /^(\S+)\s+(\S+)\s*$/.exec(authorization);
    if (!match) return { kind: 'malformed' };
    const scheme = match[1].toLowerCase();
    if (scheme === 'bearer') return { kind: 'session', token: match[2] };
    if (scheme === 'basic') {
      const decoded = Buffer.from(match[2], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 1) return { kind: 'malformed' };
      return { kind: 'apiKey', key: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    }
    return { kind: 'malformed' };
  }
  if (xKey !== undefined || xSecret !== undefined) {
    return xKey && xSecret ? { kind: 'apiKey', key: xKey, secret: xSecret } : { kind: 'malformed' };
  }
  const cookie = sessionCookieOf(headers);
  if (cookie !== undefined && isSameOriginRequest(headers))
    return { kind: 'session', token: cookie };
  return { kind: 'none' };
}

/** What authenticating needs of the services: the session behind a token, the check of a key. */
export interface Authenticators {
  users: { authenticate(token: string): Promise<{ user: User; sessionId: string } | null> };
  verifier: { verify(request: VerifyRequest): Promise<VerifyResult> };
}

/**
 * Credentials -> principal. Any credentials that don't check out give the same 401, whatever
 * was wrong with them (unknown, wrong, expired, revoked, outside its allowed addresses): a
 * caller learns nothing about which keys or sessions exist.
 */
export async function authenticate(
  services: Authenticators,
  credentials: Credentials,
  client: RequestClient,
  /** told which key the credentials named and the answer, for the request's log line */
  onKeyChecked: (checked: { id: string; code: string }) => void = () => undefined,
): Promise<Principal> {
  switch (credentials.kind) {
    case 'none':
      return ANONYMOUS;
    case 'session': {
      const found = await services.users.authenticate(credentials.token);
      if (!found) throw unauthenticatedWholeRequest();
      return { type: 'USER', user: found.user, sessionId: found.sessionId };
    }
    case 'apiKey': {
      const { key, secret } = credentials;
      const { code, keyId, principal, rateLimit, credits } = await services.verifier.verify({
        key,
        secret,
        via: 'graphql',
        caller: client,
      });
      if (keyId) onKeyChecked({ id: keyId, code });
      if (code === VerificationCode.RATE_LIMITED)
        throw rateLimitedWholeRequest(
          rateLimit ? Math.max(1, secondsUntil(rateLimit.resetAt)) : undefined,
        );
      if (code === VerificationCode.USAGE_EXCEEDED)
        throw usageExceededWholeRequest(
          credits?.refillAt ? Math.max(1, secondsUntil(credits.refillAt)) : null,
        );
      if (!principal) throw unauthenticatedWholeRequest();
      return principal;
    }
    default:
      throw unauthenticatedWholeRequest();
  }
}
