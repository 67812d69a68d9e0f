import { Button, Group, Stack, Text } from '@mantine/core';
import type { KeyRowFragment } from '../../graphql/generated';
import type { KeyTarget } from './RegenerateDialog';

export interface Props {
  apiKey: Pick<
    KeyRowFragment,
    'id' | 'name' | 'status' | 'viewerCanRegenerate' | 'viewerCanRevoke'
  >;
  onRegenerate: (key: KeyTarget) => void;
  onRevoke: (key: KeyTarget) => void;
  size?: 'xs' | 'sm';
}

// Why the buttons are off, as the server reports it (viewerCan*): said, not guessed at.
export function reasonOff(apiKey: Props['apiKey']): string {
  if (apiKey.status === 'REVOKED') return 'This key is revoked: nothing more can be done with it.';
  if (apiKey.status === 'EXPIRED') return 'This key has expired.';
  return "You don't have permission to change this key.";
}

/** "Regenerate secret" and "Revoke", each usable only when the server says the person may. */
export function KeyActions({ apiKey, onRegenerate, onRevoke, size = 'xs' }: Props) {
  const target = { id: apiKey.id, name: apiKey.name };
  const allOff = !apiKey.viewerCanRegenerate && !apiKey.viewerCanRevoke;
  const reasonId = `key-actions-${apiKey.id}`;
  return (
    <Stack gap={4}>
      <Group gap="xs">
        <Button
          size={size}
          variant="default"
          disabled={!apiKey.viewerCanRegenerate}
          aria-describedby={!apiKey.viewerCanRegenerate ? reasonId : undefined}
          onClick={() => onRegenerate(target)}
        >
          Regenerate secret
        </Button>
        <Button
          size={size}
          variant="default"
          disabled={!apiKey.viewerCanRevoke}
          aria-describedby={!apiKey.viewerCanRevoke ? reasonId : undefined}
          onClick={() => onRevoke(target)}
        >
          Revoke
        </Button>
      </Group>
      {!apiKey.viewerCanRegenerate || !apiKey.viewerCanRevoke ? (
        <Text size="xs" id={reasonId}>
          {allOff ? reasonOff(apiKey) : reasonPartly(apiKey)}
        </Text>
      ) : null}
    </Stack>
  );
}

export function reasonPartly(apiKey: Props['apiKey']): string {
  if (!apiKey.viewerCanRevoke) return "You can't revoke this key.";
  return apiKey.status === 'REVOKED'
    ? 'A revoked key gets no new secret.'
    : "You can't regenerate this key's secret.";
}
