import { Badge, Button, Card, Group, List, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useClient, useQuery } from 'urql';
import { can } from '../../app/permissions';
import type { ShellTeam } from '../../app/shell-context';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { StatusMessage } from '../../components/StatusMessage';
import { formatDate } from '../../format/dates';
import { describeError } from '../../format/error-messages';
import {
  deliveryOutcome,
  endpointNeedsAttention,
  endpointStateText,
  eventWords,
} from '../../format/webhook-events';
import {
  DeleteWebhookEndpointDocument,
  SendTestWebhookDocument,
  UpdateWebhookEndpointDocument,
  WebhookEndpointsDocument,
  type WebhookEndpointFieldsFragment,
} from '../../graphql/generated';
import { WebhookDeliveries } from './WebhookDeliveries';
import {
  AddWebhookDialog,
  EditWebhookDialog,
  RotateWebhookSecretDialog,
} from './WebhookEndpointDialogs';
import { ENDPOINT_ERRORS } from './WebhookEndpointForm';

type Endpoint = WebhookEndpointFieldsFragment;

const ENDPOINTS_CONTEXT = { additionalTypenames: ['WebhookEndpoint'] };

/**
 * Webhooks tab: the team's endpoints (where the service POSTs a signed message when something
 * happens in the team), their state and deliveries, for the people who hold webhooks:manage
 * (Owners and Admins). Others get a sentence, and no request the server would refuse.
 */
export default function WebhooksPanel({ team }: { team: ShellTeam }) {
  const manage = can(team, 'webhooks:manage');
  return (
    <Stack gap="lg" component="section" aria-labelledby="webhooks-heading">
      <Title order={2} id="webhooks-heading">
        Webhooks
      </Title>
      <Text>
        Webhooks tell another system when something happens in the team, such as a key being
        revoked: the service sends a signed message to each address below for the events it chose.
      </Text>
      {manage ? (
        <Endpoints teamId={team.id} />
      ) : (
        <Text>
          Only the team&apos;s Owners and Admins manage webhooks. Ask one of them if you need an
          endpoint added or changed.
        </Text>
      )}
    </Stack>
  );
}

function Endpoints({ teamId }: { teamId: string }) {
  const client = useClient();
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: WebhookEndpointsDocument,
    variables: { teamId },
    context: ENDPOINTS_CONTEXT,
  });
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Endpoint | null>(null);
  const [rotating, setRotating] = useState<Endpoint | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const reload = () => reexecute({ requestPolicy: 'network-only' });

  const switchOnOff = async (endpoint: Endpoint) => {
    setStatus(null);
    setFailure(null);
    const enabled = !endpoint.enabled;
    const result = await client
      .mutation(UpdateWebhookEndpointDocument, { id: endpoint.id, enabled })
      .toPromise();
    if (result.error) {
      setFailure(describeError(result.error, ENDPOINT_ERRORS));
      return;
    }
    setStatus(
      enabled
        ? `The endpoint ${endpoint.url} was turned on: events are sent to it again.`
        : `The endpoint ${endpoint.url} was turned off: nothing is sent to it until it is turned on.`,
    );
    reload();
  };

  const remove = async (endpoint: Endpoint) => {
    const result = await client
      .mutation(DeleteWebhookEndpointDocument, { id: endpoint.id }, ENDPOINTS_CONTEXT)
      .toPromise();
    if (result.error) return describeError(result.error, ENDPOINT_ERRORS);
    setDeleting(null);
    setStatus(`The endpoint ${endpoint.url} was deleted.`);
    reload();
    return null;
  };

  const endpoints = data?.team.webhookEndpoints ?? [];
  const eventTypes = data?.webhookEventTypes ?? [];
  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={3}>Endpoints</Title>
        <Button onClick={() => setAdding(true)} disabled={!data}>
          Add endpoint
        </Button>
      </Group>
      <StatusMessage message={status} />
      <ErrorAlert message={failure} />
      {error ? <ErrorAlert error={error} overrides={ENDPOINT_ERRORS} /> : null}
      {!data && fetching ? <Loading label="Loading the webhook endpoints…" /> : null}
      {data && endpoints.length === 0 ? <Text>The team has no webhook endpoints yet.</Text> : null}
      {endpoints.map((endpoint) => (
        <EndpointCard
          key={endpoint.id}
          teamId={teamId}
          endpoint={endpoint}
          onEdit={() => setEditing(endpoint)}
          onRotate={() => setRotating(endpoint)}
          onSwitch={() => void switchOnOff(endpoint)}
          onDelete={() => setDeleting(endpoint)}
          onTested={reload}
        />
      ))}
      <AddWebhookDialog
        teamId={teamId}
        opened={adding}
        eventTypes={eventTypes}
        onClose={() => setAdding(false)}
        onAdded={(endpoint) => {
          setStatus(`The endpoint ${endpoint.url} was added.`);
          reload();
        }}
      />
      <EditWebhookDialog
        endpoint={editing}
        eventTypes={eventTypes}
        onClose={() => setEditing(null)}
        onSaved={(message) => {
          setEditing(null);
          setStatus(message);
          reload();
        }}
      />
      <RotateWebhookSecretDialog endpoint={rotating} onClose={() => setRotating(null)} />
      <ConfirmDialog
        opened={deleting !== null}
        title="Delete endpoint"
        confirmLabel="Delete endpoint"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={() => (deleting ? remove(deleting) : Promise.resolve(null))}
      >
        {deleting
          ? `The endpoint ${deleting.url} and the record of its deliveries will be deleted. Nothing more is sent to it. This can't be undone.`
          : ''}
      </ConfirmDialog>
    </Stack>
  );
}

interface CardProps {
  teamId: string;
  endpoint: Endpoint;
  onEdit: () => void;
  onRotate: () => void;
  onSwitch: () => void;
  onDelete: () => void;
  /** a test was sent: the endpoint's state may have changed */
  onTested: () => void;
}

function EndpointCard(props: CardProps) {
  const { teamId, endpoint, onEdit, onRotate, onSwitch, onDelete, onTested } = props;
  const client = useClient();
  const [testing, setTesting] = useState(false);
  const [tested, setTested] = useState<string | null>(null);
  const [showDeliveries, setShowDeliveries] = useState(false);
  const [version, setVersion] = useState(0);
  const state = endpointStateText(endpoint);
  const attention = endpointNeedsAttention(endpoint);
  const deliveriesId = `endpoint-deliveries-${endpoint.id}`;

  const sendTest = async () => {
    setTesting(true);
    setTested(null);
    const result = await client.mutation(SendTestWebhookDocument, { id: endpoint.id }).toPromise();
    setTesting(false);
    if (result.error || !result.data) {
      setTested(
        result.error
          ? `The test couldn't be sent. ${describeError(result.error, ENDPOINT_ERRORS)}`
          : null,
      );
      return;
    }
    setTested(`Test event: ${deliveryOutcome(result.data.sendTestWebhook)}`);
    setVersion((v) => v + 1);
    onTested();
  };

  return (
    <Card withBorder component="article" aria-label={endpoint.url}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="wrap">
          <Stack gap={4} style={{ minWidth: 0, flex: 1 }}>
            <Title order={4} ff="monospace" fz="md" style={{ overflowWrap: 'anywhere' }}>
              {endpoint.url}
            </Title>
            {endpoint.description ? <Text size="sm">{endpoint.description}</Text> : null}
            <Text size="xs" c="dimmed">
              Added on {formatDate(endpoint.createdAt)}
            </Text>
          </Stack>
          <Group gap="xs">
            <Text size="sm" fw={600} component="span">
              State:
            </Text>
            <Badge
              color={attention ? '#8a4b00' : endpoint.enabled ? '#1e6b34' : 'gray.8'}
              variant="filled"
              tt="none"
              miw="max-content"
              style={{ whiteSpace: 'normal', height: 'auto' }}
            >
              {state}
            </Badge>
          </Group>
        </Group>
        <Stack gap={4}>
          <Text size="sm" fw={600} id={`events-${endpoint.id}`}>
            Events sent
          </Text>
          <List size="sm" spacing={2} aria-labelledby={`events-${endpoint.id}`}>
            {endpoint.events.map((type) => (
              <List.Item key={type}>
                {eventWords(type)}{' '}
                <Text span size="xs" ff="monospace" c="dimmed">
                  ({type})
                </Text>
              </List.Item>
            ))}
          </List>
        </Stack>
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={onEdit}>
            Edit
          </Button>
          <Button size="xs" variant="default" loading={testing} onClick={() => void sendTest()}>
            Send test
          </Button>
          <Button size="xs" variant="default" onClick={onRotate}>
            New secret
          </Button>
          <Button size="xs" variant="default" onClick={onSwitch}>
            {endpoint.enabled ? 'Turn off' : 'Turn on'}
          </Button>
          <Button size="xs" variant="default" onClick={onDelete}>
            Delete
          </Button>
          <Button
            size="xs"
            variant="default"
            aria-expanded={showDeliveries}
            aria-controls={deliveriesId}
            onClick={() => setShowDeliveries((open) => !open)}
          >
            {showDeliveries ? 'Hide deliveries' : 'Show deliveries'}
          </Button>
        </Group>
        <div role="status" aria-live="polite">
          {tested ? (
            <Text size="sm" fw={600}>
              {tested}
            </Text>
          ) : null}
        </div>
        <div id={deliveriesId}>
          {showDeliveries ? (
            <WebhookDeliveries
              teamId={teamId}
              endpointId={endpoint.id}
              url={endpoint.url}
              version={version}
            />
          ) : null}
        </div>
      </Stack>
    </Card>
  );
}
