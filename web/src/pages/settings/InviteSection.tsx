import { Button, Group, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useClient, useQuery } from 'urql';
import type { ShellTeam } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import { InviteTeamMemberDocument, TeamRolesDocument } from '../../graphql/generated';
import { PendingInvitations } from './PendingInvitations';

const INVITE_ERRORS = {
  FORBIDDEN: 'You can only offer a role whose permissions you hold yourself. Choose another role.',
  CONFLICT: 'This person is already a member of the team.',
  BAD_USER_INPUT: 'Enter a valid email address and choose a role.',
};

/** Invite someone by email with a role (members:manage), and the invitations still open. */
export function InviteSection({ team }: { team: ShellTeam }) {
  const client = useClient();
  const [{ data: rolesData }] = useQuery({
    query: TeamRolesDocument,
    variables: { teamId: team.id },
  });
  const [email, setEmail] = useState('');
  const [roleId, setRoleId] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(0);

  const roles = rolesData?.team.roles ?? [];
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setStatus(null);
    if (!email.trim() || !roleId) {
      setFailure('Enter an email address and choose a role, then press “Send invitation”.');
      return;
    }
    setFailure(null);
    setBusy(true);
    const result = await client
      .mutation(InviteTeamMemberDocument, { teamId: team.id, email: email.trim(), roleId })
      .toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setFailure(result.error ? describeError(result.error, INVITE_ERRORS) : null);
      return;
    }
    const invitation = result.data.inviteTeamMember;
    setEmail('');
    setSent((n) => n + 1);
    setStatus(
      `Invitation sent to ${invitation.email} as ${invitation.roleName}. They see it after signing in with that email.`,
    );
  };

  return (
    <Stack gap="sm" component="section" aria-labelledby="invite-heading">
      <Title order={3} id="invite-heading">
        Invite someone
      </Title>
      <Text>
        They join once they sign in with this email address and accept. If they have no account yet,
        they can create one with it.
      </Text>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack gap="sm" maw={420}>
          <ErrorAlert message={failure} />
          <StatusMessage message={status} />
          <TextInput
            label="Email address"
            type="email"
            autoComplete="off"
            required
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
          />
          <Select
            label="Role"
            required
            data={roles.map((role) => ({ value: role.id, label: role.name }))}
            value={roleId}
            onChange={setRoleId}
          />
          <Group>
            <Button type="submit" loading={busy}>
              Send invitation
            </Button>
          </Group>
        </Stack>
      </form>
      <PendingInvitations teamId={team.id} refreshKey={sent} />
    </Stack>
  );
}
