import http from 'node:http';
import { basic, createKey, type CreatedKey } from '../helpers/api-keys';
import type { AuditDbRow } from '../helpers/audit';
import { uniqueLoopback } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { statementsDuring } from '../helpers/statements';

/**
 * Tracing key use costs writes in proportion to keys × time, not to requests: 100,000
 * verifications by 10 keys from 3 addresses, over real HTTP at /v1/authorize, leave one
 * apiKey.used row per key and minute (whose counts add up to every verification) and one
 * apiKey.usedFromNewAddress row per key and address; a row per use would be 100,000.
 */
const VERIFICATIONS = 100_000;
const KEYS = 10;
const ADDRESSES = 3;
const CONNECTIONS_PER_ADDRESS = 16;

let t: TestServer;
let keys: CreatedKey[];
const addresses = Array.from({ length: ADDRESSES }, () => uniqueLoopback());

beforeAll(async () => {
  const { t: server, owner, team } = await seed().owner('rows-owner').team('Usage rows');
  t = server;
  keys = [];
  for (let i = 0; i < KEYS; i++) keys.push(await createKey(t, owner, team.id, { name: `k${i}` }));
}, 60_000);
afterAll(() => t.close());

/** GET /v1/authorize on a kept-alive connection of `agent`; the status. */
function authorize(agent: http.Agent, key: CreatedKey): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${t.url}/v1/authorize`,
      { agent, headers: basic(key.key, key.secret) },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

/** Sends `total` verifications, spread over the keys and addresses; the statuses seen. */
async function verify(total: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async (agent: http.Agent) => {
    while (next < total) {
      const i = next++;
      const status = await authorize(agent, keys[i % KEYS]);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const agents = addresses.map(
    (localAddress) =>
      new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS_PER_ADDRESS, localAddress }),
  );
  try {
    await Promise.all(
      agents.flatMap((agent) =>
        Array.from({ length: CONNECTIONS_PER_ADDRESS }, () => worker(agent)),
      ),
    );
  } finally {
    for (const agent of agents) agent.destroy();
  }
  return statuses;
}

it('100,000 verifications by 10 keys from 3 addresses write a row per key and minute, not per use', async () => {
  const started = Date.now();
  const { result: statuses, statements } = await statementsDuring(t.dataSource, async () => {
    const seen = await verify(VERIFICATIONS);
    await t.server.services.usage.flush(true);
    return seen;
  });
  const minutes = Math.floor(Date.now() / 60_000) - Math.floor(started / 60_000) + 1;
  expect(statuses).toEqual(new Map([[200, VERIFICATIONS]]));

  const ids = keys.map((k) => k.id);
  const rows: AuditDbRow[] = await t.dataSource.query(
    `SELECT * FROM audit_events WHERE api_key_id = ANY($1) AND action LIKE 'apiKey.used%'`,
    [ids],
  );
  const used = rows.filter((r) => r.action === 'apiKey.used');
  const counted = used.reduce((n, r) => n + (r.metadata as { count: number }).count, 0);
  expect(counted).toBe(VERIFICATIONS);
  expect(used.length).toBeGreaterThanOrEqual(KEYS);
  expect(used.length).toBeLessThanOrEqual(KEYS * minutes);
  const fromNewAddress = rows.filter((r) => r.action === 'apiKey.usedFromNewAddress');
  expect(fromNewAddress).toHaveLength(KEYS * ADDRESSES);
  // every write of the recorder: a few statements a second, not one per use
  const seconds = (Date.now() - started) / 1_000;
  const writes = statements.filter((s) => /^(INSERT|UPDATE)/i.test(s));
  expect(writes.length).toBeLessThan(10 * (seconds + 2));
}, 180_000);
