import { Code, List, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { RelativeTime } from '../../components/RelativeTime';
import { KeyStatusBadge } from '../../components/StatusBadge';
import { formatDate, formatDateTime } from '../../format/dates';
import { plainBreach } from '../../format/key-rules';
import type { PermissionLabels } from '../../format/permissions';
import type { KeyDetailsFragment } from '../../graphql/generated';
import { scopesText } from './KeysTable';
import cells from '../../components/cells.module.css';

interface Props {
  apiKey: KeyDetailsFragment;
  labels: PermissionLabels;
}

/** The key's settings and history, as a description list. */
export function KeyDetails({ apiKey, labels }: Props) {
  const dropped = apiKey.scopes.filter((s) => !apiKey.effectiveScopes.includes(s));
  return (
    <SimpleGrid component="dl" cols={{ base: 1, sm: 2 }} spacing="md" verticalSpacing="sm" m={0}>
      <Item term="API key">
        <Code className={cells.breakAll}>{apiKey.key}</Code>
      </Item>
      <Item term="Secret ends in">
        <Code>{apiKey.secretLast4}</Code>
      </Item>
      <Item term="Status">
        <KeyStatusBadge status={apiKey.status} />
      </Item>
      <Item term="Team's key rules">
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
      </Item>
      <Item term="Description">{apiKey.description || 'None'}</Item>
      <Item term="What this key can do">
        {scopesText(apiKey.effectiveScopes, labels)}
        {dropped.length > 0 ? (
          <Text size="sm" mt={4}>
            Not in effect, because its owner no longer holds them: {scopesText(dropped, labels)}.
          </Text>
        ) : null}
      </Item>
      <Item term="Allowed addresses">
        {apiKey.allowedIps.length === 0 ? 'Any address' : apiKey.allowedIps.join(', ')}
      </Item>
      <Item term="Expires">{apiKey.expiresAt ? formatDateTime(apiKey.expiresAt) : 'Never'}</Item>
      <Item term="Owner">{apiKey.owner?.name ?? 'Nobody: the owner left the team'}</Item>
      <Item term="Created">
        {formatDate(apiKey.createdAt)}
        {apiKey.createdBy ? ` by ${apiKey.createdBy.name}` : ''}
      </Item>
      <Item term="Last used">
        <RelativeTime
          iso={apiKey.lastUsedAt}
          detail={apiKey.lastUsedIp ? `From ${apiKey.lastUsedIp}` : null}
        />
      </Item>
      <Item term="Secret last regenerated">
        {apiKey.secretRegeneratedAt ? formatDateTime(apiKey.secretRegeneratedAt) : 'Never'}
      </Item>
      {apiKey.revokedAt ? <Item term="Revoked">{formatDateTime(apiKey.revokedAt)}</Item> : null}
    </SimpleGrid>
  );
}

function Item({ term, children }: { term: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text component="dt" fw={600} size="sm">
        {term}
      </Text>
      <Text component="dd" m={0}>
        {children}
      </Text>
    </Stack>
  );
}
