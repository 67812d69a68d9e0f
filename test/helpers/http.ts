import { randomInt } from 'node:crypto';
import http from 'node:http';
import { newApiSecret } from '../../src/modules/api-key/api-key-format';
import {
  VerifyApiCredentialsDocument,
  type VerifyApiCredentialsMutation,
} from '../clients/generated/graphql';
import type { Gql } from './graphql';

/** Idle connections it keeps are unref'd: they hold no test process open. */
const keepAliveAgent = new http.Agent({ keepAlive: true });

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** the source address, e.g. uniqueLoopback() */
  localAddress?: string;
  /** give up when the server says nothing for this long */
  timeoutMs?: number;
  /** reuse a connection (as a browser or fetch would); by default each request has its own */
  keepAlive?: boolean;
}

/**
 * Plain HTTP from a chosen loopback source address. All of 127.0.0.0/8 is loopback on Linux, so
 * a test can talk to the server from its own address: the server sees it as the client address
 * (request.ip), which lets a test own its rate-limit buckets instead of sharing 127.0.0.1 with
 * every other test file of the run (the failure counts live in the shared database).
 */
export function httpRequest(url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const { body } = options;
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        // a body of known length, as fetch sends it (not chunked)
        headers:
          body === undefined
            ? options.headers
            : { 'content-length': `${Buffer.byteLength(body)}`, ...options.headers },
        localAddress: options.localAddress,
        agent: options.keepAlive ? keepAliveAgent : false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // the socket's silence, not the whole exchange: a server that stopped answering
    const { timeoutMs } = options;
    if (timeoutMs)
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * A fresh address in 127.0.0.0/8, distinct per call in practice; never 127.0.0.1, nor in
 * 127.77.0.0/16, which tests name as their trusted gateways (uniqueLoopbackIn('127.77')).
 */
export function uniqueLoopback(): string {
  let second = randomInt(1, 255);
  if (second === 77) second = 78;
  return `127.${second}.${randomInt(0, 256)}.${randomInt(2, 255)}`;
}

/** A fresh address in a /16 of loopback, e.g. uniqueLoopbackIn('127.77') for a trusted gateway. */
export function uniqueLoopbackIn(prefix: string): string {
  return `${prefix}.${randomInt(0, 256)}.${randomInt(2, 255)}`;
}

/** verifyApiCredentials through `gql` (t.gql, or a graphqlClient from another address). */
export async function verifyWith(
  gql: Gql,
  key: string,
  secret: string,
  extra: { requiredScopes?: string[]; clientIp?: string } = {},
): Promise<VerifyApiCredentialsMutation['verifyApiCredentials']> {
  const res = await gql(VerifyApiCredentialsDocument, { key, secret, ...extra });
  if (!res.data?.verifyApiCredentials)
    throw new Error(`verify failed (${res.status}): ${res.text}`);
  return res.data.verifyApiCredentials;
}

/** Poll `check` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = 5_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await check();
  while (!value && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    value = await check();
  }
  return value;
}

/**
 * A secret that differs from `secret` only inside its 6-character checksum: the body is intact,
 * so only the checksum can tell it was not issued.
 */
export function withBadChecksum(secret: string): string {
  const last = secret.at(-1)!;
  return secret.slice(0, -1) + (last === 'A' ? 'B' : 'A');
}

/** A secret that differs in its random body (one character), checksum left as it was. */
export function withBadBody(secret: string, at = 10): string {
  const c = secret[at];
  return secret.slice(0, at) + (c === 'A' ? 'B' : 'A') + secret.slice(at + 1);
}

/** A secret in the right format with a correct checksum that was never issued to any key. */
export function unissuedSecret(): string {
  return newApiSecret();
}
