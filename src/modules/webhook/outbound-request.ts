import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isPublicAddress } from '../../security/public-address';

/** Deliveries wait this long in all (connecting, sending, the answer's head and body). */
export const TIMEOUT_MS = 10_000;
/** Of an answer's body, this much is read (and kept, cut shorter, for the delivery's record). */
export const MAX_BODY_BYTES = 16 * 1024;

export interface OutboundAnswer {
  status: number;
  durationMs: number;
}

/** A URL this service may not send to, or an answer it could not get: said in plain words. */
export class DeliveryRefused extends Error {}

/**
 * Whether a URL may be an endpoint: https (http only when private addresses are allowed), no
 * user name or password in it. Where it points is checked again at every delivery.
 */
export function endpointUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute https:// URL';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    return 'url must be an https:// URL';
  if (url.username || url.password) return 'url must not hold a user name or password';
  if (url.hash) return 'url must not hold a #fragment';
  if (!allowPrivate && isIP(bare(url.hostname)) && !isPublicAddress(bare(url.hostname)))
    return 'url must point to a public address';
  return null;
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

/**
 * The one address a delivery connects to, resolved now (not only when the endpoint was
 * registered: a name can be pointed elsewhere at any time) and refused unless every address the
 * name has is public. The request then goes to that address, so a second resolution can't send
 * it somewhere else (DNS rebinding).
 */
async function addressOf(url: URL, allowPrivate: boolean): Promise<string> {
  const host = bare(url.hostname);
  const addresses = isIP(host)
    ? [host]
    : (await lookup(host, { all: true, verbatim: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new DeliveryRefused('the endpoint name does not resolve');
  if (!allowPrivate && !addresses.every(isPublicAddress))
    throw new DeliveryRefused('the endpoint resolves to an address that is not public');
  return addresses[0];
}

/**
 * POSTs a delivery. Redirects are not followed (a 3xx is an answer, and a failed one); at most
 * MAX_BODY_BYTES of the answer are read; the whole exchange ends after TIMEOUT_MS.
 */
export async function postJson(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  allowPrivate: boolean,
): Promise<OutboundAnswer> {
  const url = new URL(rawUrl);
  const problem = endpointUrlProblem(rawUrl, allowPrivate);
  if (problem) throw new DeliveryRefused(problem);
  const address = await addressOf(url, allowPrivate);
  const started = performance.now();
  const secure = url.protocol === 'https:';
  return new Promise<OutboundAnswer>((resolve, reject) => {
    const request = (secure ? https : http).request({
      host: address,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      // the certificate is checked against the endpoint's name, not the address connected to
      servername: isIP(bare(url.hostname)) ? undefined : bare(url.hostname),
      headers: {
        ...headers,
        host: url.host,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'Empress-Webhooks/1',
      },
      agent: false,
      timeout: TIMEOUT_MS,
    });
    const deadline = setTimeout(
      () => request.destroy(new DeliveryRefused('timed out')),
      TIMEOUT_MS,
    );
    request.on('timeout', () => request.destroy(new DeliveryRefused('timed out')));
    request.on('error', (error) => {
      clearTimeout(deadline);
      reject(error instanceof DeliveryRefused ? error : new DeliveryRefused(error.message));
    });
    request.on('response', (response) => {
      let read = 0;
      const done = () => {
        clearTimeout(deadline);
        resolve({
          status: response.statusCode ?? 0,
          durationMs: Math.round(performance.now() - started),
        });
      };
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_BODY_BYTES) {
          response.destroy();
          done();
        }
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.end(body);
  });
}
