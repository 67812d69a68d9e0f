import { Alert, Button, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { describeError } from '../../format/error-messages';
import { EmailConfirmationDocument, SendEmailVerificationDocument } from '../../graphql/generated';

/**
 * Asks a person whose address is not confirmed yet to follow the link emailed to it (they can't
 * accept invitations until then), with a way to get a new link. Nothing once it is confirmed.
 */
export function ConfirmEmailNotice() {
  const [{ data }] = useQuery({ query: EmailConfirmationDocument });
  const [{ fetching }, resend] = useMutation(SendEmailVerificationDocument);
  const [status, setStatus] = useState<string | null>(null);
  const me = data?.me;
  if (!me || me.emailVerified) return null;

  const sendAgain = async () => {
    const result = await resend({});
    setStatus(
      result.error
        ? describeError(result.error)
        : result.data?.sendEmailVerification
          ? `A new link is on its way to ${me.email}.`
          : 'This service sends no email.',
    );
  };

  return (
    <Alert
      color="blue"
      title="Confirm your email address"
      role="region"
      aria-label="Confirm your email address"
    >
      <Stack gap="xs">
        <Text size="sm">
          We sent a link to {me.email}. Follow it to confirm the address is yours: until then you
          can't accept invitations to teams.
        </Text>
        <div>
          <Button size="xs" variant="default" onClick={() => void sendAgain()} loading={fetching}>
            Send a new link
          </Button>
        </div>
        {status ? (
          <Text size="sm" role="status">
            {status}
          </Text>
        ) : null}
      </Stack>
    </Alert>
  );
}
