import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { httpRequest } from './http';

/**
 * The one GraphQL client of the tests and the benchmarks: POST /graphql over real HTTP (node:http,
 * a new connection per request unless keepAlive), optionally from a chosen local address, with
 * any headers.
 *
 * A document is one of:
 * - a TypedDocumentNode generated from test/clients/operations.graphql (`npm run codegen`): the
 *   variables are checked and `data` is typed, both against schema.graphql;
 * - a string made with typed<Shape>(…): `data` has the shape the test names (nothing checks it
 *   against the schema; the test's assertions do), for a document only one test sends;
 * - a plain string: `data` is a `Record<string, unknown>`, for answers a test compares whole.
 */

/** One entry of a GraphQL answer's `errors`. */
export interface GraphQLErrorEntry {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** What the server answered: the HTTP status and headers, the parsed body and the raw text. */
export interface GraphQLAnswer<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: TData | null;
  /** the body's errors; a body that is not JSON comes back as one error carrying its text */
  errors?: GraphQLErrorEntry[];
  text: string;
}

export type Variables = Record<string, unknown>;

declare const dataShape: unique symbol;

/** A string document that carries the shape of its data (see typed). */
export type TypedString<TData> = string & { readonly [dataShape]?: TData };

/** `text`, with the shape of the data it asks for: typed<{ me: { id: string } }>(`{ me { id } }`). */
export function typed<TData>(text: string): TypedString<TData> {
  return text;
}

export interface Gql {
  <TData, TVariables extends Variables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
    headers?: Record<string, string>,
  ): Promise<GraphQLAnswer<TData>>;
  <TData>(
    document: TypedString<TData>,
    variables?: Variables,
    headers?: Record<string, string>,
  ): Promise<GraphQLAnswer<TData>>;
  <TData = Record<string, unknown>>(
    document: string,
    variables?: Variables,
    headers?: Record<string, string>,
  ): Promise<GraphQLAnswer<TData>>;
}

export interface ClientOptions {
  /** the local (source) address to send from, e.g. uniqueLoopback(): the server's client address */
  from?: string;
  /** sent with every request; a call's own headers win */
  headers?: Record<string, string>;
  /** give up when the server says nothing for this long (default: wait) */
  timeoutMs?: number;
  /** reuse connections between requests (default: a new connection each time) */
  keepAlive?: boolean;
}

/** A client of the server at `baseUrl` (http://127.0.0.1:<port>). */
export function graphqlClient(baseUrl: string, options: ClientOptions = {}): Gql {
  const send = (
    document: AnyDocument,
    variables?: Variables,
    headers: Record<string, string> = {},
  ) =>
    postGraphQL(baseUrl, JSON.stringify({ query: documentText(document), variables }), {
      ...options,
      headers: { ...options.headers, ...headers },
    });
  return send;
}

/**
 * POST `body` as it is (JSON of one operation, a batch, or something malformed on purpose) to
 * `baseUrl`/graphql with content-type application/json unless `headers` say otherwise.
 */
export async function postGraphQL<TData = Record<string, unknown>>(
  baseUrl: string,
  body: string,
  options: ClientOptions = {},
): Promise<GraphQLAnswer<TData>> {
  const res = await httpRequest(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body,
    localAddress: options.from,
    timeoutMs: options.timeoutMs,
    keepAlive: options.keepAlive,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const parsed = parseBody<TData>(res.text);
  return { status: res.status, headers, data: parsed.data, errors: parsed.errors, text: res.text };
}

function parseBody<TData>(text: string): { data?: TData | null; errors?: GraphQLErrorEntry[] } {
  try {
    const body: unknown = JSON.parse(text);
    return body !== null && typeof body === 'object' ? body : { errors: [{ message: text }] };
  } catch {
    return { errors: [{ message: text }] };
  }
}

/** Any document, typed or not: for a table of rows that each send a different operation. */
export type AnyDocument = string | TypedDocumentNode<unknown, never>;

const printed = new WeakMap<object, string>();

/** The text of a document (a TypedDocumentNode printed once). */
export function documentText(document: AnyDocument): string {
  if (typeof document === 'string') return document;
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** The contract code of the first error (extensions.code), if any. */
export function codeOf(res: { errors?: GraphQLErrorEntry[] }): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}
