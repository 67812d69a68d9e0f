import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { useResetClient } from '../../app/ClientProvider';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../format/error-messages';
import { LogOutEverywhereDocument } from '../../graphql/generated';
import { signOut } from '../../session/session-api';

/** Ends every session of the person, this one too, then opens the sign-in page. */
export function SignOutEverywhere() {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [failure, setFailure] = useState<string | null>(null);
  const [{ fetching }, logOutEverywhere] = useMutation(LogOutEverywhereDocument);

  const run = async () => {
    setFailure(null);
    const result = await logOutEverywhere({});
    if (result.error) {
      setFailure(describeError(result.error));
      return;
    }
    // the session is over on the server; this also clears the cookie in this browser
    await signOut();
    await navigate('/sign-in', { replace: true });
    resetClient();
  };

  return (
    <Stack gap="sm" component="section" aria-labelledby="everywhere-heading">
      <Title order={3} id="everywhere-heading">
        Sign out everywhere
      </Title>
      <Text>
        Ends every session of yours, on every device, this one included. Use it if you lost a device
        or think someone else signed in as you.
      </Text>
      <ErrorAlert message={failure} />
      <Group>
        <Button color="red" loading={fetching} onClick={() => void run()}>
          Sign out everywhere
        </Button>
      </Group>
    </Stack>
  );
}
