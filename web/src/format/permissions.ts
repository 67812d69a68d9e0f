import type { PermissionCatalogQuery } from '../graphql/generated';

/**
 * Permission names as people read them: the catalogue's short label ("See API keys"). A name
 * the catalogue doesn't know (an application scope such as orders:read) is shown as it is.
 */
export type CatalogEntry = PermissionCatalogQuery['permissionCatalog'][number];

export type PermissionLabels = ReadonlyMap<string, string>;

export function labelsOf(catalog: readonly CatalogEntry[] | undefined): PermissionLabels {
  return new Map((catalog ?? []).map((entry) => [entry.name, entry.label]));
}

export function permissionLabel(labels: PermissionLabels, name: string): string {
  return labels.get(name) ?? name;
}

export function isCatalogName(catalog: readonly CatalogEntry[] | undefined, name: string) {
  return (catalog ?? []).some((entry) => entry.name === name);
}
