import { Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useClient } from 'urql';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../format/error-messages';
import { RegenerateApiKeySecretDocument } from '../../graphql/generated';
import { KEY_ERRORS } from './CreateKeyDialog';
import { OneTimeDialog } from './OneTimeDialog';
import type { OneTimeSecret } from './OneTimeDialog';

export interface KeyTarget {
  id: string;
  name: string;
}

interface Props {
  /** the key whose secret to regenerate; null when the dialog is closed */
  target: KeyTarget | null;
  onClose: () => void;
  onDone: () => void;
}

/**
 * "Regenerate secret": says what happens, then shows the new secret once, in the same guarded
 * view as a new key's.
 */
export function RegenerateDialog({ target, onClose, onDone }: Props) {
  const client = useClient();
  const [shown, setShown] = useState<OneTimeSecret | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setShown(null);
    setFailure(null);
    onClose();
  };

  const regenerate = async (key: KeyTarget) => {
    setBusy(true);
    setFailure(null);
    const result = await client
      .mutation(RegenerateApiKeySecretDocument, { id: key.id })
      .toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setFailure(result.error ? describeError(result.error, KEY_ERRORS) : null);
      return;
    }
    const fresh = result.data.regenerateApiKeySecret;
    setShown({ key: fresh.apiKey.key, secret: fresh.secret });
    onDone();
  };

  return (
    <OneTimeDialog opened={target !== null} title="Regenerate secret" shown={shown} onClose={close}>
      {target ? (
        <Stack>
          <Text>
            A new secret replaces the current one of <strong>{target.name}</strong>. The old secret
            stops working at once, everywhere.
          </Text>
          <ErrorAlert message={failure} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close} data-autofocus>
              Cancel
            </Button>
            <Button color="red" loading={busy} onClick={() => void regenerate(target)}>
              Regenerate secret
            </Button>
          </Group>
        </Stack>
      ) : null}
    </OneTimeDialog>
  );
}
