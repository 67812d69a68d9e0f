import 'reflect-metadata';
import { Client } from 'pg';
import { createDataSource } from '../../src/db/data-source';
import { ApiKeyChangeFeed } from '../../src/modules/api-key/api-key-change-feed';
import { ownDatabase } from '../helpers/own-database';

/**
 * The change feed on its own, against the real database: a mutation commits its NOTIFY and then
 * waits (delivered) until its own LISTEN connection has heard it. Which comes first, the
 * notification on the listening connection or the code after COMMIT, is up to the network and
 * the scheduler; a notification that arrived first must still count. (It once did not: under
 * load about half of all key changes stalled for the whole 2 s timeout.) Here the order is
 * forced: the notification has certainly arrived before delivered() is called.
 */
/**
 * A database of its own, empty (the feed needs no tables): the instances a change waits for are
 * the listeners of its database, and the hung instance and the churn below must not make the
 * servers of other test files, on the run's database, wait for them.
 */
const feedDatabase = ownDatabase('feed');
const dataSource = createDataSource({ url: feedDatabase.url, poolSize: 2 });
const feed = new ApiKeyChangeFeed(feedDatabase.url);
const heard: (string | null)[] = [];
feed.onChange((change) => heard.push(change?.key ?? null));

beforeAll(async () => {
  await feedDatabase.create();
  await dataSource.initialize();
  await feed.start();
});
afterAll(async () => {
  await feed.stop();
  await dataSource.destroy();
  await feedDatabase.drop();
});

async function commitNotify(key: string): Promise<string> {
  return dataSource.transaction((m) => feed.notify(m, { key }));
}

it('delivered() resolves at once for a notification heard before it was called', async () => {
  const key = `empk_feed${Date.now()}`;
  const nonce = await commitNotify(key);
  for (let i = 0; i < 100 && !heard.includes(key); i++) await new Promise((r) => setTimeout(r, 10));
  expect(heard).toContain(key);
  const started = Date.now();
  await feed.delivered(nonce, 2_000);
  expect(Date.now() - started).toBeLessThan(500);
});

it('delivered() waits for a notification not heard yet, and resolves when it is', async () => {
  const key = `empk_feed${Date.now()}b`;
  const started = Date.now();
  const nonce = await commitNotify(key);
  await feed.delivered(nonce, 2_000);
  expect(heard).toContain(key);
  expect(Date.now() - started).toBeLessThan(1_500); // well before the 2 s timeout
});

it('a rolled-back change notifies nobody, and its waiter gives up after the timeout', async () => {
  const key = `empk_feed${Date.now()}c`;
  let nonce = '';
  await expect(
    dataSource.transaction(async (m) => {
      nonce = await feed.notify(m, { key });
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
  const started = Date.now();
  await feed.delivered(nonce, 300);
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(heard).not.toContain(key);
});

describe('who a change waits for', () => {
  /** A connection that looks like a listening instance but never acks: a hung instance. */
  async function hungInstance(): Promise<Client> {
    const client = new Client({
      connectionString: feedDatabase.url,
      application_name: 'empress-api-key-feed',
    });
    await client.connect();
    return client;
  }

  it('an ack from an instance that started after the change was listed does not stand in for a listed one', async () => {
    const hung = await hungInstance();
    const latecomer = new ApiKeyChangeFeed(feedDatabase.url);
    try {
      const key = `empk_feed${Date.now()}late`;
      let nonce = '';
      await dataSource.transaction(async (m) => {
        nonce = await feed.notify(m, { key }); // lists this feed and the hung one
        await latecomer.start(); // listening before the commit: it hears the change and acks
      });
      const started = Date.now();
      await feed.delivered(nonce, 600);
      // two acks came (this feed's, the latecomer's), but the hung instance's never did
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    } finally {
      await Promise.all([latecomer.stop(), hung.end()]);
    }
  });

  it('instances starting and stopping all the while never make a change wait for them', async () => {
    let churning = true;
    const churn = (async () => {
      let cycles = 0;
      while (churning) {
        const other = new ApiKeyChangeFeed(feedDatabase.url);
        await other.start();
        await other.stop();
        cycles++;
      }
      return cycles;
    })();
    const took: number[] = [];
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      const started = Date.now();
      await feed.delivered(await commitNotify(`empk_feed${started}churn`), 2_000);
      took.push(Date.now() - started);
    }
    churning = false;
    expect(await churn).toBeGreaterThan(3);
    expect(took.length).toBeGreaterThan(20);
    expect(Math.max(...took)).toBeLessThan(1_500); // none waited out the 2 s timeout
  });
});
