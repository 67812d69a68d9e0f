import { SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from 'urql';
import { can, WHY_NOT } from '../../app/permissions';
import type { ShellTeam } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { allowedAppPermissionsText, lifetimeText } from '../../format/key-rules';
import { rateLimitText } from '../../format/limits';
import { KeyRulesDocument, type KeyRulesFragment } from '../../graphql/generated';
import { KeyRulesForm } from './KeyRulesForm';
import { DetailItem } from '../../components/DetailItem';

/**
 * Key rules tab: the rules every new or changed key of the team must follow, and the team's
 * catalogue of application permissions. Everyone in the team reads them; people who may manage
 * the team change them.
 */
export default function KeyRulesPanel({ team }: { team: ShellTeam }) {
  const [{ data, error, fetching }] = useQuery({
    query: KeyRulesDocument,
    variables: { teamId: team.id },
  });
  const rules = data?.team.apiKeyPolicy;
  return (
    <Stack gap="xl">
      <Stack gap="sm" component="section" aria-labelledby="key-rules-heading">
        <Title order={2} id="key-rules-heading">
          Key rules
        </Title>
        <Text>
          Every new or changed API key of the team must follow these rules. Keys made before a rule
          keep working and are marked “Out of policy” under API Access.
        </Text>
        {error ? <ErrorAlert error={error} /> : null}
        {!rules && fetching ? <Loading label="Loading the key rules…" /> : null}
        {rules ? <KeyRulesSummary rules={rules} /> : null}
      </Stack>
      {rules && can(team, 'team:manage') ? (
        <Stack gap="sm" component="section" aria-labelledby="change-key-rules-heading">
          <Title order={2} id="change-key-rules-heading">
            Change the key rules
          </Title>
          <KeyRulesForm teamId={team.id} rules={rules} />
        </Stack>
      ) : (
        <Text>{WHY_NOT['team:manage']}</Text>
      )}
    </Stack>
  );
}

function KeyRulesSummary({ rules }: { rules: KeyRulesFragment }) {
  return (
    <>
      <SimpleGrid component="dl" cols={{ base: 1, sm: 2 }} spacing="md" verticalSpacing="sm" m={0}>
        <DetailItem term="Maximum lifetime">{lifetimeText(rules)}</DetailItem>
        <DetailItem term="Every key must expire">
          {rules.requireExpiry || rules.maxLifetimeDays ? 'Yes' : 'No'}
        </DetailItem>
        <DetailItem term="Every key must list its allowed addresses">
          {rules.requireAllowedIps ? 'Yes' : 'No'}
        </DetailItem>
        <DetailItem term="Default rate limit for new keys">
          {rateLimitText(rules.defaultRateLimit, 'None')}
        </DetailItem>
        <DetailItem term="Application permissions keys may hold">
          {allowedAppPermissionsText(rules)}
        </DetailItem>
      </SimpleGrid>
      <Title order={3}>Catalogue of application permissions</Title>
      {rules.applicationScopes.length === 0 ? (
        <Text>The team hasn&apos;t described any application permissions yet.</Text>
      ) : (
        <Stack component="dl" gap="xs" m={0} aria-label="Catalogue of application permissions">
          {rules.applicationScopes.map((entry) => (
            <DetailItem key={entry.name} term={entry.name}>
              {entry.description}
            </DetailItem>
          ))}
        </Stack>
      )}
    </>
  );
}
