import type { DataSource } from 'typeorm';
import { hydrate } from '../hydrate';
import { badInput } from '../../errors';
import type { Member, PermissionSet } from '../../permissions/member-permissions';
import { isUuid } from '../../validation';
import { preparedQuery } from '../prepared-query';
import { apiKeyWhere, type ApiKeyFilter } from './api-key-filter';
import { ApiKey } from './api-key.entity';

export const MAX_API_KEY_PAGE = 100;

export interface KeyPage {
  edges: { cursor: string; node: ApiKey }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
  /**
   * What each listed key's owner holds in the key's team (null: no longer a member), read with the
   * page: the fields that depend on it (effectiveScopes, viewerCan…, owner) need no query of their own.
   */
  ownerPermissions: { member: Member; permissions: PermissionSet | null }[];
}

interface PageRow {
  total: number;
  cursor_ok: boolean;
  key: Record<string, unknown> | null;
  owner_permissions: string[] | null;
}

/**
 * A page of a team's keys, newest first, in one statement whatever its size: the count of all
 * that match, whether the cursor is a key of this team, the page (one row more, to tell whether
 * another follows) and its owners' permissions. Keyset pagination on (created_at, id), compared in
 * SQL (created_at has microseconds, which a JavaScript Date would round off), so pages hold steady
 * as keys are added. The page sits in a LEFT JOIN on one row, so an empty page still answers the
 * count.
 */
export async function readKeyPage(
  dataSource: DataSource,
  teamId: string,
  options: ApiKeyFilter & { first?: number | null; after?: string | null },
): Promise<KeyPage> {
  const first = options.first ?? 50;
  if (!Number.isInteger(first) || first < 0) throw badInput('first must be 0 or more', 'first');
  const limit = Math.min(first, MAX_API_KEY_PAGE);
  const { where, params } = apiKeyWhere(teamId, options);
  let pageWhere = where;
  let cursorOk = 'true';
  if (options.after) {
    params.push(decodeCursor(options.after));
    const cursor = `$${params.length}`;
    cursorOk = `EXISTS (SELECT 1 FROM api_keys WHERE id = ${cursor} AND team_id = $1)`;
    pageWhere += ` AND (k.created_at, k.id) < (SELECT created_at, id FROM api_keys WHERE id = ${cursor} AND team_id = $1)`;
  }
  params.push(limit + 1);
  const rows = await preparedQuery<PageRow>(
    dataSource,
    `SELECT (SELECT count(*)::int FROM api_keys k WHERE ${where}) AS total, ${cursorOk} AS cursor_ok,
            p.key, mp.permissions AS owner_permissions
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (
         SELECT to_jsonb(k) AS key, k.created_at, k.id, k.team_id, k.owner_id FROM api_keys k
          WHERE ${pageWhere} ORDER BY k.created_at DESC, k.id DESC LIMIT $${params.length}
       ) p ON true
       LEFT JOIN member_permissions mp ON mp.team_id = p.team_id AND mp.user_id = p.owner_id
      ORDER BY p.created_at DESC, p.id DESC`,
    params,
  );
  if (!rows[0].cursor_ok) throw badInput('after is not a cursor of this list', 'after');
  return pageOf(dataSource, rows, limit);
}

function pageOf(dataSource: DataSource, rows: PageRow[], limit: number): KeyPage {
  const found = rows.filter((row) => row.key !== null);
  const page = found.slice(0, limit).map((row) => ({
    node: hydrate(dataSource, ApiKey, row.key!),
    permissions: row.owner_permissions ? new Set(row.owner_permissions) : null,
  }));
  const edges = page.map(({ node }) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: found.length > limit,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
    totalCount: rows[0].total,
    ownerPermissions: page
      .filter(({ node }) => node.ownerId)
      .map(({ node, permissions }) => ({
        member: { teamId: node.teamId, userId: node.ownerId! },
        permissions,
      })),
  };
}

function encodeCursor(id: string): string {
  return Buffer.from(`ApiKey:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = decoded.startsWith('ApiKey:') ? decoded.slice(7) : '';
  if (!isUuid(id)) throw badInput('after is not a cursor of this list', 'after');
  return id.toLowerCase();
}
