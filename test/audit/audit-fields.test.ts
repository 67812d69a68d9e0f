import { AuditEvent, ActorType, AuditOutcome } from '../../src/modules/audit/audit-event.entity';
import {
  AUDIT_FIELDS,
  EXPORT_COLUMNS,
  type HashableEvent,
} from '../../src/modules/audit/audit-fields';
import { hashEvent } from '../../src/modules/audit/audit-hash';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * One description of an audit row (AUDIT_FIELDS) drives the hash, the INSERT, the reading of raw
 * rows, the exports and the test helpers. These checks pin it to what exists outside it: the hashes
 * of chains already written, the tables, the TypeORM entity and the export's columns.
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

// Every field set, metadata nested with keys out of order (the hash sorts them), text beyond ASCII.
const FULL: HashableEvent = {
  id: '7d3f2a4e-1b9c-4e5f-8a6b-0c1d2e3f4a5b',
  teamId: '11111111-2222-4333-8444-555555555555',
  chainSeq: '42',
  occurredAt: new Date('2024-03-01T12:34:56.789Z'),
  action: 'apiKey.created',
  outcome: AuditOutcome.SUCCESS,
  actorType: ActorType.USER,
  actorUserId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  actorApiKeyId: null,
  actorLabel: 'owner@example.com',
  targetType: 'ApiKey',
  targetId: 'ffffffff-0000-4111-8222-333333333333',
  ip: '203.0.113.7',
  userAgent: 'curl/8.5 «é»',
  requestId: 'req-1',
  apiKeyId: 'ffffffff-0000-4111-8222-333333333333',
  metadata: { z: 1, a: { y: [3, { b: null, a: 'x' }], x: 'ü' }, m: true },
  prevHash: 'ab'.repeat(32),
};

// Every field that may be null, null: the first event of a platform chain.
const BARE: HashableEvent = {
  ...FULL,
  teamId: null,
  chainSeq: '1',
  actorType: ActorType.SYSTEM,
  actorUserId: null,
  actorLabel: null,
  targetType: null,
  targetId: null,
  ip: null,
  userAgent: null,
  apiKeyId: null,
  metadata: null,
  prevHash: null,
};

describe('the audit row', () => {
  it('hashes as chains already written were hashed (values computed before the description existed)', () => {
    expect(hashEvent(FULL)).toBe(
      '73577f1a88d5137adc26f6881104feef05ef33760677927d87dc959a226f4ca6',
    );
    expect(hashEvent(BARE)).toBe(
      '8af9022c05b2383b991b9a3fa88bbef883f688e4a9edd53fb6c01af085f6c8c7',
    );
  });

  it('audit_events and security_events have exactly its columns, in its order', async () => {
    const columnsOf = async (table: string) =>
      (
        await t.dataSource.query(
          `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        )
      ).map((c: { column_name: string }) => c.column_name);
    const described = AUDIT_FIELDS.map((field) => field.column);
    expect(await columnsOf('audit_events')).toEqual(described);
    expect(await columnsOf('security_events')).toEqual(described);
  });

  it('the AuditEvent entity maps exactly its fields to its columns', () => {
    const entity = t.dataSource
      .getMetadata(AuditEvent)
      .columns.map((c) => `${c.propertyName} -> ${c.databaseName}`);
    const described = AUDIT_FIELDS.map((field) => `${field.name} -> ${field.column}`);
    expect([...entity].sort()).toEqual([...described].sort());
  });

  it('exports every field once, in the columns exports have always had', () => {
    expect(AUDIT_FIELDS.map((field) => field.exported).sort((a, b) => a - b)).toEqual(
      AUDIT_FIELDS.map((_, i) => i + 1),
    );
    expect(EXPORT_COLUMNS.join(',')).toBe(
      'id,occurredAt,teamId,action,outcome,actorType,actorUserId,actorApiKeyId,actorLabel,targetType,targetId,ip,userAgent,requestId,' +
        'metadata,prevHash,hash,chainSeq,apiKeyId',
    );
  });
});
