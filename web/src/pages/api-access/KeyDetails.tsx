import { Code, List, SimpleGrid, Text } from '@mantine/core';
import { RelativeTime } from '../../components/RelativeTime';
import { KeyStatusBadge } from '../../components/StatusBadge';
import { formatDate, formatDateTime } from '../../format/dates';
import { plainBreach } from '../../format/key-rules';
import { creditsLeftText, rateLimitText, refillScheduleText } from '../../format/limits';
import type { PermissionLabels } from '../../format/permissions';
import type { KeyCreditsFragment, KeyDetailsFragment } from '../../graphql/generated';
import { scopesText } from './KeysTable';
import cells from '../../components/cells.module.css';
import { DetailItem } from '../../components/DetailItem';

interface Props {
  apiKey: KeyDetailsFragment;
  labels: PermissionLabels;
}

/** The key's settings and history, as a description list. */
export function KeyDetails({ apiKey, labels }: Props) {
  const dropped = apiKey.scopes.filter((s) => !apiKey.effectiveScopes.includes(s));
  return (
    <SimpleGrid component="dl" cols={{ base: 1, sm: 2 }} spacing="md" verticalSpacing="sm" m={0}>
      <DetailItem term="API key">
        <Code className={cells.breakAll}>{apiKey.key}</Code>
      </DetailItem>
      <DetailItem term="Secret ends in">
        <Code>{apiKey.secretLast4}</Code>
      </DetailItem>
      <DetailItem term="Status">
        <KeyStatusBadge status={apiKey.status} />
      </DetailItem>
      <DetailItem term="Team's key rules">
        {apiKey.policyBreaches.length === 0 ? (
          'Follows them all'
        ) : (
          <>
            Out of policy: it was made before a stricter rule.
            <List size="sm" mt={4}>
              {apiKey.policyBreaches.map((breach) => (
                <List.Item key={breach}>{plainBreach(breach)}</List.Item>
              ))}
            </List>
          </>
        )}
      </DetailItem>
      <DetailItem term="Description">{apiKey.description || 'None'}</DetailItem>
      <DetailItem term="What this key can do">
        {scopesText(apiKey.effectiveScopes, labels)}
        {dropped.length > 0 ? (
          <Text size="sm" mt={4}>
            Not in effect, because its owner no longer holds them: {scopesText(dropped, labels)}.
          </Text>
        ) : null}
      </DetailItem>
      <DetailItem term="Allowed addresses">
        {apiKey.allowedIps.length === 0 ? 'Any address' : apiKey.allowedIps.join(', ')}
      </DetailItem>
      <DetailItem term="Rate limit">{rateLimitText(apiKey.rateLimit)}</DetailItem>
      <DetailItem term="Credits">
        <CreditsDetail credits={apiKey.credits} />
      </DetailItem>
      <DetailItem term="Expires">
        {apiKey.expiresAt ? formatDateTime(apiKey.expiresAt) : 'Never'}
      </DetailItem>
      <DetailItem term="Owner">
        {apiKey.owner?.name ?? 'Nobody: the owner left the team'}
      </DetailItem>
      <DetailItem term="Created">
        {formatDate(apiKey.createdAt)}
        {apiKey.createdBy ? ` by ${apiKey.createdBy.name}` : ''}
      </DetailItem>
      <DetailItem term="Last used">
        <RelativeTime
          iso={apiKey.lastUsedAt}
          detail={apiKey.lastUsedIp ? `From ${apiKey.lastUsedIp}` : null}
        />
      </DetailItem>
      <DetailItem term="Secret last regenerated">
        {apiKey.secretRegeneratedAt ? formatDateTime(apiKey.secretRegeneratedAt) : 'Never'}
      </DetailItem>
      {apiKey.revokedAt ? (
        <DetailItem term="Revoked">
          {formatDateTime(apiKey.revokedAt)}
          {apiKey.revocationReason === 'LEAKED'
            ? ', by the service: its secret was reported as found in public'
            : ''}
        </DetailItem>
      ) : null}
    </SimpleGrid>
  );
}

/** "1,234 credits left", then how and when they are refilled. */
function CreditsDetail({ credits }: { credits: KeyCreditsFragment | null | undefined }) {
  if (!credits) return <>{creditsLeftText(credits)}</>;
  return (
    <>
      {creditsLeftText(credits)}
      <Text size="sm" mt={4}>
        {refillScheduleText(credits)}
        {credits.lastRefillAt
          ? ` Last set or refilled ${formatDateTime(credits.lastRefillAt)}.`
          : ''}
      </Text>
    </>
  );
}
