import { Webhook } from 'standardwebhooks';
import { createKey } from '../helpers/api-keys';
import { accept, invite, signUp, type SignedInUser, type TeamFixture } from '../helpers/factories';
import { codeOf, graphqlClient } from '../helpers/graphql';
import { eventually } from '../helpers/http';
import { seed, type SeededMember } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { withOtherInstances, type ServerProcess } from '../helpers/server-process';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

/**
 * A team's webhooks, delivered to real receivers over HTTP: signed per Standard Webhooks (checked
 * with the specification's own `standardwebhooks` package), written to an outbox in the same
 * transaction as the change (none for a change that rolled back), retried on their own schedule,
 * sent once however many instances run, and a secret rotation signing with both secrets for a day.
 */
let t: TestServer;
let owner: SignedInUser;
let member: SeededMember;
let stranger: SignedInUser;
let team: TeamFixture;
let others: ServerProcess[] = [];
let receiver: WebhookReceiver;

beforeAll(async () => {
  [{ t, owner, member, team, stranger }, others] = await withOtherInstances(
    seed()
      .owner('hooks-owner')
      .team('Hooks')
      .member('member', 'Member', { prefix: 'hooks-member' })
      .user('stranger', 'hooks-stranger'),
    1,
  );
}, 60_000);
afterAll(async () => {
  await Promise.all([...others.map((o) => o.stop()), t?.close()]);
});
beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await t.dataSource.query(`DELETE FROM webhook_endpoints WHERE team_id = $1`, [team.id]);
  await receiver.close();
});

const ENDPOINT = `id url events enabled description failingSince disabledAt`;
const CREATE = `mutation($t: ID!, $url: String!, $events: [String!]!, $d: String) {
  createWebhookEndpoint(teamId: $t, url: $url, events: $events, description: $d) {
    secret endpoint { ${ENDPOINT} } } }`;

async function addEndpoint(events: string[], url = receiver.url, by = owner) {
  const res = await t.gql(CREATE, { t: team.id, url, events }, by.headers);
  const made = (res.data as { createWebhookEndpoint: { secret: string; endpoint: { id: string } } })
    ?.createWebhookEndpoint;
  if (!made) throw new Error(`createWebhookEndpoint failed: ${res.text}`);
  return { id: made.endpoint.id, secret: made.secret };
}

/** The payload, if the delivery's signature checks out with `secret` (throws otherwise). */
function verified(secret: string, delivery: { headers: Record<string, unknown>; body: string }) {
  const headers = Object.fromEntries(
    ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [
      h,
      String(delivery.headers[h]),
    ]),
  );
  return new Webhook(secret).verify(delivery.body, headers) as {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
  };
}

const arrived = (type: string, count = 1, timeoutMs = 8_000) =>
  eventually(async () => receiver.of(type).length >= count, timeoutMs);

describe('webhook endpoints', () => {
  it('are added with a signing secret shown once and kept encrypted; listed without it', async () => {
    const { id, secret } = await addEndpoint(['apiKey.created', 'apiKey.revoked']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const listed = await t.gql(
      `query($t: ID!) { team(id: $t) { webhookEndpoints { ${ENDPOINT} } } }`,
      { t: team.id },
      owner.headers,
    );
    expect(listed.data).toEqual({
      team: {
        webhookEndpoints: [
          {
            id,
            url: receiver.url,
            events: ['apiKey.created', 'apiKey.revoked'],
            enabled: true,
            description: null,
            failingSince: null,
            disabledAt: null,
          },
        ],
      },
    });
    const [row] = await t.dataSource.query<{ secret_box: string }[]>(
      `SELECT secret_box FROM webhook_endpoints WHERE id = $1`,
      [id],
    );
    expect(row.secret_box).toMatch(/^v1:/);
    expect(row.secret_box).not.toContain(secret.slice(6));
    const [audit] = await t.dataSource.query<{ metadata: unknown }[]>(
      `SELECT metadata FROM audit_events WHERE target_id = $1 AND action = 'webhook.endpointCreated'`,
      [id],
    );
    expect(JSON.stringify(audit.metadata)).not.toContain(secret.slice(6));
  });

  it('bad input is refused, naming the field, and adds nothing', async () => {
    for (const [vars, field] of [
      [{ url: 'not a url', events: ['apiKey.created'] }, 'url'],
      [{ url: 'ftp://example.com/', events: ['apiKey.created'] }, 'url'],
      [{ url: 'https://user:pw@example.com/', events: ['apiKey.created'] }, 'url'],
      [{ url: receiver.url, events: [] }, 'events'],
      [{ url: receiver.url, events: ['apiKey.exploded'] }, 'events'],
    ] as const) {
      const res = await t.gql(CREATE, { t: team.id, ...vars }, owner.headers);
      expect({ code: codeOf(res), field: res.errors?.[0]?.extensions?.field }).toEqual({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    const [{ n }] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM webhook_endpoints WHERE team_id = $1`,
      [team.id],
    );
    expect(n).toBe(0);
  });

  it('need webhooks:manage: a Member is refused, someone outside the team finds nothing', async () => {
    const byMember = await t.gql(
      CREATE,
      { t: team.id, url: receiver.url, events: ['apiKey.created'] },
      member.headers,
    );
    expect(codeOf(byMember)).toBe('FORBIDDEN');
    const { id } = await addEndpoint(['apiKey.created']);
    const deleted = await t.gql(
      `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`,
      { id },
      stranger.headers,
    );
    expect(codeOf(deleted)).toBe('NOT_FOUND');
  });
});

describe('deliveries', () => {
  it('are signed per Standard Webhooks and name the team, the actor and the object, never a secret', async () => {
    const { secret } = await addEndpoint(['apiKey.created']);
    const key = await createKey(t, owner, team.id, { name: 'announced' });
    expect(await arrived('apiKey.created')).toBe(true);
    const [delivery] = receiver.of('apiKey.created');
    const payload = verified(secret, delivery);
    expect(payload).toMatchObject({
      type: 'apiKey.created',
      data: {
        teamId: team.id,
        actor: { type: 'USER', id: owner.id },
        object: { type: 'ApiKey', id: key.id },
      },
    });
    expect(delivery.body).not.toContain(key.secret);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(() => verified('whsec_' + Buffer.alloc(24, 1).toString('base64'), delivery)).toThrow();
  });

  it('only the event types an endpoint asked for are sent to it', async () => {
    await addEndpoint(['apiKey.revoked']);
    const key = await createKey(t, owner, team.id, { name: 'quietly made' });
    await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: key.id },
      owner.headers,
    );
    expect(await arrived('apiKey.revoked')).toBe(true);
    expect(receiver.of('apiKey.created')).toEqual([]);
  });

  it("members and the team's key rules are events too", async () => {
    await addEndpoint(['member.invited', 'member.joined', 'policy.changed']);
    const newcomer = await signUp(t, 'hooks-newcomer');
    const invitation = await invite(t, owner, team.id, newcomer.email, team.roles.Member);
    await accept(t, newcomer, invitation);
    await t.gql(
      `mutation($t: ID!) { setApiKeyPolicy(teamId: $t, input: { requireExpiry: false }) { requireExpiry } }`,
      { t: team.id },
      owner.headers,
    );
    for (const type of ['member.invited', 'member.joined', 'policy.changed'])
      expect({ type, arrived: await arrived(type) }).toEqual({ type, arrived: true });
    const joined = JSON.parse(receiver.of('member.joined')[0].body) as {
      data: { actor: { id: string } };
    };
    expect(joined.data.actor.id).toBe(newcomer.id);
    expect(receiver.of('member.invited')[0].body).not.toMatch(/token/i);
  });

  it('a change that rolls back sends nothing: the outbox is written in its transaction', async () => {
    await addEndpoint(['apiKey.revoked']);
    const key = await createKey(t, owner, team.id, { name: 'not revoked after all' });
    // fails the transaction at COMMIT, after the change, its audit row and its outbox rows
    await t.dataSource.query(`
      CREATE OR REPLACE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$`);
    await t.dataSource.query(
      `CREATE CONSTRAINT TRIGGER refuse_this_revocation AFTER INSERT ON audit_events
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
         WHEN (NEW.target_id = '${key.id}' AND NEW.action = 'apiKey.revoked')
         EXECUTE FUNCTION refuse_commit()`,
    );
    try {
      const res = await t.gql(
        `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
        { id: key.id },
        owner.headers,
      );
      expect(res.errors).toBeDefined();
    } finally {
      await t.dataSource.query(`DROP TRIGGER refuse_this_revocation ON audit_events`);
    }
    const [{ n }] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM webhook_events WHERE payload->'data'->'object'->>'id' = $1`,
      [key.id],
    );
    expect(n).toBe(0);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.of('apiKey.revoked')).toEqual([]);
  });

  it('a failed attempt is retried with the same webhook-id; a failing event holds back no later one', async () => {
    await addEndpoint(['apiKey.created', 'apiKey.revoked']);
    let failCreated = true;
    receiver.answer = (d) => (d.type === 'apiKey.created' && failCreated ? 500 : 200);
    const key = await createKey(t, owner, team.id, { name: 'retried' });
    expect(await arrived('apiKey.created')).toBe(true);
    await t.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      { id: key.id },
      owner.headers,
    );
    // the revocation goes through while the creation waits for its retry
    expect(await arrived('apiKey.revoked')).toBe(true);
    expect(receiver.of('apiKey.created')).toHaveLength(1);
    failCreated = false;
    expect(await arrived('apiKey.created', 2, 10_000)).toBe(true);
    const [first, second] = receiver.of('apiKey.created');
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.at - first.at).toBeGreaterThanOrEqual(3_500);
  });

  it('two instances send each event once', async () => {
    await addEndpoint(['apiKey.created']);
    const other = graphqlClient(others[0].url);
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2
          ? createKey(t, owner, team.id, { name: `pair ${i}` })
          : other(
              `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`,
              { i: { teamId: team.id, name: `pair ${i}` } },
              owner.headers,
            ),
      ),
    );
    expect(made).toHaveLength(20);
    expect(await arrived('apiKey.created', 20, 10_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 2_000));
    const ids = receiver.of('apiKey.created').map((d) => d.headers['webhook-id']);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  });
});

describe('expiry notices', () => {
  it('a key expiring soon and then expired is announced once each', async () => {
    const { secret } = await addEndpoint(['apiKey.expiring', 'apiKey.expired']);
    const key = await createKey(t, owner, team.id, {
      name: 'short-lived',
      expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    const notices = t.server.services.expiryNotices;
    await notices.runOnce();
    await notices.runOnce();
    expect(await arrived('apiKey.expiring')).toBe(true);
    const payload = verified(secret, receiver.of('apiKey.expiring')[0]);
    expect(payload.data).toMatchObject({
      object: { type: 'ApiKey', id: key.id },
      actor: { type: 'SYSTEM' },
      details: { key: key.key, daysLeft: 7 },
    });
    await t.dataSource.query(
      `UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`,
      [key.id],
    );
    await notices.runOnce();
    expect(await arrived('apiKey.expired')).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.of('apiKey.expiring')).toHaveLength(1);
    expect(receiver.of('apiKey.expired')).toHaveLength(1);
  });
});

describe('the signing secret, tests and redeliveries', () => {
  it('after a rotation both secrets sign for a day, so a receiver can move at its pace', async () => {
    const { id, secret: old } = await addEndpoint(['apiKey.created']);
    const rotated = await t.gql(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`,
      { id },
      owner.headers,
    );
    const { secret: fresh } = (rotated.data as { rotateWebhookSecret: { secret: string } })
      .rotateWebhookSecret;
    expect(fresh).not.toBe(old);
    await createKey(t, owner, team.id, { name: 'after rotation' });
    expect(await arrived('apiKey.created')).toBe(true);
    const [delivery] = receiver.of('apiKey.created');
    expect(String(delivery.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(fresh, delivery).type).toBe('apiKey.created');
    expect(verified(old, delivery).type).toBe('apiKey.created');
  });

  it('sendTestWebhook sends a signed webhook.test now and says how it went; redeliver sends an event again', async () => {
    const { id, secret } = await addEndpoint(['apiKey.created']);
    const SEND = `mutation($id: ID!) { sendTestWebhook(id: $id) {
      id eventId eventType attempt status responseStatus durationMs nextAttemptAt } }`;
    const ok = await t.gql(SEND, { id }, owner.headers);
    expect((ok.data as { sendTestWebhook: unknown }).sendTestWebhook).toMatchObject({
      eventType: 'webhook.test',
      attempt: 1,
      status: 'SUCCEEDED',
      responseStatus: 200,
      nextAttemptAt: null,
    });
    expect(verified(secret, receiver.of('webhook.test')[0]).type).toBe('webhook.test');
    receiver.answer = () => 503;
    const failed = await t.gql(SEND, { id }, owner.headers);
    expect((failed.data as { sendTestWebhook: unknown }).sendTestWebhook).toMatchObject({
      status: 'FAILED',
      responseStatus: 503,
      nextAttemptAt: null,
    });
    receiver.answer = () => 200;
    const { eventId, id: deliveryId } = (
      ok.data as { sendTestWebhook: { eventId: string; id: string } }
    ).sendTestWebhook;
    const again = await t.gql(
      `mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { eventId attempt status } }`,
      { d: deliveryId },
      owner.headers,
    );
    expect((again.data as { redeliverWebhook: unknown }).redeliverWebhook).toMatchObject({
      eventId,
      attempt: 2,
      status: 'PENDING',
    });
    expect(
      await eventually(
        async () =>
          receiver.received.filter((d) => d.headers['webhook-id'] === eventId).length === 2,
      ),
    ).toBe(true);
    const page = await t.gql(
      `query($t: ID!) { team(id: $t) { webhookEndpoints { deliveries(first: 10) {
        edges { node { eventId attempt status } } pageInfo { hasNextPage } } } } }`,
      { t: team.id },
      owner.headers,
    );
    const [endpoint] = (
      page.data as {
        team: { webhookEndpoints: { deliveries: { edges: { node: { status: string } }[] } }[] };
      }
    ).team.webhookEndpoints;
    expect(endpoint.deliveries.edges.map((e) => e.node.status)).toHaveLength(3);
  });

  it('an endpoint failing for days is turned off, with an entry in the team log', async () => {
    const { id } = await addEndpoint(['apiKey.created']);
    receiver.answer = () => 500;
    await t.dataSource.query(
      `UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1`,
      [id],
    );
    await createKey(t, owner, team.id, { name: 'to a dead endpoint' });
    expect(await arrived('apiKey.created')).toBe(true);
    const off = await eventually(async () => {
      const [row] = await t.dataSource.query<{ enabled: boolean }[]>(
        `SELECT enabled FROM webhook_endpoints WHERE id = $1`,
        [id],
      );
      return !row.enabled;
    });
    expect(off).toBe(true);
    const [audit] = await t.dataSource.query<{ actor_type: string }[]>(
      `SELECT actor_type FROM audit_events WHERE target_id = $1 AND action = 'webhook.endpointDisabled'`,
      [id],
    );
    expect(audit.actor_type).toBe('SYSTEM');
  });
});
