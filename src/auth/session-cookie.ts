import { parse } from 'cookie';
import type { IncomingHttpHeaders } from 'node:http';
import { firstHeader } from '../request/headers';

/**
 * The browser's session: the web app and the playground never hold the token; it lives in an
 * HttpOnly, SameSite=Strict cookie set by the session route. Over HTTPS its name carries the
 * `__Host-` prefix, which browsers accept only from a secure origin, for the whole host and path
 * `/`: no subdomain and no plain-HTTP page can plant or shadow it.
 */
export const SESSION_COOKIE = 'empress_session';
export const SECURE_SESSION_COOKIE = '__Host-empress_session';

/** The session token in the request's cookie, whether or not the request may use it. */
export function sessionCookieOf(headers: IncomingHttpHeaders): string | undefined {
  const raw = firstHeader(headers, 'cookie');
  if (!raw || !raw.includes(SESSION_COOKIE)) return undefined;
  const cookies = parse(raw);
  return cookies[SECURE_SESSION_COOKIE] ?? cookies[SESSION_COOKIE] ?? undefined;
}

/**
 * Whether a request comes from a page of this very origin, so that its cookie may act. A page of
 * another origin can make the browser send the cookie (a form posted to /graphql, an image):
 * SameSite=Strict stops other sites, and this check stops other origins of the same site (a
 * sibling subdomain) too. Browsers say where a request comes from in `Sec-Fetch-Site` (`none`: the
 * user typed the address or followed a bookmark); those that don't send `Origin` on every POST,
 * which must then name this host. A request with neither is not from a web page (curl, a script):
 * no page can have forged it.
 */
export function isSameOriginRequest(headers: IncomingHttpHeaders): boolean {
  const site = firstHeader(headers, 'sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = firstHeader(headers, 'origin');
  if (origin === undefined) return true;
  const host = firstHeader(headers, 'host');
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
