import { Anchor, Breadcrumbs, Text } from '@mantine/core';
import { Link } from 'react-router';

interface Crumb {
  label: string;
  to?: string;
}

/** "Settings › Profile & Team › API Access": where the page sits; the last one is this page. */
export function SettingsBreadcrumbs({ teamId, trail }: { teamId: string; trail: Crumb[] }) {
  const crumbs: Crumb[] = [{ label: 'Settings', to: `/teams/${teamId}/settings` }, ...trail];
  return (
    <nav aria-label="Breadcrumb">
      <Breadcrumbs separator="›">
        {crumbs.map((crumb, i) =>
          crumb.to && i < crumbs.length - 1 ? (
            <Anchor key={crumb.label} component={Link} to={crumb.to} size="sm">
              {crumb.label}
            </Anchor>
          ) : (
            <Text key={crumb.label} size="sm" aria-current="page">
              {crumb.label}
            </Text>
          ),
        )}
      </Breadcrumbs>
    </nav>
  );
}
