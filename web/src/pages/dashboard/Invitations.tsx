import { Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { useShell } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusMessage } from '../../components/StatusMessage';
import { formatDate } from '../../format/dates';
import { describeError } from '../../format/error-messages';
import {
  AcceptInvitationDocument,
  DeclineInvitationDocument,
  MyInvitationsDocument,
  type MyInvitationsQuery,
} from '../../graphql/generated';

type Invitation = MyInvitationsQuery['myInvitations'][number];

const ANSWER_ERRORS = {
  NOT_FOUND: 'This invitation is no longer open: it was taken back or has expired.',
  FORBIDDEN: 'This invitation was sent to another email address than the one you signed in with.',
};

/** Invitations waiting for the person's answer; with hideWhenEmpty, nothing when there are none. */
export function Invitations({ hideWhenEmpty = false }: { hideWhenEmpty?: boolean }) {
  const shell = useShell();
  const [{ data, error }, reexecute] = useQuery({ query: MyInvitationsDocument });
  const [, accept] = useMutation(AcceptInvitationDocument);
  const [, decline] = useMutation(DeclineInvitationDocument);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);

  const answer = async (invitation: Invitation, yes: boolean) => {
    setBusyId(invitation.id);
    setFailure(null);
    const result = yes ? await accept({ id: invitation.id }) : await decline({ id: invitation.id });
    if (result.error) setFailure(describeError(result.error, ANSWER_ERRORS));
    else {
      if (yes) await shell.refresh();
      setStatus(
        yes
          ? `You joined ${invitation.teamName}. Choose it in the Team list at the top.`
          : `You declined the invitation to ${invitation.teamName}.`,
      );
    }
    setBusyId(null);
    reexecute({ requestPolicy: 'network-only' });
  };

  const invitations = data?.myInvitations ?? [];
  if (hideWhenEmpty && invitations.length === 0 && !status && !failure) return null;
  return (
    <Stack gap="sm" component="section" aria-labelledby="invitations-heading">
      <Title order={2} id="invitations-heading">
        Invitations
      </Title>
      <StatusMessage message={status} />
      <ErrorAlert message={failure} error={failure ? null : error} />
      {invitations.length === 0 ? (
        <Text>You have no open invitations.</Text>
      ) : (
        invitations.map((invitation) => (
          <Card key={invitation.id} withBorder>
            <Stack gap="xs">
              <Text id={`invitation-${invitation.id}`}>
                <strong>{invitation.teamName}</strong> invites you to join as {invitation.roleName}
                {invitation.invitedBy ? ` (sent by ${invitation.invitedBy.name})` : ''}. Open until{' '}
                {formatDate(invitation.expiresAt)}.
              </Text>
              <Group gap="xs">
                <Button
                  aria-describedby={`invitation-${invitation.id}`}
                  loading={busyId === invitation.id}
                  onClick={() => void answer(invitation, true)}
                >
                  Accept
                </Button>
                <Button
                  variant="default"
                  aria-describedby={`invitation-${invitation.id}`}
                  disabled={busyId === invitation.id}
                  onClick={() => void answer(invitation, false)}
                >
                  Decline
                </Button>
              </Group>
            </Stack>
          </Card>
        ))
      )}
    </Stack>
  );
}
