import { Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { signOut } from '../session/session-api';
import { useResetClient } from './ClientProvider';

/** The person's name and "Sign out", which ends the session on the server. */
export function AccountMenu({ name }: { name: string }) {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [busy, setBusy] = useState(false);

  const leave = async () => {
    setBusy(true);
    await signOut();
    // leave the signed-in pages first, then forget what they loaded
    await navigate('/sign-in', { replace: true });
    resetClient();
  };

  return (
    <Group gap="sm" wrap="nowrap">
      <Text size="sm" fw={500} truncate="end" maw={180}>
        {name}
      </Text>
      <Button variant="default" size="xs" loading={busy} onClick={() => void leave()}>
        Sign out
      </Button>
    </Group>
  );
}
