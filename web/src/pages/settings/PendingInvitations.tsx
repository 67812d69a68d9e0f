import { Button, Group, List, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatDate } from '../../format/dates';
import { describeError } from '../../format/error-messages';
import { RevokeInvitationDocument, TeamInvitationsDocument } from '../../graphql/generated';

const INVITATIONS = { additionalTypenames: ['Invitation'] };

/** Invitations nobody has answered yet, each of which can be taken back. */
export function PendingInvitations({ teamId, refreshKey }: { teamId: string; refreshKey: number }) {
  const client = useClient();
  const [{ data, error }, reexecute] = useQuery({
    query: TeamInvitationsDocument,
    variables: { teamId },
    context: INVITATIONS,
  });
  const [failure, setFailure] = useState<string | null>(null);

  // a new invitation was sent: show it
  useEffect(() => {
    if (refreshKey > 0) reexecute({ requestPolicy: 'network-only' });
  }, [refreshKey, reexecute]);

  const takeBack = async (id: string) => {
    setFailure(null);
    const result = await client.mutation(RevokeInvitationDocument, { id }).toPromise();
    if (result.error) setFailure(describeError(result.error));
    reexecute({ requestPolicy: 'network-only' });
  };

  const invitations = data?.team.invitations ?? [];
  return (
    <Stack gap="xs" component="section" aria-labelledby="pending-heading">
      <Title order={4} id="pending-heading">
        Open invitations
      </Title>
      <ErrorAlert message={failure} error={failure ? null : error} />
      {invitations.length === 0 ? (
        <Text>No open invitations.</Text>
      ) : (
        <List spacing="xs">
          {invitations.map((invitation) => (
            <List.Item key={invitation.id}>
              <Group gap="sm">
                <Text span id={`pending-${invitation.id}`}>
                  {invitation.email}, as {invitation.roleName}, until{' '}
                  {formatDate(invitation.expiresAt)}
                </Text>
                <Button
                  size="xs"
                  variant="default"
                  aria-describedby={`pending-${invitation.id}`}
                  onClick={() => void takeBack(invitation.id)}
                >
                  Take back
                </Button>
              </Group>
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}
