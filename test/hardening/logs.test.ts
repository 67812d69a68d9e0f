import { PASSWORD, uniqueEmail } from '../helpers/factories';
import { httpRequest, uniqueLoopback } from '../helpers/http';
import { LineCollector } from '../helpers/log-lines';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Logs: with LOG_LEVEL=info the service writes one JSON line per request (request id,
 * operation, principal, outcome, duration), and not one of the secrets, passwords, session
 * tokens or Authorization header values that crossed the wire during a whole key lifecycle
 * shows up anywhere in the log.
 */

interface Sent {
  what: string;
  requestId: string;
  status: number;
}

let t: TestServer;
const log = new LineCollector();
const sent: Sent[] = [];
/** every credential that crossed the wire, in every form it took */
const secrets = new Set<string>();
const from = uniqueLoopback();

function remember(...values: (string | undefined | null)[]): void {
  for (const value of values) if (value) secrets.add(value);
}

/** remember a secret and the forms it may leak in: without prefix, and an Authorization header value */
function rememberSecret(value: string): void {
  remember(value, value.replace(/^em[a-z]{2}_/, ''));
}

async function call(
  what: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
) {
  const headers = {
    ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    'user-agent': 'logs-test',
    ...options.headers,
  };
  for (const [name, value] of Object.entries(headers)) {
    if (/^(authorization|x-api-secret)$/i.test(name)) remember(value, value.replace(/^\S+\s+/, ''));
  }
  const res = await httpRequest(`${t.url}${url}`, {
    method: options.method ?? (options.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    localAddress: from,
  });
  const requestId = String(res.headers['x-request-id']);
  sent.push({ what, requestId, status: res.status });
  return { status: res.status, text: res.text, json: () => JSON.parse(res.text) };
}

async function gql(
  what: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const res = await call(what, '/graphql', { body: { query, variables }, headers });
  const body = res.json();
  if (body.errors && !/expected-error/.test(what)) throw new Error(`${what}: ${res.text}`);
  return body.data;
}

const basicOf = (key: string, secret: string) =>
  `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

beforeAll(async () => {
  t = await startTestServer({ LOG_LEVEL: 'info' }, { logStream: log });

  // --- the whole key lifecycle, over HTTP ---
  const email = uniqueEmail('logs');
  remember(PASSWORD);
  const signedUp = await gql(
    'signUp',
    `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, name: "Logs") { token } }`,
    { e: email, p: PASSWORD },
  );
  rememberSecret(signedUp.signUp.token);
  const wrongPassword = 'not-the-password-but-still-secret';
  remember(wrongPassword);
  await gql(
    'logIn wrong (expected-error)',
    `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`,
    { e: email, p: wrongPassword },
  );
  const loggedIn = await gql(
    'logIn',
    `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`,
    { e: email, p: PASSWORD },
  );
  const token: string = loggedIn.logIn.token;
  rememberSecret(token);
  const bearer = { authorization: `Bearer ${token}` };

  const team = (
    await gql('createTeam', `mutation { createTeam(name: "Log team") { id } }`, {}, bearer)
  ).createTeam;
  const created = (
    await gql(
      'createApiKey',
      `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id key } } }`,
      { i: { teamId: team.id, name: 'logged', scopes: ['team:read', 'audit:read'] } },
      bearer,
    )
  ).createApiKey;
  const key: string = created.apiKey.key;
  const keyId: string = created.apiKey.id;
  rememberSecret(created.secret);

  await gql(
    'use key with Basic',
    `{ viewer { type } team(id: "${team.id}") { name } }`,
    {},
    { authorization: basicOf(key, created.secret) },
  );
  await gql(
    'use key with X-Api-Key',
    `{ viewer { type } }`,
    {},
    { 'x-api-key': key, 'x-api-secret': created.secret },
  );
  await gql(
    'use wrong secret with Basic (expected-error)',
    `{ viewer { type } }`,
    {},
    { authorization: basicOf(key, 'emps_' + 'x'.repeat(49)) },
  );
  remember('emps_' + 'x'.repeat(49));
  await gql(
    'verifyApiCredentials',
    `mutation($k: String!, $s: String!) { verifyApiCredentials(key: $k, secret: $s, requiredScopes: ["team:read"]) { valid code } }`,
    { k: key, s: created.secret },
  );
  await call('authorize', '/v1/authorize', {
    headers: { authorization: basicOf(key, created.secret), 'x-required-scopes': 'team:read' },
  });
  await call('authorize with X-Api-Key', '/v1/authorize', {
    headers: { 'x-api-key': key, 'x-api-secret': created.secret },
  });

  const regenerated = (
    await gql(
      'regenerateApiKeySecret',
      `mutation($id: ID!) { regenerateApiKeySecret(id: $id) { secret } }`,
      { id: keyId },
      bearer,
    )
  ).regenerateApiKeySecret;
  rememberSecret(regenerated.secret);
  await call('authorize old secret', '/v1/authorize', {
    headers: { authorization: basicOf(key, created.secret) },
  });
  await call('authorize new secret', '/v1/authorize', {
    headers: { authorization: basicOf(key, regenerated.secret) },
  });
  await gql(
    'revokeApiKey',
    `mutation($id: ID!) { revokeApiKey(id: $id) { status } }`,
    { id: keyId },
    bearer,
  );
  await call('authorize revoked', '/v1/authorize', {
    headers: { authorization: basicOf(key, regenerated.secret) },
  });

  const exported = await call('audit export', `/v1/audit/export?teamId=${team.id}`, {
    headers: bearer,
  });
  expect(exported.status).toBe(200);
  await call('audit export as key (revoked)', `/v1/audit/export?teamId=${team.id}`, {
    headers: { authorization: basicOf(key, regenerated.secret) },
  });
  await gql('logOut', `mutation { logOut }`, {}, bearer);
  await gql('use dead session (expected-error)', `{ me { id } }`, {}, bearer);
  await call('healthz', '/healthz');

  // the usage recorder writes every second; let it run, then stop: everything it logs is in
  await new Promise((r) => setTimeout(r, 1_200));
  await t.close();
});

function parsed(): Record<string, unknown>[] {
  return log.lines.map((line) => JSON.parse(line));
}

describe('request log', () => {
  it('writes only JSON lines, each key once', () => {
    expect(log.lines.length).toBeGreaterThan(sent.length);
    for (const line of log.lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      // JSON.parse keeps the last of two equal keys; a log pipeline may not
      expect(line.match(/"reqId":/g)?.length ?? 0).toBeLessThanOrEqual(1);
    }
  });

  it(`writes exactly one line per request, for each of the lifecycle's requests`, () => {
    expect(sent.length).toBeGreaterThanOrEqual(20);
    const lines = parsed().filter((l) => l.msg === 'request');
    expect(lines).toHaveLength(sent.length);
    for (const request of sent) {
      const mine = lines.filter((l) => l.reqId === request.requestId);
      expect({ what: request.what, count: mine.length }).toEqual({ what: request.what, count: 1 });
    }
  });

  it('gives each line reqId, operation, principal, outcome, durationMs (and status, route)', () => {
    const lines = parsed().filter((l) => l.msg === 'request');
    for (const request of sent) {
      const line = lines.find((l) => l.reqId === request.requestId)!;
      expect({ what: request.what, line }).toEqual({
        what: request.what,
        line: expect.objectContaining({
          level: 30,
          reqId: request.requestId,
          operation: expect.any(String),
          principal: expect.stringMatching(/^(anonymous|user:[0-9a-f-]{36}|apiKey:[0-9a-f-]{36})$/),
          outcome: expect.any(String),
          durationMs: expect.any(Number),
          status: request.status,
          route: expect.any(String),
        }),
      });
    }
  });

  it('names GraphQL operations by type and first field, and tells the outcome', () => {
    const byWhat = (what: string) => {
      const request = sent.find((s) => s.what === what)!;
      return parsed().find((l) => l.msg === 'request' && l.reqId === request.requestId)!;
    };
    expect(byWhat('createApiKey')).toMatchObject({
      operation: 'mutation:createApiKey',
      outcome: 'ok',
      principal: expect.stringMatching(/^user:/),
    });
    expect(byWhat('logIn wrong (expected-error)')).toMatchObject({
      operation: 'mutation:logIn',
      outcome: 'UNAUTHENTICATED',
      principal: 'anonymous',
    });
    expect(byWhat('use key with Basic')).toMatchObject({
      operation: 'query:viewer',
      outcome: 'ok',
      principal: expect.stringMatching(/^apiKey:/),
    });
    expect(byWhat('use wrong secret with Basic (expected-error)')).toMatchObject({
      status: 401,
      principal: 'anonymous',
      outcome: 'UNAUTHENTICATED',
    });
    expect(byWhat('verifyApiCredentials')).toMatchObject({
      operation: 'mutation:verifyApiCredentials',
      outcome: 'ok',
    });
    expect(byWhat('authorize')).toMatchObject({
      route: '/v1/authorize',
      status: 200,
      outcome: 'ok',
      principal: expect.stringMatching(/^apiKey:/),
    });
    expect(byWhat('authorize old secret')).toMatchObject({ status: 401, principal: 'anonymous' });
    expect(byWhat('audit export')).toMatchObject({
      route: '/v1/audit/export',
      status: 200,
      principal: expect.stringMatching(/^user:/),
    });
  });

  it('keeps every secret, password, session token and Authorization header value out of the log', () => {
    const whole = log.lines.join('\n');
    expect(secrets.size).toBeGreaterThanOrEqual(12);
    const leaked = [...secrets].filter((secret) => whole.includes(secret));
    expect(leaked).toEqual([]);
    // nor any Authorization-looking header or credential field at all
    expect(whole).not.toMatch(
      /"authorization"|"x-api-secret"|Basic [A-Za-z0-9+/=]{20,}|Bearer emst_|emps_[0-9A-Za-z]{20,}|emst_[0-9A-Za-z]{20,}/i,
    );
  });
});
