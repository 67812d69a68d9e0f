import { Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useClient, useQuery } from 'urql';
import { can } from '../../app/permissions';
import { useShell, type ShellTeam } from '../../app/shell-context';
import { usePermissionCatalog } from '../../app/use-permission-catalog';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import {
  RemoveTeamMemberDocument,
  TeamMembersDocument,
  TeamRolesDocument,
} from '../../graphql/generated';
import { MemberPermissionsDialog } from './MemberPermissionsDialog';
import { MembersTable, type Member } from './MembersTable';

const MEMBERS_CONTEXT = { additionalTypenames: ['Membership', 'PermissionGrant'] };

/** The members table, with role changes, extra permissions and removal for members:manage. */
export function MembersSection({ team }: { team: ShellTeam }) {
  const { me } = useShell();
  const client = useClient();
  const catalog = usePermissionCatalog();
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: TeamMembersDocument,
    variables: { teamId: team.id },
    context: MEMBERS_CONTEXT,
  });
  const [{ data: rolesData }] = useQuery({
    query: TeamRolesDocument,
    variables: { teamId: team.id },
  });
  const [status, setStatus] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [permissionsOf, setPermissionsOf] = useState<Member | null>(null);

  const reload = () => reexecute({ requestPolicy: 'network-only' });
  const remove = async (member: Member) => {
    const result = await client
      .mutation(RemoveTeamMemberDocument, { membershipId: member.id })
      .toPromise();
    if (result.error) {
      return describeError(result.error, {
        CONFLICT: 'The team must keep at least one Owner. Make someone else Owner first.',
      });
    }
    setRemoving(null);
    setStatus(`${member.user.name} was removed from the team.`);
    reload();
    return null;
  };

  const members = data?.team.members ?? [];
  // the dialog follows the member's latest grants while it is open
  const permissionsMember = members.find((m) => m.id === permissionsOf?.id) ?? null;
  return (
    <Stack gap="sm" component="section" aria-labelledby="members-heading">
      <Title order={3} id="members-heading">
        Members
      </Title>
      <StatusMessage message={status} />
      {error ? <ErrorAlert error={error} /> : null}
      {!data && fetching ? <Loading /> : null}
      {data ? (
        <MembersTable
          members={members}
          roles={rolesData?.team.roles ?? []}
          labels={catalog.labels}
          meId={me.id}
          canManage={can(team, 'members:manage')}
          onStatus={setStatus}
          onRemove={setRemoving}
          onPermissions={setPermissionsOf}
        />
      ) : null}
      {!can(team, 'members:manage') ? (
        <Text size="sm">
          You need permission to manage members to change roles or remove people.
        </Text>
      ) : null}
      <ConfirmDialog
        opened={removing !== null}
        title="Remove member"
        confirmLabel="Remove member"
        danger
        onClose={() => setRemoving(null)}
        onConfirm={() => (removing ? remove(removing) : Promise.resolve(null))}
      >
        {removing
          ? `${removing.user.name} loses access to the team at once, with the extra permissions given to them. API keys they own stay, but need a new owner.`
          : ''}
      </ConfirmDialog>
      <MemberPermissionsDialog
        member={permissionsMember}
        catalog={catalog}
        onClose={() => setPermissionsOf(null)}
        onChanged={reload}
      />
    </Stack>
  );
}
