import { useAddressState } from '../../app/use-address-state';
import { startOfLocalDay } from '../../format/dates';
import type { ApiKeyStatus, ApiKeysQueryVariables } from '../../graphql/generated';

/**
 * The filters of the API Access page, kept in the address (?status=ACTIVE&neverUsed=1...), so a
 * filtered list can be linked to (the dashboard does) and survives going back.
 */
export interface KeyFilters {
  status: ApiKeyStatus | null;
  search: string;
  neverUsed: boolean;
  needsOwner: boolean;
  /** only keys revoked because their secret leaked */
  leaked: boolean;
  /** YYYY-MM-DD, as the date input writes it; '' for none */
  expiresBefore: string;
}

const STATUSES: readonly ApiKeyStatus[] = ['ACTIVE', 'EXPIRED', 'REVOKED'];

export function statusOf(value: string | null): ApiKeyStatus | null {
  return STATUSES.find((status) => status === value) ?? null;
}

function readKeyFilters(params: URLSearchParams): KeyFilters {
  return {
    status: statusOf(params.get('status')),
    search: params.get('q') ?? '',
    neverUsed: params.get('neverUsed') === '1',
    needsOwner: params.get('needsOwner') === '1',
    leaked: params.get('leaked') === '1',
    expiresBefore: params.get('expiresBefore') ?? '',
  };
}

function writeKeyFilters(filters: KeyFilters): URLSearchParams {
  const out = new URLSearchParams();
  if (filters.status) out.set('status', filters.status);
  if (filters.search) out.set('q', filters.search);
  if (filters.neverUsed) out.set('neverUsed', '1');
  if (filters.needsOwner) out.set('needsOwner', '1');
  if (filters.leaked) out.set('leaked', '1');
  if (filters.expiresBefore) out.set('expiresBefore', filters.expiresBefore);
  return out;
}

export function useKeyFilters(): [KeyFilters, (change: Partial<KeyFilters>) => void] {
  return useAddressState(readKeyFilters, writeKeyFilters);
}

/** The filters as variables of the ApiKeys query (absent filters are left out). */
export function keyQueryFilter(
  filters: KeyFilters,
): Omit<ApiKeysQueryVariables, 'teamId' | 'first' | 'after'> {
  const before = filters.expiresBefore ? startOfLocalDay(filters.expiresBefore) : null;
  return {
    status: filters.status ?? undefined,
    search: filters.search.trim() || undefined,
    neverUsed: filters.neverUsed || undefined,
    needsOwner: filters.needsOwner || undefined,
    revocationReason: filters.leaked ? 'LEAKED' : undefined,
    expiresBefore: before ? before.toISOString() : undefined,
  };
}
