import { Stack, Table, Text, Title } from '@mantine/core';
import { lazy, Suspense, useMemo } from 'react';
import { Loading } from '../../components/Loading';
import { formatCount, plural } from '../../format/numbers';
import type { ApiKeyQuery } from '../../graphql/generated';
import { USAGE_DAYS, usageDays, usageTotals } from './usage';

const UsageChart = lazy(() => import('./UsageChart'));

interface Props {
  usage: ApiKeyQuery['apiKey']['usage'];
  from: string;
}

/** "412 uses in the last 30 days, 3 refused", the chart, and the same numbers as a table. */
export function UsageSection({ usage, from }: Props) {
  const days = useMemo(() => usageDays(usage, from), [usage, from]);
  const { uses, refused } = usageTotals(days);
  return (
    <Stack gap="sm" component="section" aria-labelledby="usage-heading">
      <Title order={2} id="usage-heading">
        Use over the last {USAGE_DAYS} days
      </Title>
      <Text>
        {uses === 0
          ? `Not used in the last ${USAGE_DAYS} days.`
          : `${plural(uses, 'use')} in the last ${USAGE_DAYS} days, ${formatCount(refused)} refused.`}
      </Text>
      <Suspense fallback={<Loading label="Loading the chart…" />}>
        <UsageChart days={days} />
      </Suspense>
      {uses > 0 ? (
        <details>
          <summary>Show the numbers per day</summary>
          <UsageTable days={days.filter((d) => d.allowed + d.refused > 0)} />
        </details>
      ) : null}
    </Stack>
  );
}

function UsageTable({ days }: { days: ReturnType<typeof usageDays> }) {
  return (
    <Table.ScrollContainer minWidth={320} type="native">
      <Table aria-label="Uses per day">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Day (UTC)</Table.Th>
            <Table.Th scope="col">Allowed</Table.Th>
            <Table.Th scope="col">Refused</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {days.map((d) => (
            <Table.Tr key={d.day}>
              <Table.Th scope="row">{d.day}</Table.Th>
              <Table.Td>{formatCount(d.allowed)}</Table.Td>
              <Table.Td>{formatCount(d.refused)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
