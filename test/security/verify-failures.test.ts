import { randomInt } from 'node:crypto';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import { createTeam, signUp } from '../helpers/factories';
import { graphqlClient } from '../helpers/graphql';
import { httpRequest, unissuedSecret, verifyWith } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * Failures sent by one caller can't get someone else's valid credentials refused. An anonymous
 * caller naming `clientIp: X` with garbage secrets fools only itself: its failures count against
 * its own address, never against X, so an honest gateway asking about X's good credentials is
 * answered VALID. Failures count against a named client only when the caller is trusted to speak
 * for clients: a proxy the deployment names in TRUST_PROXY.
 *
 * Two real source addresses on loopback: the attacker at 127.0.0.2, the honest gateway at
 * 127.0.0.1. X is an address of its own per test (in 100.64.0.0/10, which no other test names),
 * so no other test shares its count.
 */
const ATTACKER = '127.0.0.2';
const GATEWAY = '127.0.0.1';
const MAX = 5;
const clientAddress = () => `100.${randomInt(64, 128)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

function setUp(env: Record<string, string>): PromiseLike<{ t: TestServer; key: CreatedKey }> {
  return seed({ VERIFY_MAX_FAILURES: String(MAX), ...env })
    .owner('verify-failures')
    .team('Verify failures')
    .key('key', { scopes: ['orders:read'] });
}

/** The attacker names `client` in more failed checks than the limit allows. */
async function failInTheNameOf(t: TestServer, key: CreatedKey, client: string): Promise<void> {
  const attacker = graphqlClient(t.url, { from: ATTACKER });
  for (let i = 0; i < MAX * 2; i++)
    await verifyWith(attacker, key.key, unissuedSecret(), { clientIp: client });
}

describe('with the gateway named in TRUST_PROXY', () => {
  let t: TestServer;
  let key: CreatedKey;
  beforeAll(async () => ({ t, key } = await setUp({ TRUST_PROXY: GATEWAY })));
  afterAll(() => t.close());

  it("an attacker's failures naming client X leave X's good credentials VALID through the honest gateway", async () => {
    const client = clientAddress();
    await failInTheNameOf(t, key, client);
    expect(
      (
        await verifyWith(graphqlClient(t.url, { from: GATEWAY }), key.key, key.secret, {
          clientIp: client,
        })
      ).code,
    ).toBe('VALID');
  });

  it('the attacker itself is the one limited, whatever client it names next', async () => {
    const attacker = graphqlClient(t.url, { from: ATTACKER });
    expect(
      (await verifyWith(attacker, key.key, key.secret, { clientIp: clientAddress() })).code,
    ).toBe('RATE_LIMITED');
    expect(
      (
        await httpRequest(`${t.url}/v1/authorize`, {
          headers: basic(key.key, key.secret),
          localAddress: ATTACKER,
        })
      ).status,
    ).toBe(429);
  });

  it("the trusted gateway's own failures for a client do count against that client (the limit still protects)", async () => {
    const client = clientAddress();
    const gateway = graphqlClient(t.url, { from: GATEWAY });
    for (let i = 0; i < MAX; i++)
      expect(
        (await verifyWith(gateway, key.key, unissuedSecret(), { clientIp: client })).code,
      ).toBe('INVALID');
    expect((await verifyWith(gateway, key.key, key.secret, { clientIp: client })).code).toBe(
      'RATE_LIMITED',
    );
    expect(
      (await verifyWith(gateway, key.key, key.secret, { clientIp: clientAddress() })).code,
    ).toBe('VALID');
  });
});

describe('with TRUST_PROXY unset (nobody speaks for clients)', () => {
  let t: TestServer;
  let key: CreatedKey;
  beforeAll(async () => ({ t, key } = await setUp({})));
  afterAll(() => t.close());

  it("an attacker's failures naming client X don't reach X: a caller asking about X is answered VALID", async () => {
    const client = clientAddress();
    await failInTheNameOf(t, key, client);
    // the honest caller is at an address of its own (127.0.0.1 is shared with the other test files)
    expect(
      (
        await verifyWith(graphqlClient(t.url, { from: '127.88.0.1' }), key.key, key.secret, {
          clientIp: client,
        })
      ).code,
    ).toBe('VALID');
  });

  it('the clientIp a caller names still decides the allow-list answer of its own call, and only that', async () => {
    const owner = await signUp(t, 'allow-list');
    const team = await createTeam(t, owner, 'Allow list');
    const fenced = await createKey(t, owner, team.id, {
      scopes: ['orders:read'],
      allowedIps: ['198.51.100.0/24'],
    });
    const caller = graphqlClient(t.url, { from: '127.88.0.2' });
    expect(
      (await verifyWith(caller, fenced.key, fenced.secret, { clientIp: '198.51.100.7' })).code,
    ).toBe('VALID');
    expect(
      (await verifyWith(caller, fenced.key, fenced.secret, { clientIp: '192.0.2.7' })).code,
    ).toBe('IP_NOT_ALLOWED');
    expect((await verifyWith(caller, fenced.key, fenced.secret)).code).toBe('IP_NOT_ALLOWED');
  });
});
