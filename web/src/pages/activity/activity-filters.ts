import { useAddressState } from '../../app/use-address-state';
import { endOfLocalDay, startOfLocalDay } from '../../format/dates';
import type { AuditEventFilter, AuditOutcome } from '../../graphql/generated';

/**
 * The Activity page's filters, kept in the address so a filtered log can be linked to (a key
 * page links to its own activity) and so the downloads ask for the same events.
 */
export interface ActivityFilters {
  actorUserId: string;
  apiKeyId: string;
  action: string;
  outcome: AuditOutcome | '';
  /** YYYY-MM-DD, local days, both included */
  from: string;
  to: string;
}

const FIELDS = ['actorUserId', 'apiKeyId', 'action', 'outcome', 'from', 'to'] as const;
const OUTCOMES: readonly AuditOutcome[] = ['SUCCESS', 'DENIED', 'FAILURE'];

export function outcomeOf(value: string | null): AuditOutcome | '' {
  return OUTCOMES.find((o) => o === value) ?? '';
}

function readActivityFilters(params: URLSearchParams): ActivityFilters {
  return {
    actorUserId: params.get('actorUserId') ?? '',
    apiKeyId: params.get('apiKeyId') ?? '',
    action: params.get('action') ?? '',
    outcome: outcomeOf(params.get('outcome')),
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

function writeActivityFilters(filters: ActivityFilters): URLSearchParams {
  const out = new URLSearchParams();
  for (const field of FIELDS) if (filters[field]) out.set(field, filters[field]);
  return out;
}

export function useActivityFilters(): [
  ActivityFilters,
  (change: Partial<ActivityFilters>) => void,
] {
  return useAddressState(readActivityFilters, writeActivityFilters);
}

/** The filters as the API's AuditEventFilter: "to" includes its whole day. */
export function auditFilterOf(filters: ActivityFilters): AuditEventFilter {
  const from = filters.from ? startOfLocalDay(filters.from) : null;
  const toEnd = filters.to ? endOfLocalDay(filters.to) : null;
  return {
    actorUserId: filters.actorUserId || undefined,
    apiKeyId: filters.apiKeyId || undefined,
    actions: filters.action ? [filters.action] : undefined,
    outcome: filters.outcome || undefined,
    from: from ? from.toISOString() : undefined,
    // the API's "to" is exclusive: the first moment after the chosen day
    to: toEnd ? new Date(toEnd.getTime() + 1).toISOString() : undefined,
  };
}

/** The export route's address for these filters (same parameter names as the route reads). */
export function exportHref(teamId: string, format: 'csv' | 'ndjson', filter: AuditEventFilter) {
  const params = new URLSearchParams({ teamId, format });
  if (filter.actorUserId) params.set('actorUserId', filter.actorUserId);
  if (filter.apiKeyId) params.set('apiKeyId', filter.apiKeyId);
  if (filter.actions?.length) params.set('actions', filter.actions.join(','));
  if (filter.outcome) params.set('outcome', filter.outcome);
  if (filter.from) params.set('from', filter.from);
  if (filter.to) params.set('to', filter.to);
  return `/v1/audit/export?${params.toString()}`;
}
