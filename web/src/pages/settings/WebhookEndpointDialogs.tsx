import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useClient } from 'urql';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../format/error-messages';
import {
  CreateWebhookEndpointDocument,
  RotateWebhookSecretDocument,
  UpdateWebhookEndpointDocument,
  type WebhookEndpointFieldsFragment,
} from '../../graphql/generated';
import {
  checkEndpointForm,
  ENDPOINT_ERRORS,
  hasProblems,
  problemsOfError,
  WebhookEndpointForm,
  type EndpointFormProblems,
  type EndpointFormValues,
} from './WebhookEndpointForm';
import { WebhookSecretDialog } from './WebhookSecretDialog';

type Endpoint = WebhookEndpointFieldsFragment;

const EMPTY: EndpointFormValues = { url: '', description: '', events: [] };
const NO_PROBLEMS: EndpointFormProblems = {};

interface AddProps {
  teamId: string;
  opened: boolean;
  eventTypes: readonly string[];
  onClose: () => void;
  /** the endpoint was added: the list shows it */
  onAdded: (endpoint: Endpoint) => void;
}

/**
 * "Add endpoint": the form, then, in the same dialog, the signing secret shown once. The secret
 * lives only in this component's state and is dropped when the dialog closes.
 */
export function AddWebhookDialog({ teamId, opened, eventTypes, onClose, onAdded }: AddProps) {
  const client = useClient();
  const [values, setValues] = useState<EndpointFormValues>(EMPTY);
  const [problems, setProblems] = useState<EndpointFormProblems>(NO_PROBLEMS);
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);

  const close = () => {
    setSecret(null);
    setValues(EMPTY);
    setProblems(NO_PROBLEMS);
    onClose();
  };

  const submit = async () => {
    const found = checkEndpointForm(values);
    setProblems(found);
    if (hasProblems(found)) return;
    setBusy(true);
    const result = await client
      .mutation(CreateWebhookEndpointDocument, {
        teamId,
        url: values.url.trim(),
        events: values.events,
        description: values.description.trim() || null,
      })
      .toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setProblems(result.error ? problemsOfError(result.error) : NO_PROBLEMS);
      return;
    }
    setSecret(result.data.createWebhookEndpoint.secret);
    onAdded(result.data.createWebhookEndpoint.endpoint);
  };

  return (
    <WebhookSecretDialog opened={opened} title="Add endpoint" secret={secret} onClose={close}>
      <WebhookEndpointForm
        values={values}
        onChange={setValues}
        problems={problems}
        eventTypes={eventTypes}
        submitLabel="Add endpoint"
        busy={busy}
        onSubmit={() => void submit()}
        onCancel={close}
      />
    </WebhookSecretDialog>
  );
}

interface EditProps {
  /** the endpoint to change; null when the dialog is closed */
  endpoint: Endpoint | null;
  eventTypes: readonly string[];
  onClose: () => void;
  onSaved: (message: string) => void;
}

/** "Edit endpoint": its address, description and events; only what changed is sent. */
export function EditWebhookDialog({ endpoint, eventTypes, onClose, onSaved }: EditProps) {
  const client = useClient();
  const [values, setValues] = useState<EndpointFormValues>(EMPTY);
  const [problems, setProblems] = useState<EndpointFormProblems>(NO_PROBLEMS);
  const [busy, setBusy] = useState(false);

  // each opening starts from the endpoint as it is
  useEffect(() => {
    if (!endpoint) return;
    setValues({
      url: endpoint.url,
      description: endpoint.description ?? '',
      events: endpoint.events,
    });
    setProblems(NO_PROBLEMS);
  }, [endpoint]);

  const submit = async (current: Endpoint) => {
    const found = checkEndpointForm(values);
    setProblems(found);
    if (hasProblems(found)) return;
    const url = values.url.trim();
    const description = values.description.trim();
    const sameEvents =
      values.events.length === current.events.length &&
      values.events.every((event) => current.events.includes(event));
    const changes = {
      url: url !== current.url ? url : undefined,
      description: description !== (current.description ?? '') ? description : undefined,
      events: sameEvents ? undefined : values.events,
    };
    if (Object.values(changes).every((change) => change === undefined)) {
      onSaved('Nothing was changed.');
      return;
    }
    setBusy(true);
    const result = await client
      .mutation(UpdateWebhookEndpointDocument, { id: current.id, ...changes })
      .toPromise();
    setBusy(false);
    if (result.error) {
      setProblems(problemsOfError(result.error));
      return;
    }
    onSaved(`The endpoint ${result.data?.updateWebhookEndpoint.url ?? url} was saved.`);
  };

  return (
    <Modal
      opened={endpoint !== null}
      onClose={onClose}
      title="Edit endpoint"
      size="lg"
      returnFocus
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      {endpoint ? (
        <WebhookEndpointForm
          values={values}
          onChange={setValues}
          problems={problems}
          eventTypes={eventTypes}
          submitLabel="Save changes"
          busy={busy}
          onSubmit={() => void submit(endpoint)}
          onCancel={onClose}
        />
      ) : null}
    </Modal>
  );
}

const OLD_SECRET =
  'For the next 24 hours every delivery is signed with both the old and the new secret, so the receiver keeps working while you put the new one in place.';

interface RotateProps {
  /** the endpoint to give a new secret; null when the dialog is closed */
  endpoint: Endpoint | null;
  onClose: () => void;
}

/**
 * "New secret": says what happens (the old secret keeps signing for 24 hours), then shows the
 * new one once, in the same guarded view as a new endpoint's.
 */
export function RotateWebhookSecretDialog({ endpoint, onClose }: RotateProps) {
  const client = useClient();
  const [secret, setSecret] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setSecret(null);
    setFailure(null);
    onClose();
  };

  const rotate = async (target: Endpoint) => {
    setBusy(true);
    setFailure(null);
    const result = await client
      .mutation(RotateWebhookSecretDocument, { id: target.id })
      .toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setFailure(result.error ? describeError(result.error, ENDPOINT_ERRORS) : null);
      return;
    }
    setSecret(result.data.rotateWebhookSecret.secret);
  };

  return (
    <WebhookSecretDialog
      opened={endpoint !== null}
      title="New signing secret"
      secret={secret}
      note={OLD_SECRET}
      onClose={close}
    >
      {endpoint ? (
        <Stack>
          <Text>
            A new signing secret replaces the current one of <strong>{endpoint.url}</strong>.
          </Text>
          <Text>{OLD_SECRET}</Text>
          <ErrorAlert message={failure} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close} data-autofocus>
              Cancel
            </Button>
            <Button loading={busy} onClick={() => void rotate(endpoint)}>
              Make a new secret
            </Button>
          </Group>
        </Stack>
      ) : null}
    </WebhookSecretDialog>
  );
}
