import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { firstHeader } from './headers';

/**
 * Every request gets an id of the server's own, unique whatever the caller sends: it is the id in
 * the X-Request-Id answer, the log line and every audit row of the request. A caller that chose
 * the id could make two requests look like one, or point at someone else's.
 */
export function newRequestId(): string {
  return randomUUID();
}

const CLIENT_REQUEST_ID_MAX = 64;
const UNSAFE = /[^A-Za-z0-9._:=/+-]/g;

/**
 * The caller's own X-Request-Id (a gateway's, a client library's), kept as the client's id beside
 * the server's: only characters safe in logs, CSV and URLs, at most 64 of them; null when none.
 */
export function clientRequestIdOf(headers: IncomingHttpHeaders): string | null {
  const value = firstHeader(headers, 'x-request-id');
  if (typeof value !== 'string') return null;
  const clean = value.replace(UNSAFE, '').slice(0, CLIENT_REQUEST_ID_MAX);
  return clean.length > 0 ? clean : null;
}
