import { RegenerateApiKeySecretDocument, RevokeApiKeyDocument } from '../clients/generated/graphql';
import { basic, createKey } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { type Gql, graphqlClient } from '../helpers/graphql';
import { httpRequest, uniqueLoopback, verifyWith } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';
import { shortExpiry } from '../helpers/time';

/**
 * Two instances of the service on one database: this test process's server (A) and a separate
 * server process (B), each with its own verification cache. A key in use on B (so in B's cache)
 * that is revoked, regenerated or changed on A is refused by B on the very next request: the
 * change reached B (LISTEN/NOTIFY) before A's mutation returned. Repeated to catch races.
 */
const ROUNDS = 5;
let a: TestServer;
let b: ServerProcess;
let onB: Gql;
let owner: SignedInUser;
let team: TeamFixture;
const address = uniqueLoopback();

beforeAll(async () => {
  [{ t: a, owner, team }, b] = await Promise.all([
    seed().owner('multi-owner').team('Multi instance'),
    startServerProcess({ applicationName: 'empress-test-child', startTimeoutMs: 30_000 }),
  ]);
  onB = graphqlClient(b.url, { from: address });
}, 60_000);
afterAll(async () => {
  await Promise.all([b?.stop(), a?.close()]);
});

/** Use the key on B until it is certainly in B's cache. */
async function warmOnB(key: string, secret: string) {
  for (let i = 0; i < 3; i++) expect((await verifyWith(onB, key, secret)).code).toBe('VALID');
  expect((await onB(`{ viewer { type } }`, {}, basic(key, secret))).status).toBe(200);
}

it('B is a separate process serving the same database', async () => {
  expect(b.pid).not.toBe(process.pid);
  const k = await createKey(a, owner, team.id);
  expect((await verifyWith(onB, k.key, k.secret)).code).toBe('VALID');
});

it(`revocation on A is seen by B on the very next request (${ROUNDS} rounds)`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const k = await createKey(a, owner, team.id, { name: `revoke-${round}` });
    await warmOnB(k.key, k.secret);
    const res = await a.gql(RevokeApiKeyDocument, { id: k.id }, owner.headers);
    expect(res.data!.revokeApiKey.status).toBe('REVOKED');
    // round by round, alternate which kind of request comes first
    if (round % 2 === 0) {
      expect((await verifyWith(onB, k.key, k.secret)).code).toBe('REVOKED');
      expect((await onB(`{ viewer { type } }`, {}, basic(k.key, k.secret))).status).toBe(401);
    } else {
      expect((await onB(`{ viewer { type } }`, {}, basic(k.key, k.secret))).status).toBe(401);
      expect(
        (
          await httpRequest(`${b.url}/v1/authorize`, {
            headers: basic(k.key, k.secret),
            localAddress: address,
          })
        ).status,
      ).toBe(401);
      expect((await verifyWith(onB, k.key, k.secret)).code).toBe('REVOKED');
    }
  }
});

it(`regeneration on A kills the old secret on B at once, and the new one works there (${ROUNDS} rounds)`, async () => {
  const k = await createKey(a, owner, team.id, { name: 'regenerate' });
  let secret = k.secret;
  for (let round = 0; round < ROUNDS; round++) {
    await warmOnB(k.key, secret);
    const res = await a.gql(RegenerateApiKeySecretDocument, { id: k.id }, owner.headers);
    const fresh = res.data!.regenerateApiKeySecret.secret;
    if (round % 2 === 0) {
      expect((await verifyWith(onB, k.key, secret)).code).toBe('INVALID');
      expect((await onB(`{ viewer { type } }`, {}, basic(k.key, secret))).status).toBe(401);
    } else {
      expect((await onB(`{ viewer { type } }`, {}, basic(k.key, secret))).status).toBe(401);
      expect((await verifyWith(onB, k.key, secret)).code).toBe('INVALID');
    }
    expect((await verifyWith(onB, k.key, fresh)).code).toBe('VALID');
    secret = fresh;
  }
});

it('changes of allowedIps, scopes and expiry on A apply on B at once', async () => {
  const k = await createKey(a, owner, team.id, { name: 'update', scopes: ['orders:read'] });
  await warmOnB(k.key, k.secret);
  await a.gql(
    `mutation($id: ID!) { updateApiKey(id: $id, input: { allowedIps: ["10.0.0.0/8"] }) { id } }`,
    { id: k.id },
    owner.headers,
  );
  expect((await verifyWith(onB, k.key, k.secret, { clientIp: '192.0.2.1' })).code).toBe(
    'IP_NOT_ALLOWED',
  );
  expect((await onB(`{ viewer { type } }`, {}, basic(k.key, k.secret))).status).toBe(401);
  expect(
    (
      await verifyWith(onB, k.key, k.secret, {
        clientIp: '10.0.0.1',
        requiredScopes: ['orders:read'],
      })
    ).code,
  ).toBe('VALID');
  await a.gql(
    `mutation($id: ID!) { updateApiKey(id: $id, input: { scopes: ["orders:write"] }) { id } }`,
    { id: k.id },
    owner.headers,
  );
  expect(
    (
      await verifyWith(onB, k.key, k.secret, {
        clientIp: '10.0.0.1',
        requiredScopes: ['orders:read'],
      })
    ).code,
  ).toBe('INSUFFICIENT_SCOPE');
  // B's copy had no expiry: it must learn the new one, or it would go on answering VALID
  const expiry = shortExpiry();
  await a.gql(
    `mutation($id: ID!, $e: DateTimeISO) { updateApiKey(id: $id, input: { expiresAt: $e }) { id } }`,
    { id: k.id, e: expiry.iso },
    owner.headers,
  );
  await expiry.before(
    () => verifyWith(onB, k.key, k.secret, { clientIp: '10.0.0.1' }),
    (answer) => expect(answer.code).toBe('VALID'),
  );
  await expiry.passed();
  expect((await verifyWith(onB, k.key, k.secret, { clientIp: '10.0.0.1' })).code).toBe('EXPIRED');
});

it('and the other way round: a revocation on B is seen by A at once', async () => {
  const k = await createKey(a, owner, team.id, { name: 'b-revokes' });
  const onA = graphqlClient(a.url, { from: address });
  for (let i = 0; i < 3; i++) expect((await verifyWith(onA, k.key, k.secret)).code).toBe('VALID');
  const res = await onB(RevokeApiKeyDocument, { id: k.id }, owner.headers);
  expect(res.data!.revokeApiKey.status).toBe('REVOKED');
  expect((await verifyWith(onA, k.key, k.secret)).code).toBe('REVOKED');
  expect((await a.gql(`{ viewer { type } }`, {}, basic(k.key, k.secret))).status).toBe(401);
});
