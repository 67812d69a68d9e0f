import type { IncomingHttpHeaders } from 'node:http';

/** A header's value; the first one when the header came more than once. */
export function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
