import { Button, Group, List, Modal, Select, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useClient } from 'urql';
import type { PermissionCatalog } from '../../app/use-permission-catalog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusMessage } from '../../components/StatusMessage';
import { describeError } from '../../format/error-messages';
import { permissionLabel } from '../../format/permissions';
import { GrantPermissionDocument, RevokePermissionGrantDocument } from '../../graphql/generated';
import type { Member } from './MembersTable';

interface Props {
  member: Member | null;
  catalog: PermissionCatalog;
  onClose: () => void;
  onChanged: () => void;
}

const GRANT_ERRORS = {
  FORBIDDEN: 'You can only give a permission that you hold yourself.',
  CONFLICT: 'They already have this permission.',
};

/** One member's extra permissions, on top of their role: give one, or withdraw one. */
export function MemberPermissionsDialog({ member, catalog, onClose, onChanged }: Props) {
  const client = useClient();
  const [choice, setChoice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setChoice(null);
    setFailure(null);
    setStatus(null);
    onClose();
  };

  const run = async (action: () => Promise<string | null>) => {
    setBusy(true);
    setFailure(null);
    setStatus(null);
    const failed = await action();
    setBusy(false);
    if (failed) setFailure(failed);
    else onChanged();
  };

  const give = (m: Member, permission: string) =>
    run(async () => {
      const result = await client
        .mutation(GrantPermissionDocument, { membershipId: m.id, permission })
        .toPromise();
      if (result.error) return describeError(result.error, GRANT_ERRORS);
      setChoice(null);
      setStatus(`${m.user.name} can now: ${permissionLabel(catalog.labels, permission)}.`);
      return null;
    });

  const withdraw = (m: Member, grant: Member['grants'][number]) =>
    run(async () => {
      const result = await client
        .mutation(RevokePermissionGrantDocument, { id: grant.id })
        .toPromise();
      if (result.error) return describeError(result.error);
      setStatus(`Withdrawn: ${permissionLabel(catalog.labels, grant.permission)}.`);
      return null;
    });

  const granted = new Set(member?.grants.map((g) => g.permission));
  const choices = catalog.entries
    .filter((entry) => !granted.has(entry.name))
    .map((entry) => ({ value: entry.name, label: entry.label }));

  return (
    <Modal
      opened={member !== null}
      onClose={close}
      title={member ? `Extra permissions of ${member.user.name}` : 'Extra permissions'}
      returnFocus
      closeButtonProps={{ 'aria-label': 'Close' }}
      size="lg"
    >
      {member ? (
        <Stack>
          <Text>
            Extra permissions add to what {member.user.name}&apos;s role ({member.role.name})
            allows.
          </Text>
          <StatusMessage message={status} />
          <ErrorAlert message={failure} />
          {member.grants.length === 0 ? (
            <Text>No extra permissions.</Text>
          ) : (
            <List spacing="xs">
              {member.grants.map((grant) => (
                <List.Item key={grant.id}>
                  <Group gap="sm">
                    <Text span id={`grant-${grant.id}`}>
                      {permissionLabel(catalog.labels, grant.permission)}
                    </Text>
                    <Button
                      size="xs"
                      variant="default"
                      disabled={busy}
                      aria-describedby={`grant-${grant.id}`}
                      onClick={() => void withdraw(member, grant)}
                    >
                      Withdraw
                    </Button>
                  </Group>
                </List.Item>
              ))}
            </List>
          )}
          <Group align="flex-end" gap="sm">
            <Select
              label="Permission to give"
              data={choices}
              value={choice}
              onChange={setChoice}
              searchable
              comboboxProps={{ withinPortal: false }}
              w={280}
            />
            <Button
              disabled={!choice}
              loading={busy}
              onClick={() => choice && void give(member, choice)}
            >
              Give permission
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  );
}
