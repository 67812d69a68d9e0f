import type { IncomingHttpHeaders } from 'node:http';
import { unauthenticatedWholeRequest, rateLimitedWholeRequest } from '../errors';
import { VerificationCode } from '../modules/api-key/api-key.types';
import type { Services } from '../services';
import { ANONYMOUS, type Principal } from './principal';

export type Credentials =
  | { kind: 'none' }
  | { kind: 'session'; token: string }
  | { kind: 'apiKey'; key: string; secret: string }
  | { kind: 'malformed' };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads credentials from the request headers:
 * - `Authorization: Bearer <session token>` (people, from logIn/signUp);
 * - `Authorization: Basic base64(<api key>:<api secret>)` (applications);
 * - `X-Api-Key` + `X-Api-Secret` (applications whose client can't set Basic auth).
 */
export function readCredentials(headers: IncomingHttpHeaders): Credentials {
  const authorization = header(headers, 'authorization');
  const xKey = header(headers, 'x-api-key');
  const xSecret = header(headers, 'x-api-secret');
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
  return { kind: 'none' };
}

export interface ClientInfo {
  ip: string | null;
  requestId: string;
  clientRequestId?: string | null;
  userAgent: string | null;
  /** GraphQL operation name, for the trace of key use */
  operation?: string | null;
}

/**
 * Credentials -> principal. Any credentials that don't check out give the same 401, whatever
 * was wrong with them (unknown, wrong, expired, revoked, outside its allowed addresses): a
 * caller learns nothing about which keys or sessions exist.
 */
export async function authenticate(services: Pick<Services, 'users' | 'verifier'>, credentials: Credentials, client: ClientInfo): Promise<Principal> {
  switch (credentials.kind) {
    case 'none':
      return ANONYMOUS;
    case 'session': {
      const found = await services.users.authenticate(credentials.token);
      if (!found) throw unauthenticatedWholeRequest();
      return { type: 'USER', user: found.user, sessionId: found.sessionId };
    }
    case 'apiKey': {
      const { code, apiKey, permissions, scopes } = await services.verifier.verify({
        key: credentials.key,
        secret: credentials.secret,
        callerIp: client.ip,
        via: 'graphql',
        operation: client.operation ?? null,
        userAgent: client.userAgent,
        requestId: client.requestId,
        clientRequestId: client.clientRequestId,
      });
      if (code === VerificationCode.RATE_LIMITED) throw rateLimitedWholeRequest();
      if (code !== VerificationCode.VALID || !apiKey) throw unauthenticatedWholeRequest();
      return { type: 'API_KEY', apiKey, permissions, scopes };
    }
    default:
      throw unauthenticatedWholeRequest();
  }
}
