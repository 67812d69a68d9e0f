import { Text } from '@mantine/core';
import { useClient } from 'urql';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { describeError } from '../../format/error-messages';
import { RevokeApiKeyDocument } from '../../graphql/generated';
import type { KeyTarget } from './RegenerateDialog';

interface Props {
  target: KeyTarget | null;
  onClose: () => void;
  onDone: (message: string) => void;
}

/** "Revoke": for good, after saying what that means. */
export function RevokeDialog({ target, onClose, onDone }: Props) {
  const client = useClient();
  const revoke = async (key: KeyTarget) => {
    const result = await client.mutation(RevokeApiKeyDocument, { id: key.id }).toPromise();
    if (result.error) return describeError(result.error);
    onDone(`${key.name} was revoked. Applications using it are refused from now on.`);
    return null;
  };
  return (
    <ConfirmDialog
      opened={target !== null}
      title="Revoke API key"
      confirmLabel="Revoke API key"
      danger
      onClose={onClose}
      onConfirm={() => (target ? revoke(target) : Promise.resolve(null))}
    >
      <Text span>
        Revoke <strong>{target?.name}</strong>? Applications using this key stop working at once.
        This can&apos;t be undone.
      </Text>
    </ConfirmDialog>
  );
}
