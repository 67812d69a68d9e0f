import { Anchor, Card, List, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { can, WHY_NOT } from '../../app/permissions';
import type { ShellTeam } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { daysFromNow, formatDate, toInputValue } from '../../format/dates';
import { plural } from '../../format/numbers';
import { NeedsAttentionDocument, type NeedsAttentionQuery } from '../../graphql/generated';

const EXPIRY_WINDOW_DAYS = 14;

type KeyList = NeedsAttentionQuery['expiring'];

// refetch when any key changes, even when a list was empty (it then holds no key to watch)
const NEEDS_KEYS = { additionalTypenames: ['ApiKey'] };

/**
 * "Needs attention": active keys about to expire, keys never used, and keys whose owner left the
 * team. Each list shows a few keys and how many there are, with a link to all of them.
 */
export function NeedsAttention({ team }: { team: ShellTeam }) {
  const allowed = can(team, 'apiKeys:read');
  // fixed when the page opens: a moving "now" would ask the server again at every render
  const [soon] = useState(() => daysFromNow(EXPIRY_WINDOW_DAYS));
  const [{ data, error, fetching }] = useQuery({
    query: NeedsAttentionDocument,
    variables: { teamId: team.id, expiresBefore: soon.toISOString() },
    pause: !allowed,
    context: NEEDS_KEYS,
  });
  const keysPath = `/teams/${team.id}/settings/profile-team/api-access`;

  return (
    <Stack gap="sm" component="section" aria-labelledby="attention-heading">
      <Title order={2} id="attention-heading">
        Needs attention
      </Title>
      {!allowed ? (
        <Text>{WHY_NOT['apiKeys:read']}</Text>
      ) : error ? (
        <ErrorAlert error={error} />
      ) : !data ? (
        fetching ? (
          <Loading />
        ) : null
      ) : (
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <AttentionList
            title="Expiring within 14 days"
            empty="No active key expires in the next 14 days."
            keys={data.expiring}
            keysPath={keysPath}
            allLink={`${keysPath}?status=ACTIVE&expiresBefore=${toInputValue(soon)}`}
            detail={(key) => (key.expiresAt ? `expires ${formatDate(key.expiresAt)}` : '')}
          />
          <AttentionList
            title="Never used"
            empty="Every active key has been used."
            keys={data.neverUsed}
            keysPath={keysPath}
            allLink={`${keysPath}?status=ACTIVE&neverUsed=1`}
            detail={(key) => `created ${formatDate(key.createdAt)}`}
          />
          <AttentionList
            title="Owner has left the team"
            empty="Every active key has an owner in the team."
            keys={data.needsOwner}
            keysPath={keysPath}
            allLink={`${keysPath}?status=ACTIVE&needsOwner=1`}
            detail={() => 'needs a new owner'}
          />
        </SimpleGrid>
      )}
    </Stack>
  );
}

interface ListProps {
  title: string;
  empty: string;
  keys: KeyList;
  keysPath: string;
  allLink: string;
  detail: (key: KeyList['edges'][number]['node']) => string;
}

function AttentionList({ title, empty, keys, keysPath, allLink, detail }: ListProps) {
  const headingId = `attention-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <Card withBorder component="section" aria-labelledby={headingId}>
      <Stack gap="xs">
        <Title order={3} size="h4" id={headingId}>
          {title}: {keys.totalCount}
        </Title>
        {keys.totalCount === 0 ? (
          <Text size="sm">{empty}</Text>
        ) : (
          <>
            <List spacing={4} size="sm">
              {keys.edges.map(({ node }) => (
                <List.Item key={node.id}>
                  <Anchor component={Link} to={`${keysPath}/${node.id}`}>
                    {node.name}
                  </Anchor>{' '}
                  <Text span size="sm">
                    {detail(node)}
                  </Text>
                </List.Item>
              ))}
            </List>
            <Anchor component={Link} to={allLink} size="sm">
              See all {plural(keys.totalCount, 'key')}
            </Anchor>
          </>
        )}
      </Stack>
    </Card>
  );
}
