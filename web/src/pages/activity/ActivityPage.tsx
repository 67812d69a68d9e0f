import { Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { can, WHY_NOT } from '../../app/permissions';
import { usePageTitle } from '../../app/page-title';
import { useCurrentTeam, type ShellTeam } from '../../app/shell-context';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { AuditEventsDocument } from '../../graphql/generated';
import { auditFilterOf, useActivityFilters } from './activity-filters';
import { ActivityFiltersBar } from './ActivityFiltersBar';
import { AuditTable } from './AuditTable';
import { ExportLinks } from './ExportLinks';
import { TamperCheck } from './TamperCheck';
import { useAuditNames } from './use-audit-names';

const PAGE_SIZE = 50;

/** /teams/:teamId/activity: the team's audit log (audit:read), newest first. */
export default function ActivityPage() {
  usePageTitle('Activity');
  const team = useCurrentTeam();
  return (
    <Stack gap="lg">
      <Title order={1}>Activity</Title>
      {can(team, 'audit:read') ? <AuditLog team={team} /> : <Text>{WHY_NOT['audit:read']}</Text>}
    </Stack>
  );
}

function AuditLog({ team }: { team: ShellTeam }) {
  const directory = useAuditNames(team);
  const [filters, setFilters] = useActivityFilters();
  const filter = auditFilterOf(filters);
  const filterKey = JSON.stringify(filter);
  const pages = useCursorPages();
  const { reset } = pages;
  useEffect(reset, [filterKey, reset]);

  const [{ data, error, fetching }] = useQuery({
    query: AuditEventsDocument,
    variables: { teamId: team.id, filter, first: PAGE_SIZE, after: pages.after },
  });
  const events = data?.auditEvents.edges.map((edge) => edge.node) ?? [];
  const keysPath = `/teams/${team.id}/settings/profile-team/api-access`;

  return (
    <>
      <Text>Everything done in the team and with its API keys, newest first.</Text>
      <ActivityFiltersBar filters={filters} onChange={setFilters} directory={directory} />
      <ExportLinks teamId={team.id} filter={filter} />
      {error ? <ErrorAlert error={error} /> : null}
      {data ? (
        <>
          {events.length === 0 ? (
            <Text>No events match.</Text>
          ) : (
            <AuditTable events={events} names={directory} keysPath={keysPath} label="Activity" />
          )}
          <CursorPager
            pages={pages}
            hasNextPage={data.auditEvents.pageInfo.hasNextPage}
            endCursor={data.auditEvents.pageInfo.endCursor}
            pageSize={PAGE_SIZE}
            label="Pages of activity"
          />
        </>
      ) : fetching ? (
        <Loading label="Loading activity…" />
      ) : null}
      <TamperCheck teamId={team.id} />
    </>
  );
}
