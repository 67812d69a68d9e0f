import { Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { RelativeTime } from '../../components/RelativeTime';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import {
  deliveryStatusWords,
  durationText,
  eventWords,
  failureReason,
} from '../../format/webhook-events';
import {
  RedeliverWebhookDocument,
  WebhookDeliveriesDocument,
  type WebhookDeliveryFieldsFragment,
  type WebhookDeliveryStatus,
} from '../../graphql/generated';
import { ENDPOINT_ERRORS } from './WebhookEndpointForm';

type Delivery = WebhookDeliveryFieldsFragment;

export const PAGE_SIZE = 20;
// Deliveries are read through the team's endpoints (the API has no field for one endpoint), at
// most 50 attempts a request, following the cursor: a request's cost stays far under the limit.
const PER_REQUEST = 50;
// a refresh reads again at most this many (what was shown beyond it stays out until "Load more")
const MOST_ON_REFRESH = 100;
// while an attempt is due this soon, the list asks again every POLL_MS, at most POLLS times
const DUE_SOON_MS = 30_000;
const POLL_MS = 2_000;
const POLLS = 30;

// Dark enough for white text at AA contrast; the badge's words say the same as its colour.
const STATUS_COLOR: Record<WebhookDeliveryStatus, string> = {
  SUCCEEDED: '#1e6b34',
  FAILED: '#a51d2d',
  PENDING: 'gray.8',
};

interface Props {
  teamId: string;
  endpointId: string;
  /** the endpoint's URL, to name the table */
  url: string;
  /** changes when something outside sent a delivery (a test): the list is read again */
  version: number;
}

interface Loaded {
  deliveries: Delivery[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * An endpoint's latest delivery attempts, newest first, with "Load more" (by cursor) and "Send
 * again" on each. While an attempt is about to be sent, the list reads itself again every few
 * seconds until it knows how it went.
 */
export function WebhookDeliveries({ teamId, endpointId, url, version }: Props) {
  const client = useClient();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState<'refresh' | 'more' | null>(null);
  const [sending, setSending] = useState<string | null>(null);
  const polls = useRef(0);
  const shown = useRef(PAGE_SIZE);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const fetchChunk = useCallback(
    async (first: number, after: string | null) => {
      const result = await client
        .query(
          WebhookDeliveriesDocument,
          { teamId, first, after },
          { requestPolicy: 'network-only' },
        )
        .toPromise();
      if (!alive.current) return null;
      if (result.error || !result.data) {
        setFailure(result.error ? describeError(result.error, ENDPOINT_ERRORS) : null);
        return null;
      }
      const endpoint = result.data.team.webhookEndpoints.find((e) => e.id === endpointId);
      if (!endpoint) {
        setFailure(ENDPOINT_ERRORS.NOT_FOUND);
        return null;
      }
      setFailure(null);
      return endpoint.deliveries;
    },
    [client, teamId, endpointId],
  );

  /** `count` attempts after `after` (the newest when null), read PER_REQUEST at a time. */
  const fetchPage = useCallback(
    async (count: number, after: string | null): Promise<Loaded | null> => {
      const page: Loaded = { deliveries: [], hasNextPage: true, endCursor: after };
      while (page.deliveries.length < count && page.hasNextPage) {
        const want = Math.min(PER_REQUEST, count - page.deliveries.length);
        const chunk = await fetchChunk(want, page.endCursor);
        if (!chunk) return null;
        page.deliveries.push(...chunk.edges.map((edge) => edge.node));
        page.hasNextPage = chunk.pageInfo.hasNextPage;
        page.endCursor = chunk.pageInfo.endCursor ?? page.endCursor;
      }
      return page;
    },
    [fetchChunk],
  );

  /** Reads the newest attempts again, as many as are shown. */
  const refresh = useCallback(async () => {
    const page = await fetchPage(Math.min(MOST_ON_REFRESH, shown.current), null);
    if (!page) return;
    shown.current = Math.max(PAGE_SIZE, page.deliveries.length);
    setLoaded(page);
  }, [fetchPage]);

  // the first page, and again when a test was sent from outside
  useEffect(() => {
    polls.current = 0;
    void refresh();
  }, [refresh, version]);

  // an attempt due soon: read the list again shortly, to show how it went
  useEffect(() => {
    if (!loaded || polls.current >= POLLS) return;
    const dueSoon = loaded.deliveries.some(
      (d) =>
        d.status === 'PENDING' &&
        (!d.nextAttemptAt || new Date(d.nextAttemptAt).getTime() - Date.now() < DUE_SOON_MS),
    );
    if (!dueSoon) return;
    const timer = window.setTimeout(() => {
      polls.current += 1;
      void refresh();
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [loaded, refresh]);

  const loadMore = async (after: string) => {
    setBusy('more');
    const page = await fetchPage(PAGE_SIZE, after);
    setBusy(null);
    if (!page) return;
    setLoaded((old) => {
      const deliveries = [...(old?.deliveries ?? []), ...page.deliveries];
      shown.current = deliveries.length;
      return { ...page, deliveries };
    });
  };

  const reload = async () => {
    setBusy('refresh');
    polls.current = 0;
    await refresh();
    setBusy(null);
    setStatus('The list was brought up to date.');
  };

  const sendAgain = async (delivery: Delivery) => {
    setSending(delivery.id);
    setStatus(null);
    const result = await client
      .mutation(RedeliverWebhookDocument, { deliveryId: delivery.id })
      .toPromise();
    if (!alive.current) return;
    setSending(null);
    if (result.error || !result.data) {
      setFailure(result.error ? describeError(result.error, ENDPOINT_ERRORS) : null);
      return;
    }
    const again = result.data.redeliverWebhook;
    setStatus(
      `“${eventWords(again.eventType)}” will be sent again now, as attempt ${again.attempt}.`,
    );
    polls.current = 0;
    shown.current += 1;
    await refresh();
  };

  const headingId = `deliveries-${endpointId}`;
  return (
    <Stack gap="sm" component="section" aria-labelledby={headingId}>
      <Group justify="space-between">
        <Title order={5} id={headingId}>
          Deliveries
        </Title>
        <Button
          size="xs"
          variant="default"
          loading={busy === 'refresh'}
          onClick={() => void reload()}
        >
          Refresh deliveries
        </Button>
      </Group>
      <StatusMessage message={status} />
      <ErrorAlert message={failure} />
      {!loaded && !failure ? <Loading label="Loading the deliveries…" /> : null}
      {loaded && loaded.deliveries.length === 0 ? (
        <Text>Nothing has been sent to this endpoint yet.</Text>
      ) : null}
      {loaded && loaded.deliveries.length > 0 ? (
        <Table.ScrollContainer minWidth={960} type="native">
          <Table striped verticalSpacing="xs" aria-label={`Deliveries to ${url}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Event</Table.Th>
                <Table.Th scope="col">Attempt</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Answer</Table.Th>
                <Table.Th scope="col">Took</Table.Th>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Next attempt</Table.Th>
                <Table.Th scope="col">Problem</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {loaded.deliveries.map((delivery) => (
                <DeliveryRow
                  key={delivery.id}
                  delivery={delivery}
                  sending={sending === delivery.id}
                  onSendAgain={() => void sendAgain(delivery)}
                />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      {loaded?.hasNextPage && loaded.endCursor ? (
        <Group>
          <Button
            variant="default"
            loading={busy === 'more'}
            onClick={() => loaded.endCursor && void loadMore(loaded.endCursor)}
          >
            Load more deliveries
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}

function DeliveryRow({
  delivery,
  sending,
  onSendAgain,
}: {
  delivery: Delivery;
  sending: boolean;
  onSendAgain: () => void;
}) {
  const next = delivery.status === 'SUCCEEDED' ? null : delivery.nextAttemptAt;
  return (
    <Table.Tr>
      <Table.Td>
        <Text size="sm">{eventWords(delivery.eventType)}</Text>
        <Text size="xs" ff="monospace" c="dimmed">
          {delivery.eventType}
        </Text>
      </Table.Td>
      <Table.Td>{delivery.attempt}</Table.Td>
      <Table.Td>
        <Badge color={STATUS_COLOR[delivery.status]} variant="filled" tt="none" miw="max-content">
          {deliveryStatusWords(delivery.status)}
        </Badge>
      </Table.Td>
      <Table.Td>{delivery.responseStatus ?? '–'}</Table.Td>
      <Table.Td>{durationText(delivery.durationMs) || '–'}</Table.Td>
      <Table.Td>
        <RelativeTime iso={delivery.createdAt} />
      </Table.Td>
      <Table.Td>
        {delivery.status === 'PENDING' ? (
          <RelativeTime iso={next} empty="Now" />
        ) : next ? (
          <RelativeTime iso={next} />
        ) : (
          <span>None</span>
        )}
      </Table.Td>
      <Table.Td>
        {delivery.status === 'FAILED' ? <Text size="sm">{failureReason(delivery)}</Text> : '–'}
      </Table.Td>
      <Table.Td>
        <Button
          size="xs"
          variant="default"
          loading={sending}
          onClick={onSendAgain}
          aria-label={`Send again: ${eventWords(delivery.eventType)}, attempt ${delivery.attempt}`}
        >
          Send again
        </Button>
      </Table.Td>
    </Table.Tr>
  );
}
