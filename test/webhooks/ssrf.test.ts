import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPublicAddress } from '../../src/security/public-address';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { codeOf } from '../helpers/graphql';
import { ownDatabase } from '../helpers/own-database';
import { seedOn } from '../helpers/seed';
import { startTestServer, type TestServer } from '../helpers/server';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

/**
 * No server-side request forgery through webhooks. With the development switch off (the
 * default), an endpoint must be https and point to the public internet: loopback, private,
 * link-local, cloud metadata and reserved addresses are refused when registered, and a name is
 * resolved again at every delivery and refused if it points somewhere private (DNS rebinding).
 * Whatever the switch, redirects are not followed, answers are read up to a small cap and a
 * silent endpoint is given up after a short timeout. The servers here have a database of their
 * own, so no other test's server delivers their events.
 */
const own = ownDatabase('webhook_ssrf');
let guarded: TestServer;
let dev: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
let devOwner: SignedInUser;
let devTeam: TeamFixture;

beforeAll(async () => {
  await own.create({ migrated: true });
  [guarded, dev] = await Promise.all([
    startTestServer({ WEBHOOK_ALLOW_PRIVATE: 'false' }, { databaseUrl: own.url }),
    startTestServer({ WEBHOOK_ALLOW_PRIVATE: 'true' }, { databaseUrl: own.url }),
  ]);
  ({ owner, team } = await seedOn(guarded).owner('ssrf-owner').team('Guarded'));
  ({ owner: devOwner, team: devTeam } = await seedOn(dev).owner('ssrf-dev').team('Dev'));
}, 60_000);
afterAll(async () => {
  await Promise.all([guarded?.close(), dev?.close()]);
  await own.drop();
});

const CREATE = `mutation($t: ID!, $url: String!) {
  createWebhookEndpoint(teamId: $t, url: $url, events: ["apiKey.created"]) { endpoint { id } } }`;
const SEND = `mutation($id: ID!) { sendTestWebhook(id: $id) { status responseStatus error } }`;

async function endpointOn(s: TestServer, by: SignedInUser, teamId: string, url: string) {
  const res = await s.gql(CREATE, { t: teamId, url }, by.headers);
  const made = (res.data as { createWebhookEndpoint: { endpoint: { id: string } } } | null)
    ?.createWebhookEndpoint;
  if (!made) throw new Error(`createWebhookEndpoint failed: ${res.text}`);
  return made.endpoint.id;
}

async function sendTest(s: TestServer, by: SignedInUser, id: string) {
  const res = await s.gql(SEND, { id }, by.headers);
  return (
    res.data as {
      sendTestWebhook: { status: string; responseStatus: number | null; error: string | null };
    }
  ).sendTestWebhook;
}

describe('with private addresses refused (the default)', () => {
  it.each([
    ['plain http', 'http://example.com/hooks'],
    ['loopback', 'https://127.0.0.1/hooks'],
    ['loopback, another form', 'https://127.1.2.3:8443/hooks'],
    ['IPv6 loopback', 'https://[::1]/hooks'],
    ['loopback written as IPv6', 'https://[::ffff:127.0.0.1]/hooks'],
    ['unspecified', 'https://0.0.0.0/hooks'],
    ['private 10/8', 'https://10.1.2.3/hooks'],
    ['private 172.16/12', 'https://172.20.0.5/hooks'],
    ['private 192.168/16', 'https://192.168.1.1/hooks'],
    ['carrier-grade NAT', 'https://100.64.0.1/hooks'],
    ['link-local', 'https://169.254.10.10/hooks'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data/'],
    ['IPv6 cloud metadata', 'https://[fd00:ec2::254]/'],
    ['IPv6 unique local', 'https://[fc00::1]/hooks'],
    ['IPv6 link-local', 'https://[fe80::1]/hooks'],
  ])('refuses %s when registered (%s)', async (_what, url) => {
    const res = await guarded.gql(CREATE, { t: team.id, url }, owner.headers);
    expect({ code: codeOf(res), field: res.errors?.[0]?.extensions?.field }).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'url',
    });
  });

  it('resolves a name at delivery and refuses it when it points to loopback (DNS rebinding)', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const port = new URL(receiver.url).port;
      // a name, so accepted when registered: what it points to is only known when sending
      const id = await endpointOn(guarded, owner, team.id, `https://localhost:${port}/hooks`);
      const sent = await sendTest(guarded, owner, id);
      expect(sent).toMatchObject({ status: 'FAILED', responseStatus: null });
      expect(sent.error).toMatch(/not public/);
      expect(receiver.received).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('judges every address by where it really is', () => {
    const publicOnes = ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'];
    const privateOnes = [
      '127.0.0.1',
      '10.0.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.100.100.100',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::ffff:10.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe',
      'fd00:ec2::254',
      'fe80::1',
      'ff02::1',
      'not an address',
    ];
    expect(publicOnes.filter((ip) => !isPublicAddress(ip))).toEqual([]);
    expect(privateOnes.filter(isPublicAddress)).toEqual([]);
  });
});

describe('whatever the switch', () => {
  let target: WebhookReceiver;
  let odd: http.Server;
  let oddUrl: string;
  let mode: 'redirect' | 'huge' | 'silent' = 'redirect';

  beforeAll(async () => {
    target = await startWebhookReceiver();
    odd = http.createServer((_request, response) => {
      if (mode === 'redirect') {
        response.writeHead(307, { location: target.url });
        response.end();
      } else if (mode === 'huge') {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 97);
        for (let i = 0; i < 160; i++) response.write(chunk);
        response.end();
      }
      // silent: never answers
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    odd.closeAllConnections();
    await new Promise((resolve) => odd.close(resolve));
    await target.close();
  });

  it('does not follow redirects: a 307 is a failed delivery, and its target hears nothing', async () => {
    mode = 'redirect';
    const id = await endpointOn(dev, devOwner, devTeam.id, oddUrl);
    expect(await sendTest(dev, devOwner, id)).toMatchObject({
      status: 'FAILED',
      responseStatus: 307,
    });
    expect(target.received).toEqual([]);
  });

  it('reads an answer only up to a small cap, and gives up on a silent endpoint', async () => {
    mode = 'huge';
    const id = await endpointOn(dev, devOwner, devTeam.id, oddUrl);
    const started = Date.now();
    expect(await sendTest(dev, devOwner, id)).toMatchObject({
      status: 'SUCCEEDED',
      responseStatus: 200,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    mode = 'silent';
    const silent = await sendTest(dev, devOwner, id);
    expect(silent).toMatchObject({ status: 'FAILED', responseStatus: null });
    expect(silent.error).toMatch(/timed out/);
  }, 30_000);
});
