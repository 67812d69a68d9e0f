import type { DataSource } from 'typeorm';
import { badInput } from '../../errors';
import { isUuid } from '../../validation';
import { hydrate } from '../hydrate';
import { WebhookDelivery } from './webhook-delivery.entity';

export const MAX_DELIVERY_PAGE = 100;

export interface DeliveryPage {
  edges: { cursor: string; node: WebhookDelivery }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * A page of an endpoint's delivery attempts, newest first, in one statement: keyset pagination on
 * (created_at, id), compared in SQL, so pages hold steady while new attempts are written.
 */
export async function readDeliveryPage(
  dataSource: DataSource,
  endpointId: string,
  first: number,
  after: string | null,
): Promise<DeliveryPage> {
  if (!Number.isInteger(first) || first < 0) throw badInput('first must be 0 or more', 'first');
  const limit = Math.min(first, MAX_DELIVERY_PAGE);
  const params: unknown[] = [endpointId, limit + 1];
  let from = '';
  if (after) {
    params.push(decodeCursor(after));
    from = `AND (created_at, id) < (SELECT created_at, id FROM webhook_deliveries
                                     WHERE id = $3 AND endpoint_id = $1)`;
  }
  const rows: Record<string, unknown>[] = await dataSource.query(
    `SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 ${from}
      ORDER BY created_at DESC, id DESC LIMIT $2`,
    params,
  );
  const edges = rows.slice(0, limit).map((row) => {
    const node = hydrate(dataSource, WebhookDelivery, row);
    return { cursor: Buffer.from(`WebhookDelivery:${node.id}`).toString('base64url'), node };
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
  };
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = decoded.startsWith('WebhookDelivery:') ? decoded.slice(16) : '';
  if (!isUuid(id)) throw badInput('after is not a cursor of this list', 'after');
  return id.toLowerCase();
}
