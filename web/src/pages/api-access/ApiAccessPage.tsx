import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { can, WHY_NOT } from '../../app/permissions';
import { usePageTitle } from '../../app/page-title';
import { useCurrentTeam } from '../../app/shell-context';
import { usePermissionCatalog } from '../../app/use-permission-catalog';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { StatusMessage } from '../../components/StatusMessage';
import { plural } from '../../format/numbers';
import { ApiKeysDocument } from '../../graphql/generated';
import { SettingsBreadcrumbs } from '../settings/SettingsBreadcrumbs';
import { CreateKeyDialog } from './CreateKeyDialog';
import { keyQueryFilter, useKeyFilters } from './key-filters';
import { KeyFiltersBar } from './KeyFiltersBar';
import { KeysTable } from './KeysTable';
import { KeyChangeDialogs, useKeyChanges } from './KeyChangeDialogs';
import { useKeysRenderTiming } from './use-render-timing';

const PAGE_SIZE = 50;
// a new key must show even on an empty page (which holds no key to invalidate)
const KEYS_CONTEXT = { additionalTypenames: ['ApiKey'] };

/** Settings › Profile & Team › API Access: the team's keys, filtered and paged. */
export function ApiAccessPage() {
  usePageTitle('API Access');
  const team = useCurrentTeam();
  const catalog = usePermissionCatalog();
  const [filters, setFilters] = useKeyFilters();
  const pages = useCursorPages();
  const [creating, setCreating] = useState(false);
  const changes = useKeyChanges();
  const [status, setStatus] = useState<string | null>(null);
  const canRead = can(team, 'apiKeys:read');

  const filter = keyQueryFilter(filters);
  const filterKey = JSON.stringify(filter);
  const { reset } = pages;
  // other filters: back to the first page
  useEffect(reset, [filterKey, reset]);

  const [{ data, error, fetching }, reexecute] = useQuery({
    query: ApiKeysDocument,
    variables: { teamId: team.id, ...filter, first: PAGE_SIZE, after: pages.after },
    context: KEYS_CONTEXT,
    pause: !canRead,
  });
  useKeysRenderTiming(data);
  const reload = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const basePath = `/teams/${team.id}/settings/profile-team/api-access`;
  const keys = data?.apiKeys.edges.map((edge) => edge.node) ?? [];

  return (
    <Stack gap="lg">
      <SettingsBreadcrumbs
        teamId={team.id}
        trail={[
          { label: 'Profile & Team', to: `/teams/${team.id}/settings/profile-team` },
          { label: 'API Access' },
        ]}
      />
      <Group justify="space-between" align="center">
        <Title order={1}>API Access</Title>
        {can(team, 'apiKeys:create') ? (
          <Button onClick={() => setCreating(true)}>Create New API Key</Button>
        ) : null}
      </Group>
      {!can(team, 'apiKeys:create') ? <Text>{WHY_NOT['apiKeys:create']}</Text> : null}
      <StatusMessage message={status} />
      {!canRead ? (
        <Text>{WHY_NOT['apiKeys:read']}</Text>
      ) : (
        <>
          <KeyFiltersBar filters={filters} onChange={setFilters} />
          {error ? <ErrorAlert error={error} /> : null}
          {data ? (
            <>
              <Text aria-live="polite">
                {data.apiKeys.totalCount === 0
                  ? 'No API keys match.'
                  : `${plural(data.apiKeys.totalCount, 'API key')} in all.`}
              </Text>
              {keys.length > 0 ? (
                <KeysTable
                  keys={keys}
                  labels={catalog.labels}
                  basePath={basePath}
                  onRegenerate={changes.setRegenerating}
                  onRevoke={changes.setRevoking}
                />
              ) : null}
              <CursorPager
                pages={pages}
                hasNextPage={data.apiKeys.pageInfo.hasNextPage}
                endCursor={data.apiKeys.pageInfo.endCursor}
                totalCount={data.apiKeys.totalCount}
                pageSize={PAGE_SIZE}
                label="Pages of API keys"
              />
            </>
          ) : fetching ? (
            <Loading label="Loading API keys…" />
          ) : null}
        </>
      )}
      <CreateKeyDialog
        team={team}
        opened={creating}
        catalog={catalog}
        onClose={() => setCreating(false)}
        onCreated={reload}
      />
      <KeyChangeDialogs changes={changes} reload={reload} onStatus={setStatus} />
    </Stack>
  );
}
