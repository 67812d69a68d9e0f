import { Alert, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useParams } from 'react-router';
import { useQuery } from 'urql';
import { usePageTitle } from '../../app/page-title';
import { useCurrentTeam } from '../../app/shell-context';
import { usePermissionCatalog } from '../../app/use-permission-catalog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { StatusMessage } from '../../components/StatusMessage';
import { leakText } from '../../format/revocation';
import { ApiKeyDocument } from '../../graphql/generated';
import { SettingsBreadcrumbs } from '../settings/SettingsBreadcrumbs';
import { EditKeyDialog } from './EditKeyDialog';
import { KeyActions } from './KeyActions';
import { KeyActivity } from './KeyActivity';
import { KeyDetails } from './KeyDetails';
import { KeyChangeDialogs, useKeyChanges } from './KeyChangeDialogs';
import { usagePeriod } from './usage';
import { UsageSection } from './UsageSection';

const KEY_NOT_FOUND = {
  NOT_FOUND:
    "This API key doesn't exist in this team. Go back to API Access and pick it from the list.",
  BAD_USER_INPUT:
    "This address doesn't name an API key. Go back to API Access and pick one from the list.",
};

/** .../api-access/:keyId: one key, its settings, its use and its recent activity. */
export default function KeyPage() {
  const team = useCurrentTeam();
  const { keyId = '' } = useParams();
  const catalog = usePermissionCatalog();
  // fixed when the page opens, so the query's variables stay the same between renders
  const [period] = useState(usagePeriod);
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: ApiKeyDocument,
    variables: { id: keyId, ...period },
  });
  const [editing, setEditing] = useState(false);
  const changes = useKeyChanges();
  const [status, setStatus] = useState<string | null>(null);
  const reload = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const apiKey = data?.apiKey;
  usePageTitle(apiKey ? `${apiKey.name} · API Access` : 'API key');

  const keysPath = `/teams/${team.id}/settings/profile-team/api-access`;
  const crumbs = [
    { label: 'Profile & Team', to: `/teams/${team.id}/settings/profile-team` },
    { label: 'API Access', to: keysPath },
    { label: apiKey?.name ?? 'API key' },
  ];

  if (!apiKey) {
    return (
      <Stack gap="lg">
        <SettingsBreadcrumbs teamId={team.id} trail={crumbs} />
        <Title order={1}>API key</Title>
        {error ? <ErrorAlert error={error} overrides={KEY_NOT_FOUND} /> : null}
        {fetching ? <Loading /> : null}
      </Stack>
    );
  }
  return (
    <Stack gap="xl">
      <Stack gap="sm">
        <SettingsBreadcrumbs teamId={team.id} trail={crumbs} />
        <Title order={1}>{apiKey.name}</Title>
        <StatusMessage message={status} />
        <LeakNotice apiKey={apiKey} />
        <Group gap="sm" align="flex-start">
          {apiKey.viewerCanUpdate ? (
            <Button onClick={() => setEditing(true)}>Edit</Button>
          ) : (
            <Text size="sm">
              {apiKey.status === 'REVOKED'
                ? 'A revoked key can no longer be changed.'
                : "You don't have permission to change this key's settings."}
            </Text>
          )}
          <KeyActions
            apiKey={apiKey}
            size="sm"
            onRegenerate={changes.setRegenerating}
            onRevoke={changes.setRevoking}
          />
        </Group>
      </Stack>
      <Stack gap="sm" component="section" aria-labelledby="key-settings-heading">
        <Title order={2} id="key-settings-heading">
          Settings
        </Title>
        <KeyDetails apiKey={apiKey} labels={catalog.labels} />
      </Stack>
      <UsageSection usage={apiKey.usage} from={period.from} />
      <KeyActivity team={team} keyId={apiKey.id} keysPath={keysPath} />
      <EditKeyDialog
        teamId={team.id}
        apiKey={apiKey}
        opened={editing}
        catalog={catalog}
        held={team.viewerPermissions}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          setStatus('Your changes were saved.');
          reload();
        }}
      />
      <KeyChangeDialogs changes={changes} reload={reload} onStatus={setStatus} />
    </Stack>
  );
}

/** A key revoked because its secret leaked says where, and what to do now. */
function LeakNotice({ apiKey }: { apiKey: Parameters<typeof leakText>[0] }) {
  const leak = leakText(apiKey);
  if (!leak) return null;
  return (
    <Alert color="red" variant="light" title="This key's secret leaked">
      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
        {leak}.
      </Text>
      <Text size="sm">
        The key was revoked at once and can't be used again: create a new key for the application
        that used it, and check this key's activity below for uses you don't recognise.
      </Text>
    </Alert>
  );
}
