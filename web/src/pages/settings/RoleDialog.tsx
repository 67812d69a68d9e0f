import { Button, Checkbox, Group, Modal, Stack, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { useClient } from 'urql';
import type { PermissionCatalog } from '../../app/use-permission-catalog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../format/error-messages';
import {
  CreateRoleDocument,
  UpdateRoleDocument,
  type TeamRolesQuery,
} from '../../graphql/generated';

type Role = TeamRolesQuery['team']['roles'][number];

interface Props {
  teamId: string;
  /** the custom role to change; null to create one */
  role: Role | null;
  opened: boolean;
  catalog: PermissionCatalog;
  /** the permissions the person holds: only those can be put in a role */
  held: readonly string[];
  onClose: () => void;
  onSaved: (message: string) => void;
}

const ROLE_ERRORS = {
  CONFLICT: 'The team already has a role with this name. Choose another name.',
  FORBIDDEN: 'A role can only hold permissions that you hold yourself. Untick the others.',
  BAD_USER_INPUT: 'Use a role name of 1 to 50 characters.',
};

/** Create or edit a custom role: its name, description and permissions (from the catalogue). */
export function RoleDialog({ teamId, role, opened, catalog, held, onClose, onSaved }: Props) {
  const client = useClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [permissions, setPermissions] = useState<string[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // each opening starts from the role as it is (or empty for a new one)
  useEffect(() => {
    if (!opened) return;
    setName(role?.name ?? '');
    setDescription(role?.description ?? '');
    setPermissions(role?.permissions ?? []);
    setFailure(null);
  }, [opened, role]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setFailure('Enter a name for the role.');
      return;
    }
    setBusy(true);
    const fields = { name: name.trim(), description: description.trim(), permissions };
    const result = role
      ? await client.mutation(UpdateRoleDocument, { id: role.id, ...fields }).toPromise()
      : await client.mutation(CreateRoleDocument, { teamId, ...fields }).toPromise();
    setBusy(false);
    if (result.error) {
      setFailure(describeError(result.error, ROLE_ERRORS));
      return;
    }
    onSaved(role ? `The role ${fields.name} was saved.` : `The role ${fields.name} was created.`);
  };

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={role ? 'Edit role' : 'Create role'}
      returnFocus
      closeButtonProps={{ 'aria-label': 'Close' }}
      size="lg"
    >
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack>
          <ErrorAlert message={failure} />
          <TextInput
            label="Role name"
            data-autofocus
            required
            maxLength={50}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <Textarea
            label="Description"
            description="Optional. Who the role is for."
            autosize
            minRows={2}
            value={description}
            onChange={(event) => setDescription(event.currentTarget.value)}
          />
          <Checkbox.Group label="Permissions" value={permissions} onChange={setPermissions}>
            <Stack gap="sm" mt="xs">
              {catalog.entries.map((entry) => {
                const holds = held.includes(entry.name);
                return (
                  <Checkbox
                    key={entry.name}
                    value={entry.name}
                    label={entry.label}
                    disabled={!holds}
                    description={
                      holds
                        ? entry.description
                        : `${entry.description} You don't hold this permission, so you can't put it in a role.`
                    }
                  />
                );
              })}
            </Stack>
          </Checkbox.Group>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              {role ? 'Save role' : 'Create role'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
