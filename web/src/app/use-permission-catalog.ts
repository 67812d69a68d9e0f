import { useMemo } from 'react';
import { useQuery } from 'urql';
import { labelsOf, type CatalogEntry, type PermissionLabels } from '../format/permissions';
import { PermissionCatalogDocument } from '../graphql/generated';

export interface PermissionCatalog {
  entries: readonly CatalogEntry[];
  labels: PermissionLabels;
  loaded: boolean;
}

// the catalogue changes only with a new server version: one request per visit is plenty
const ONCE = { requestPolicy: 'cache-first' } as const;

/** The permission catalogue with its plain-language labels. */
export function usePermissionCatalog(): PermissionCatalog {
  const [{ data }] = useQuery({ query: PermissionCatalogDocument, ...ONCE });
  return useMemo(() => {
    const entries = data?.permissionCatalog ?? [];
    return { entries, labels: labelsOf(entries), loaded: data !== undefined };
  }, [data]);
}
