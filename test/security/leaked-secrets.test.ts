import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import {
  ApiKeyRevocationDocument,
  ApiKeysDocument,
  type ApiKeysQueryVariables,
  RegenerateApiKeySecretDocument,
  ReportLeakedSecretDocument,
  RevokeApiKeyDocument,
} from '../clients/generated/graphql';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { codeOf, graphqlClient, type Gql } from '../helpers/graphql';
import {
  httpRequest,
  uniqueLoopback,
  unissuedSecret,
  verifyWith,
  withBadChecksum,
  type HttpAnswer,
} from '../helpers/http';
import { LineCollector } from '../helpers/log-lines';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';

/**
 * Anyone who finds one of our secrets where it should not be can report it, and the key is dead
 * at once: reportLeakedSecret (no credentials needed) and GitHub's secret scanning partner
 * endpoint (POST /v1/secret-scanning/github, signed by GitHub). A live key whose current secret
 * is reported is revoked before the answer, on every instance, as LEAKED with where it was found,
 * and one `apiKey.leaked` row in its team's chain says so, without the secret.
 *
 * From the attacker's side: the answer of reportLeakedSecret is `true` whatever was sent (a live
 * secret, an outdated one, an unknown one, garbage), so it tells nothing; reports are limited per
 * address on every instance; the GitHub endpoint does nothing for a body GitHub's key did not sign
 * or one that is not GitHub's shape; and a reported secret is never written to a log, an error or
 * an audit row.
 *
 * Two instances: this process's server A (GitHub's keys configured) and a server process B (not
 * configured), on one database.
 */
const MAX_REPORTS = 5;
const KEY_ID = 'test-github-key';
const github = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const retired = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const KEY_DOCUMENT = JSON.stringify({
  public_keys: [
    { key_identifier: 'retired-github-key', key: pem(retired.publicKey), is_current: false },
    { key_identifier: KEY_ID, key: pem(github.publicKey), is_current: true },
  ],
});
const env = { LEAK_REPORT_MAX_PER_ADDRESS: String(MAX_REPORTS), LOG_LEVEL: 'info' };

let t: TestServer;
let b: ServerProcess;
let owner: SignedInUser;
let team: TeamFixture;
let onB: Gql;
const log = new LineCollector();
/** every secret this file reported, to look for afterwards */
const reported = new Set<string>();

beforeAll(async () => {
  [{ t, owner, team }, b] = await Promise.all([
    seed({ ...env, GITHUB_SECRET_SCANNING_KEYS: KEY_DOCUMENT }, { logStream: log })
      .owner('leaks-owner')
      .team('Leaky'),
    startServerProcess({ env, captureLog: true, startTimeoutMs: 30_000 }),
  ]);
  onB = graphqlClient(b.url, { from: uniqueLoopback() });
}, 60_000);
afterAll(async () => {
  await Promise.all([b?.stop(), t?.close()]);
});

/** reportLeakedSecret through `gql` (from an address of the test's own unless given) */
async function report(
  secret: string,
  url?: string | null,
  gql: Gql = graphqlClient(t.url, { from: uniqueLoopback() }),
  headers: Record<string, string> = {},
) {
  reported.add(secret);
  return gql(ReportLeakedSecretDocument, { secret, url }, headers);
}

async function revocation(id: string) {
  const res = await t.gql(ApiKeyRevocationDocument, { id }, owner.headers);
  return res.data!.apiKey;
}

interface LeakedRow {
  actor_type: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  ip: string | null;
  outcome: string;
  metadata: Record<string, unknown>;
  text: string;
}

function leakedRows(keyId: string): Promise<LeakedRow[]> {
  return t.dataSource.query(
    `SELECT e.actor_type, e.actor_user_id, e.actor_api_key_id, e.ip, e.outcome, e.metadata, e::text AS text
       FROM audit_events e WHERE e.team_id = $1 AND e.action = 'apiKey.leaked' AND e.target_id = $2`,
    [team.id, keyId],
  );
}

/** Use the key on B until it is certainly in B's verification cache. */
async function warmOnB(k: CreatedKey) {
  for (let i = 0; i < 3; i++) expect((await verifyWith(onB, k.key, k.secret)).code).toBe('VALID');
}

const newKey = (name: string) => createKey(t, owner, team.id, { name, scopes: ['orders:read'] });

describe('reportLeakedSecret', () => {
  it('revokes a reported live key at once, on every instance: LEAKED, where it was found, one audit row without the secret', async () => {
    for (const [reportOn, checkOn] of [
      ['A', 'B'],
      ['B', 'A'],
    ] as const) {
      const k = await newKey(`leaked via ${reportOn}`);
      await warmOnB(k);
      expect((await verifyWith(t.gql, k.key, k.secret)).code).toBe('VALID');
      const from = uniqueLoopback();
      const where = `https://gist.example.com/someone/${reportOn}`;
      const res = await report(
        k.secret,
        where,
        graphqlClient(reportOn === 'A' ? t.url : b.url, { from }),
      );
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ reportLeakedSecret: true });
      // the very next request, on the other instance and on this one
      const other = checkOn === 'B' ? onB : t.gql;
      expect((await verifyWith(other, k.key, k.secret)).code).toBe('REVOKED');
      expect((await other(`{ viewer { type } }`, {}, basic(k.key, k.secret))).status).toBe(401);
      expect((await verifyWith(t.gql, k.key, k.secret)).code).toBe('REVOKED');

      expect(await revocation(k.id)).toMatchObject({
        status: 'REVOKED',
        revokedAt: expect.any(String),
        revocationReason: 'LEAKED',
        leakSource: where,
      });
      const rows = await leakedRows(k.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        actor_type: 'ANONYMOUS',
        actor_user_id: null,
        actor_api_key_id: null,
        ip: from,
        outcome: 'SUCCESS',
        metadata: { key: k.key, foundAt: where, reportedVia: 'report' },
      });
      expect(rows[0].text).not.toContain(k.secret);
      expect(rows[0].text).not.toContain(k.secret.slice(5));
    }
  });

  it('answers true, and changes nothing, for an unknown secret, an outdated one and garbage', async () => {
    const k = await newKey('outdated');
    const regenerated = await t.gql(RegenerateApiKeySecretDocument, { id: k.id }, owner.headers);
    const current = regenerated.data!.regenerateApiKeySecret.secret;
    const live = await newKey('bystander');
    const sent = [
      unissuedSecret(),
      k.secret, // regenerated away: no longer any key's secret
      withBadChecksum(live.secret), // one character off a live secret
      'emps_not-a-secret',
      'hello',
      '',
    ];
    const before = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1 AND action = 'apiKey.leaked'`,
      [team.id],
    );
    const answers = new Set<string>();
    for (const secret of sent) {
      const res = await report(secret, 'https://example.com/found');
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ reportLeakedSecret: true });
      answers.add(`${res.status} ${res.text}`);
    }
    // word for word the same answer each time
    expect(answers.size).toBe(1);
    for (const id of [k.id, live.id]) {
      expect(await revocation(id)).toMatchObject({
        status: 'ACTIVE',
        revocationReason: null,
        leakSource: null,
      });
      expect(await leakedRows(id)).toEqual([]);
    }
    expect((await verifyWith(t.gql, k.key, current)).code).toBe('VALID');
    expect((await verifyWith(t.gql, live.key, live.secret)).code).toBe('VALID');
    const after = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE team_id = $1 AND action = 'apiKey.leaked'`,
      [team.id],
    );
    expect(after).toEqual(before);
  });

  it('a second report of a revoked key adds nothing; a key revoked by a person stays MANUAL', async () => {
    const leaked = await newKey('reported twice');
    expect((await report(leaked.secret, 'https://first.example.com/')).data).toEqual({
      reportLeakedSecret: true,
    });
    expect((await report(leaked.secret, 'https://second.example.com/')).data).toEqual({
      reportLeakedSecret: true,
    });
    expect(await revocation(leaked.id)).toMatchObject({
      revocationReason: 'LEAKED',
      leakSource: 'https://first.example.com/',
    });
    expect(await leakedRows(leaked.id)).toHaveLength(1);

    const manual = await newKey('revoked by a person');
    const revoked = await t.gql(RevokeApiKeyDocument, { id: manual.id }, owner.headers);
    expect(revoked.data!.revokeApiKey.status).toBe('REVOKED');
    expect(await revocation(manual.id)).toMatchObject({
      revocationReason: 'MANUAL',
      leakSource: null,
    });
    expect((await report(manual.secret, 'https://example.com/')).data).toEqual({
      reportLeakedSecret: true,
    });
    expect(await revocation(manual.id)).toMatchObject({
      revocationReason: 'MANUAL',
      leakSource: null,
    });
    expect(await leakedRows(manual.id)).toEqual([]);
  });

  it("the team's key list finds keys revoked because they leaked, and since when", async () => {
    const before = new Date().toISOString();
    const leaked = await newKey('leaked for the list');
    const manual = await newKey('revoked for the list');
    await report(leaked.secret, 'https://list.example.com/');
    expect(
      (await t.gql(RevokeApiKeyDocument, { id: manual.id }, owner.headers)).errors,
    ).toBeUndefined();
    const ids = async (filter: Omit<ApiKeysQueryVariables, 'teamId' | 'first'>) => {
      const res = await t.gql(
        ApiKeysDocument,
        { teamId: team.id, first: 100, ...filter },
        owner.headers,
      );
      expect(res.errors).toBeUndefined();
      return res.data!.apiKeys.edges.map((e) => e.node.id);
    };
    const leakedIds = await ids({ revocationReason: 'LEAKED' });
    expect(leakedIds).toContain(leaked.id);
    expect(leakedIds).not.toContain(manual.id);
    expect(await ids({ revocationReason: 'MANUAL' })).toContain(manual.id);
    expect(await ids({ revocationReason: 'LEAKED', revokedAfter: before })).toEqual([leaked.id]);
    expect(await ids({ revokedAfter: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    const bad = await t.gql(
      ApiKeysDocument,
      { teamId: team.id, revokedAfter: '10000-01-01T00:00:00Z' },
      owner.headers,
    );
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
  });

  it('is open to signed-in people and API keys too, and records every reporter alike: anonymous, with its address', async () => {
    const reporterKey = await newKey('reporter');
    for (const [name, headers] of [
      ['a person', owner.headers],
      ['an API key', basic(reporterKey.key, reporterKey.secret)],
    ] as const) {
      const k = await newKey(`reported by ${name}`);
      const from = uniqueLoopback();
      const res = await report(k.secret, null, graphqlClient(t.url, { from }), headers);
      expect(res.data).toEqual({ reportLeakedSecret: true });
      expect(await revocation(k.id)).toMatchObject({
        revocationReason: 'LEAKED',
        leakSource: null,
      });
      expect(await leakedRows(k.id)).toEqual([
        expect.objectContaining({
          actor_type: 'ANONYMOUS',
          actor_user_id: null,
          actor_api_key_id: null,
          ip: from,
          metadata: { key: k.key, foundAt: null, reportedVia: 'report' },
        }),
      ]);
    }
  });

  it('keeps where it was found without the secret, invisible characters or more than 500 characters', async () => {
    const cases: [string, (secret: string) => string, (secret: string) => string][] = [
      [
        'the secret itself',
        (s) => `https://example.com/paste?key=${s}&more=${s.slice(5)}`,
        () => 'https://example.com/paste?key=[secret]&more=[secret]',
      ],
      [
        'bidirectional overrides',
        () => 'https://example.com/\u202Egnp.exe\u200B',
        () => 'https://example.com/gnp.exe',
      ],
      [
        'a long address',
        () => `https://example.com/${'a'.repeat(1000)}`,
        () => `https://example.com/${'a'.repeat(500 - 20)}`,
      ],
    ];
    for (const [, url, kept] of cases) {
      const k = await newKey('sanitized source');
      expect((await report(k.secret, url(k.secret))).data).toEqual({ reportLeakedSecret: true });
      expect(await revocation(k.id)).toMatchObject({
        revocationReason: 'LEAKED',
        leakSource: kept(k.secret),
      });
    }
  });

  it('refuses a secret or an address of no sane size, without repeating it', async () => {
    const long = `emps_${'x'.repeat(300)}`;
    const tooLong = await report(long);
    expect(codeOf(tooLong)).toBe('BAD_USER_INPUT');
    expect(tooLong.text).not.toContain('xxxxxxxx');
    const k = await newKey('with a long address');
    const longUrl = await report(k.secret, `https://example.com/${'y'.repeat(2001)}`);
    expect(codeOf(longUrl)).toBe('BAD_USER_INPUT');
    expect(longUrl.text).not.toContain(k.secret);
    expect(longUrl.text).not.toContain('yyyyyyyy');
    expect(await revocation(k.id)).toMatchObject({ status: 'ACTIVE' });
  });

  it(`limits reports per address to ${MAX_REPORTS} a window, on every instance; then RATE_LIMITED and nothing is revoked`, async () => {
    const from = uniqueLoopback();
    const onA = graphqlClient(t.url, { from });
    for (let i = 0; i < MAX_REPORTS; i++)
      expect((await report(unissuedSecret(), null, onA)).data).toEqual({
        reportLeakedSecret: true,
      });
    const k = await newKey('reported over the limit');
    const refused = await report(k.secret, null, onA);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.text).not.toContain(k.secret);
    // the other instance counts the same reports
    const refusedOnB = await report(k.secret, null, graphqlClient(b.url, { from }));
    expect(codeOf(refusedOnB)).toBe('RATE_LIMITED');
    expect(await revocation(k.id)).toMatchObject({ status: 'ACTIVE', revocationReason: null });
    expect((await verifyWith(t.gql, k.key, k.secret)).code).toBe('VALID');
    // another address is not affected
    expect((await report(k.secret)).data).toEqual({ reportLeakedSecret: true });
    expect(await revocation(k.id)).toMatchObject({ revocationReason: 'LEAKED' });
  });
});

describe('POST /v1/secret-scanning/github', () => {
  const path = '/v1/secret-scanning/github';

  function signedHeaders(
    body: string,
    { key = github.privateKey, keyId = KEY_ID }: { key?: KeyObject; keyId?: string } = {},
  ): Record<string, string> {
    return {
      'content-type': 'application/json',
      'github-public-key-identifier': keyId,
      'github-public-key-signature': sign('sha256', Buffer.from(body), key).toString('base64'),
    };
  }

  function post(body: string, headers: Record<string, string>, url = t.url) {
    return httpRequest(`${url}${path}`, { method: 'POST', body, headers });
  }

  const matches = (...tokens: string[]) =>
    tokens.map((token, i) => ({
      token,
      type: 'empress_api_secret',
      url: `https://github.com/octo/repo/blob/abc/config-${i}.env`,
      source: 'content',
    }));
  const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

  function errorOf(res: HttpAnswer) {
    return JSON.parse(res.text) as { errors: { message: string; extensions: { code: string } }[] };
  }

  it('revokes the live keys of a signed batch and labels each token for GitHub', async () => {
    const [live, revoked] = await Promise.all([newKey('on GitHub'), newKey('revoked before')]);
    await t.gql(RevokeApiKeyDocument, { id: revoked.id }, owner.headers);
    await warmOnB(live);
    const unknown = unissuedSecret();
    const batch = matches(live.secret, revoked.secret, unknown);
    for (const m of batch) reported.add(m.token);
    const body = JSON.stringify(batch);
    const res = await post(body, signedHeaders(body));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual([
      {
        token_hash: tokenHash(live.secret),
        token_type: 'empress_api_secret',
        label: 'true_positive',
      },
      {
        token_hash: tokenHash(revoked.secret),
        token_type: 'empress_api_secret',
        label: 'true_positive',
      },
      { token_hash: tokenHash(unknown), token_type: 'empress_api_secret', label: 'false_positive' },
    ]);
    expect(res.text).not.toContain(live.secret);
    // dead on the other instance by the time the answer came
    expect((await verifyWith(onB, live.key, live.secret)).code).toBe('REVOKED');
    expect(await revocation(live.id)).toMatchObject({
      status: 'REVOKED',
      revocationReason: 'LEAKED',
      leakSource: batch[0].url,
    });
    expect(await leakedRows(live.id)).toEqual([
      expect.objectContaining({
        actor_type: 'ANONYMOUS',
        metadata: { key: live.key, foundAt: batch[0].url, reportedVia: 'github' },
      }),
    ]);
    expect(await revocation(revoked.id)).toMatchObject({ revocationReason: 'MANUAL' });
    expect(await leakedRows(revoked.id)).toEqual([]);
  });

  it('believes every key of the document, the retired one too', async () => {
    const k = await newKey('signed by the retired key');
    const body = JSON.stringify(matches(k.secret));
    reported.add(k.secret);
    const res = await post(
      body,
      signedHeaders(body, { key: retired.privateKey, keyId: 'retired-github-key' }),
    );
    expect(res.status).toBe(200);
    expect(await revocation(k.id)).toMatchObject({ revocationReason: 'LEAKED' });
  });

  it('refuses a body GitHub did not sign (unsigned, unknown key, another key, altered) with 401, revoking nothing', async () => {
    const k = await newKey('in forged batches');
    reported.add(k.secret);
    const body = JSON.stringify(matches(k.secret));
    const good = signedHeaders(body);
    const altered = JSON.stringify(matches(k.secret, unissuedSecret()));
    const attempts: [string, string, Record<string, string>][] = [
      ['unsigned', body, { 'content-type': 'application/json' }],
      ['unsigned, without a content type', body, {}],
      [
        'no signature',
        body,
        { 'content-type': 'application/json', 'github-public-key-identifier': KEY_ID },
      ],
      ['unknown key identifier', body, signedHeaders(body, { keyId: 'not-a-github-key' })],
      ['signed by another key', body, signedHeaders(body, { key: stranger.privateKey })],
      ['altered after signing', altered, good],
      [
        'garbage signature',
        body,
        { ...good, 'github-public-key-signature': Buffer.from('garbage').toString('base64') },
      ],
    ];
    for (const [what, sent, headers] of attempts) {
      const res = await post(sent, headers);
      expect({ what, status: res.status }).toEqual({ what, status: 401 });
      expect(errorOf(res).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(res.text).not.toContain(k.secret);
    }
    expect(await revocation(k.id)).toMatchObject({ status: 'ACTIVE', revocationReason: null });
    expect(await leakedRows(k.id)).toEqual([]);
  });

  it('refuses a signed body that is not GitHub’s shape with 400, revoking nothing', async () => {
    const k = await newKey('in a malformed batch');
    reported.add(k.secret);
    const bodies = [
      'not json',
      JSON.stringify({ token: k.secret, type: 'empress_api_secret' }),
      JSON.stringify([{ token: k.secret, type: 'empress_api_secret' }, { type: 'no token' }]),
      JSON.stringify([{ token: k.secret, type: 7 }]),
      JSON.stringify([{ token: k.secret, type: 'x', url: { not: 'text' } }]),
      JSON.stringify([null]),
    ];
    for (const body of bodies) {
      const res = await post(body, signedHeaders(body));
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(errorOf(res).errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.text).not.toContain(k.secret);
    }
    expect(await revocation(k.id)).toMatchObject({ status: 'ACTIVE' });
  });

  it('answers an empty batch with an empty list', async () => {
    const res = await post('[]', signedHeaders('[]'));
    expect({ status: res.status, body: JSON.parse(res.text) }).toEqual({ status: 200, body: [] });
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const body = JSON.stringify([{ token: 'x', type: 'y', url: 'z'.repeat(1024 * 1024) }]);
    const res = await post(body, signedHeaders(body));
    expect(res.status).toBe(413);
    expect(errorOf(res).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('answers 404, saying so, where GitHub’s keys are not configured (instance B)', async () => {
    const k = await newKey('sent to an unconfigured instance');
    reported.add(k.secret);
    const body = JSON.stringify(matches(k.secret));
    const res = await post(body, signedHeaders(body), b.url);
    expect(res.status).toBe(404);
    expect(errorOf(res).errors[0]).toMatchObject({
      message: expect.stringContaining('not configured'),
      extensions: { code: 'NOT_FOUND' },
    });
    expect(await revocation(k.id)).toMatchObject({ status: 'ACTIVE' });
  });
});

describe("GitHub's keys in the configuration", () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return null;
    } catch (error) {
      return error instanceof ConfigError ? error.message : `not a ConfigError: ${String(error)}`;
    }
  };

  it('reads the document from the variable or from a file, and refuses anything else by name', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'empress-github-keys-')), 'keys.json');
    writeFileSync(file, KEY_DOCUMENT);
    expect(
      loadConfig({ GITHUB_SECRET_SCANNING_KEYS_FILE: file }).githubScanningKeys.map((k) => k.id),
    ).toEqual(['retired-github-key', KEY_ID]);
    expect(loadConfig({}).githubScanningKeys).toEqual([]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const refused: [Record<string, string>, RegExp][] = [
      [{ GITHUB_SECRET_SCANNING_KEYS: 'not json' }, /^GITHUB_SECRET_SCANNING_KEYS: .*not JSON/],
      [{ GITHUB_SECRET_SCANNING_KEYS: '{"public_keys":[]}' }, /^GITHUB_SECRET_SCANNING_KEYS: /],
      [
        {
          GITHUB_SECRET_SCANNING_KEYS: JSON.stringify({
            public_keys: [{ key_identifier: 'rsa', key: pem(rsa) }],
          }),
        },
        /not an ECDSA key/,
      ],
      [
        {
          GITHUB_SECRET_SCANNING_KEYS: JSON.stringify({
            public_keys: [{ key_identifier: 'x', key: 'not a key' }],
          }),
        },
        /not a PEM public key/,
      ],
      [
        { GITHUB_SECRET_SCANNING_KEYS_FILE: `${file}.missing` },
        /^GITHUB_SECRET_SCANNING_KEYS_FILE/,
      ],
      [
        { GITHUB_SECRET_SCANNING_KEYS: KEY_DOCUMENT, GITHUB_SECRET_SCANNING_KEYS_FILE: file },
        /not both/,
      ],
    ];
    for (const [given, message] of refused) expect(refusal(given)).toMatch(message);
  });
});

describe('the pattern GitHub scans for (docs/api-keys.md)', () => {
  const doc = readFileSync(resolve(__dirname, '..', '..', 'docs', 'api-keys.md'), 'utf8');
  const [, documented] = /^\s*```text\n\s*(.+)\n\s*```/m.exec(doc) ?? [];

  it('matches every secret we issue, whole, wherever it sits in a text', () => {
    expect(documented).toBe('\\bemps_[0-9A-Za-z]{49}\\b');
    for (let i = 0; i < 200; i++) {
      const secret = unissuedSecret();
      const text = `EMPRESS_SECRET=${secret}\n"secret": "${secret}", (${secret})`;
      expect(text.match(new RegExp(documented, 'g'))).toEqual([secret, secret, secret]);
    }
  });

  it('matches nothing else: public keys, secrets cut short or run on, other prefixes', async () => {
    const secret = unissuedSecret();
    const k = await newKey('pattern');
    for (const text of [
      k.key,
      secret.slice(0, -1),
      `${secret}0`,
      `${secret}_x`,
      `my_${secret}`,
      secret.replace('emps_', 'empx_'),
      secret.replace('emps_', 'EMPS_'),
      `emps_${'-'.repeat(49)}`,
    ])
      expect({ text, match: new RegExp(documented).test(text) }).toEqual({ text, match: false });
  });
});

describe('from the attacker’s side', () => {
  it('no reported secret is in either instance’s log, in an audit row, in the security log or in a key row', async () => {
    await t.server.services.securityLog.flush(true);
    // the log lines of the requests above were written (LOG_LEVEL=info on both)
    expect(log.lines.some((l) => l.includes('secretScanning.github'))).toBe(true);
    expect(b.log.some((l) => l.includes('reportLeakedSecret'))).toBe(true);
    expect(reported.size).toBeGreaterThan(20);
    const found: string[] = [];
    for (const secret of reported) {
      if (secret.length < 8) continue;
      const forms = [secret, secret.replace(/^emps_/, '')];
      for (const form of forms) {
        if (log.lines.some((l) => l.includes(form))) found.push(`A's log: ${form}`);
        if (b.log.some((l) => l.includes(form))) found.push(`B's log: ${form}`);
      }
      const rows: { where: string }[] = await t.dataSource.query(
        `SELECT 'audit_events' AS where FROM audit_events e WHERE position($1 in e::text) > 0
         UNION ALL SELECT 'security_events' FROM security_events e WHERE position($1 in e::text) > 0
         UNION ALL SELECT 'api_keys' FROM api_keys k WHERE position($1 in k::text) > 0`,
        [secret.replace(/^emps_/, '')],
      );
      found.push(...rows.map((r) => `${r.where}: ${secret}`));
    }
    expect(found).toEqual([]);
  });
});
