import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { can, WHY_NOT } from '../../app/permissions';
import type { ShellTeam } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { AuditEventsDocument } from '../../graphql/generated';
import { AuditTable } from '../activity/AuditTable';
import { useAuditNames } from '../activity/use-audit-names';

interface Props {
  team: ShellTeam;
  keyId: string;
  keysPath: string;
}

// a change to the key (edit, regenerate, revoke) is a new event: ask again
const AFTER_KEY_CHANGES = { additionalTypenames: ['ApiKey'] };

/** The key's 20 latest audit events (audit:read), with a link to all of them on Activity. */
export function KeyActivity({ team, keyId, keysPath }: Props) {
  const allowed = can(team, 'audit:read');
  return (
    <Stack gap="sm" component="section" aria-labelledby="key-activity-heading">
      <Title order={2} id="key-activity-heading">
        Recent activity
      </Title>
      {allowed ? (
        <KeyEvents team={team} keyId={keyId} keysPath={keysPath} />
      ) : (
        <Text>{WHY_NOT['audit:read']}</Text>
      )}
    </Stack>
  );
}

function KeyEvents({ team, keyId, keysPath }: Props) {
  const names = useAuditNames(team);
  const [{ data, error, fetching }] = useQuery({
    query: AuditEventsDocument,
    variables: { teamId: team.id, filter: { apiKeyId: keyId }, first: 20 },
    context: AFTER_KEY_CHANGES,
  });
  if (error) return <ErrorAlert error={error} />;
  if (!data) return fetching ? <Loading /> : null;
  const events = data.auditEvents.edges.map((edge) => edge.node);
  return (
    <>
      {events.length === 0 ? (
        <Text>Nothing recorded for this key yet.</Text>
      ) : (
        <AuditTable
          events={events}
          names={names}
          keysPath={keysPath}
          withKey={false}
          label="Recent activity of this key"
        />
      )}
      <Anchor component={Link} to={`/teams/${team.id}/activity?apiKeyId=${keyId}`}>
        See all activity of this key
      </Anchor>
    </>
  );
}
