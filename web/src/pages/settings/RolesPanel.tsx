import { Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useClient, useQuery } from 'urql';
import { can, WHY_NOT } from '../../app/permissions';
import type { ShellTeam } from '../../app/shell-context';
import { usePermissionCatalog } from '../../app/use-permission-catalog';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import { permissionLabel } from '../../format/permissions';
import {
  DeleteRoleDocument,
  TeamRolesDocument,
  type TeamRolesQuery,
} from '../../graphql/generated';
import { RoleDialog } from './RoleDialog';

type Role = TeamRolesQuery['team']['roles'][number];

const ROLES_CONTEXT = { additionalTypenames: ['Role'] };

/**
 * Roles tab: the built-in roles (fixed) and the team's custom roles, which people holding
 * roles:manage create, change and delete.
 */
export default function RolesPanel({ team }: { team: ShellTeam }) {
  const client = useClient();
  const catalog = usePermissionCatalog();
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: TeamRolesDocument,
    variables: { teamId: team.id },
    context: ROLES_CONTEXT,
  });
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const manage = can(team, 'roles:manage');

  const remove = async (role: Role) => {
    const result = await client.mutation(DeleteRoleDocument, { id: role.id }).toPromise();
    if (result.error) {
      return describeError(result.error, {
        CONFLICT: 'Members still hold this role. Give them another role first, then delete it.',
      });
    }
    setDeleting(null);
    setStatus(`The role ${role.name} was deleted.`);
    reexecute({ requestPolicy: 'network-only' });
    return null;
  };

  const roles = data?.team.roles ?? [];
  const custom = roles.filter((r) => !r.builtIn);
  const card = (role: Role) => (
    <RoleCard
      key={role.id}
      role={role}
      labels={catalog.labels}
      manage={manage}
      onEdit={() => setEditing(role)}
      onDelete={() => setDeleting(role)}
    />
  );
  return (
    <Stack gap="lg">
      <Title order={2}>Roles</Title>
      <StatusMessage message={status} />
      {error ? <ErrorAlert error={error} /> : null}
      {!data && fetching ? <Loading /> : null}
      <Title order={3}>Built-in roles</Title>
      <Text>Every team has these roles. They can&apos;t be changed.</Text>
      <SimpleGrid cols={{ base: 1, md: 2 }}>{roles.filter((r) => r.builtIn).map(card)}</SimpleGrid>
      <Group justify="space-between">
        <Title order={3}>Custom roles</Title>
        {manage ? <Button onClick={() => setEditing('new')}>Create role</Button> : null}
      </Group>
      {!manage ? <Text>{WHY_NOT['roles:manage']}</Text> : null}
      {custom.length === 0 ? <Text>This team has no custom roles yet.</Text> : null}
      <SimpleGrid cols={{ base: 1, md: 2 }}>{custom.map(card)}</SimpleGrid>
      <RoleDialog
        teamId={team.id}
        role={editing === 'new' ? null : editing}
        opened={editing !== null}
        catalog={catalog}
        held={team.viewerPermissions}
        onClose={() => setEditing(null)}
        onSaved={(message) => {
          setEditing(null);
          setStatus(message);
          reexecute({ requestPolicy: 'network-only' });
        }}
      />
      <ConfirmDialog
        opened={deleting !== null}
        title="Delete role"
        confirmLabel="Delete role"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={() => (deleting ? remove(deleting) : Promise.resolve(null))}
      >
        {deleting
          ? `The role ${deleting.name} will be deleted. Only a role nobody holds can be.`
          : ''}
      </ConfirmDialog>
    </Stack>
  );
}

interface CardProps {
  role: Role;
  labels: ReadonlyMap<string, string>;
  manage: boolean;
  onEdit: () => void;
  onDelete: () => void;
}

function RoleCard({ role, labels, manage, onEdit, onDelete }: CardProps) {
  return (
    <Card withBorder component="article" aria-label={role.name}>
      <Stack gap="xs">
        <Group gap="xs">
          <Title order={4}>{role.name}</Title>
          {role.builtIn ? (
            <Badge color="gray.8" variant="filled" tt="none">
              Built-in
            </Badge>
          ) : null}
        </Group>
        {role.description ? <Text size="sm">{role.description}</Text> : null}
        <Text size="sm">
          {role.permissions.length === 0
            ? 'No permissions.'
            : role.permissions.map((p) => permissionLabel(labels, p)).join(' · ')}
        </Text>
        {manage && !role.builtIn ? (
          <Group gap="xs">
            <Button size="xs" variant="default" onClick={onEdit}>
              Edit
            </Button>
            <Button size="xs" variant="default" onClick={onDelete}>
              Delete
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Card>
  );
}
