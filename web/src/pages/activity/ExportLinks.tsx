import { Anchor, Group, Text } from '@mantine/core';
import type { AuditEventFilter } from '../../graphql/generated';
import { exportHref } from './activity-filters';

/**
 * Downloads of the log with the page's filters. Plain links: the browser sends the session
 * cookie itself (same origin) and saves the file.
 */
export function ExportLinks({ teamId, filter }: { teamId: string; filter: AuditEventFilter }) {
  return (
    <Group gap="md">
      <Text size="sm">Download these events, oldest first:</Text>
      <Anchor href={exportHref(teamId, 'csv', filter)} download={`activity-${teamId}.csv`}>
        Download CSV
      </Anchor>
      <Anchor href={exportHref(teamId, 'ndjson', filter)} download={`activity-${teamId}.ndjson`}>
        Download NDJSON
      </Anchor>
    </Group>
  );
}
