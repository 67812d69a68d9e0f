import { Button, Group, Select, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useClient } from 'urql';
import { describeError } from '../../format/error-messages';
import { permissionLabel, type PermissionLabels } from '../../format/permissions';
import {
  ChangeMemberRoleDocument,
  type TeamMembersQuery,
  type TeamRolesQuery,
} from '../../graphql/generated';
import { ErrorAlert } from '../../components/ErrorAlert';

export type Member = TeamMembersQuery['team']['members'][number];
type Role = TeamRolesQuery['team']['roles'][number];

interface Props {
  members: Member[];
  roles: Role[];
  labels: PermissionLabels;
  meId: string;
  canManage: boolean;
  onStatus: (message: string) => void;
  onRemove: (member: Member) => void;
  onPermissions: (member: Member) => void;
}

/** Name, email, role and extra permissions of every member; in a scroll box on narrow screens. */
export function MembersTable(props: Props) {
  const { members, canManage } = props;
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <>
      <ErrorAlert message={failure} />
      <Table.ScrollContainer minWidth={canManage ? 820 : 600} type="native">
        <Table striped highlightOnHover verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">Email</Table.Th>
              <Table.Th scope="col">Role</Table.Th>
              <Table.Th scope="col">Extra permissions</Table.Th>
              {canManage ? <Table.Th scope="col">Actions</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {members.map((member) => (
              <MemberRow key={member.id} member={member} onFailure={setFailure} {...props} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}

interface RowProps extends Props {
  member: Member;
  onFailure: (message: string | null) => void;
}

function MemberRow({ member, roles, labels, meId, canManage, onFailure, ...actions }: RowProps) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const you = member.user.id === meId;

  const changeRole = async (roleId: string | null) => {
    if (!roleId || roleId === member.role.id) return;
    setBusy(true);
    onFailure(null);
    const result = await client
      .mutation(ChangeMemberRoleDocument, { membershipId: member.id, roleId })
      .toPromise();
    setBusy(false);
    if (result.error) {
      onFailure(
        describeError(result.error, {
          CONFLICT: 'The team must keep at least one Owner. Make someone else Owner first.',
          FORBIDDEN: 'You can only give a role whose permissions you hold yourself.',
        }),
      );
    } else if (result.data) {
      actions.onStatus(
        `${member.user.name} now has the role ${result.data.changeMemberRole.role.name}.`,
      );
    }
  };

  return (
    <Table.Tr>
      <Table.Th scope="row" fw={500}>
        {member.user.name}
        {you ? ' (you)' : ''}
      </Table.Th>
      <Table.Td>{member.user.email}</Table.Td>
      <Table.Td>
        {canManage && roles.length > 0 ? (
          <Select
            aria-label={`Role of ${member.user.name}`}
            data={roles.map((role) => ({ value: role.id, label: role.name }))}
            value={member.role.id}
            allowDeselect={false}
            disabled={busy}
            onChange={(value) => void changeRole(value)}
            w={160}
          />
        ) : (
          member.role.name
        )}
      </Table.Td>
      <Table.Td>
        {member.grants.length === 0 ? (
          <Text size="sm">None</Text>
        ) : (
          member.grants.map((grant) => permissionLabel(labels, grant.permission)).join(', ')
        )}
      </Table.Td>
      {canManage ? (
        <Table.Td>
          <Group gap="xs" wrap="nowrap">
            <Button size="xs" variant="default" onClick={() => actions.onPermissions(member)}>
              Extra permissions
            </Button>
            <Button
              size="xs"
              variant="default"
              color="red"
              onClick={() => actions.onRemove(member)}
            >
              Remove
            </Button>
          </Group>
        </Table.Td>
      ) : null}
    </Table.Tr>
  );
}
