import { Anchor, Card, List, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { can, WHY_NOT } from '../../app/permissions';
import type { ShellTeam } from '../../app/shell-context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Loading } from '../../components/Loading';
import { daysFromNow, formatDate, timeLeft, toInputValue } from '../../format/dates';
import { plainBreach } from '../../format/key-rules';
import { plural } from '../../format/numbers';
import { whereFound } from '../../format/revocation';
import {
  NeedsAttentionDocument,
  type AttentionKeyFragment,
  type NeedsAttentionQuery,
} from '../../graphql/generated';

const EXPIRY_WINDOW_DAYS = 14;
/** keys revoked because their secret leaked stay on the list this long */
const LEAK_WINDOW_DAYS = 30;
/** keys each list shows; the heading counts them all */
const SHOWN = 5;
/** the newest active keys checked against the team's rules (the API has no filter for it) */
const CHECKED_FOR_POLICY = 100;

type AttentionKey = AttentionKeyFragment;

// refetch when any key changes, even when a list was empty (it then holds no key to watch)
const NEEDS_KEYS = { additionalTypenames: ['ApiKey'] };

/**
 * "Needs attention": active keys about to expire (soonest first, with the time left), keys revoked
 * lately because their secret leaked (with where it was found), keys never used, keys whose owner
 * left the team, and keys that break the team's key rules. Each list shows a few keys and how many
 * there are, with a link to more of them. Without email, this is where a team learns these facts.
 */
export function NeedsAttention({ team }: { team: ShellTeam }) {
  const allowed = can(team, 'apiKeys:read');
  // fixed when the page opens, for the link to the filtered list
  const [soon] = useState(() => daysFromNow(EXPIRY_WINDOW_DAYS));
  const [leakedSince] = useState(() => daysFromNow(-LEAK_WINDOW_DAYS).toISOString());
  const [{ data, error, fetching }] = useQuery({
    query: NeedsAttentionDocument,
    variables: { teamId: team.id, leakedSince },
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
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <AttentionList
            title={`Expiring within ${EXPIRY_WINDOW_DAYS} days`}
            empty={`No active key expires in the next ${EXPIRY_WINDOW_DAYS} days.`}
            keys={data.expiring}
            count={data.expiring.length}
            keysPath={keysPath}
            allLink={`${keysPath}?status=ACTIVE&expiresBefore=${toInputValue(soon)}`}
            detail={(key) => (key.expiresAt ? expiresText(key.expiresAt) : '')}
          />
          <AttentionList
            title="Revoked: secret leaked"
            empty={`No key was revoked for a leaked secret in the last ${LEAK_WINDOW_DAYS} days.`}
            note="Applications using these keys are refused: give them new keys."
            keys={nodes(data.leaked)}
            count={data.leaked.totalCount}
            keysPath={keysPath}
            allLink={`${keysPath}?status=REVOKED&leaked=1`}
            detail={revokedText}
          />
          <AttentionList
            title="Never used"
            empty="Every active key has been used."
            keys={nodes(data.neverUsed)}
            count={data.neverUsed.totalCount}
            keysPath={keysPath}
            allLink={`${keysPath}?status=ACTIVE&neverUsed=1`}
            detail={(key) => `created ${formatDate(key.createdAt)}`}
          />
          <AttentionList
            title="Owner has left the team"
            empty="Every active key has an owner in the team."
            keys={nodes(data.needsOwner)}
            count={data.needsOwner.totalCount}
            keysPath={keysPath}
            allLink={`${keysPath}?status=ACTIVE&needsOwner=1`}
            detail={() => 'needs a new owner'}
          />
          <OutOfPolicy active={data.active} keysPath={keysPath} />
        </SimpleGrid>
      )}
    </Stack>
  );
}

function nodes<T>(connection: { edges: { node: T }[] }): T[] {
  return connection.edges.map((edge) => edge.node);
}

/** "expires in 3 days, on Mar 4, 2026"; "expires in 5 hours, on …". */
function expiresText(iso: string): string {
  return `expires ${timeLeft(iso)}, on ${formatDate(iso)}`;
}

/** "revoked on Mar 4, 2026: its secret was found at https://github.com/…" */
function revokedText(key: NeedsAttentionQuery['leaked']['edges'][number]['node']): string {
  const revoked = key.revokedAt ? `revoked on ${formatDate(key.revokedAt)}` : 'revoked';
  return `${revoked}: ${whereFound(key.leakSource)}`;
}

/** Active keys that break the team's key rules, among the newest ones. */
function OutOfPolicy({
  active,
  keysPath,
}: {
  active: NeedsAttentionQuery['active'];
  keysPath: string;
}) {
  const breaking = nodes(active).filter((key) => key.policyBreaches.length > 0);
  const partial = active.totalCount > CHECKED_FOR_POLICY;
  return (
    <AttentionList
      title="Out of policy"
      empty={
        partial
          ? `The ${CHECKED_FOR_POLICY} newest active keys follow the team's key rules.`
          : "Every active key follows the team's key rules."
      }
      note={
        partial
          ? `Of the ${CHECKED_FOR_POLICY} newest active keys.`
          : 'Made before a stricter rule.'
      }
      keys={breaking}
      count={breaking.length}
      keysPath={keysPath}
      detail={(key) => plainBreach(key.policyBreaches[0])}
    />
  );
}

interface ListProps<K extends AttentionKey> {
  title: string;
  empty: string;
  /** a line under the heading, when there are keys */
  note?: string;
  /** in the order to show them; the first few are shown */
  keys: readonly K[];
  count: number;
  keysPath: string;
  /** the API Access list filtered to these keys; without one, the list says how many more */
  allLink?: string;
  detail: (key: K) => string;
}

function AttentionList<K extends AttentionKey>(props: ListProps<K>) {
  const { title, empty, note, keys, count, keysPath, allLink, detail } = props;
  const headingId = `attention-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <Card withBorder component="section" aria-labelledby={headingId}>
      <Stack gap="xs">
        <Title order={3} size="h4" id={headingId}>
          {title}: {count}
        </Title>
        {count === 0 ? (
          <Text size="sm">{empty}</Text>
        ) : (
          <>
            {note ? <Text size="sm">{note}</Text> : null}
            <List spacing={4} size="sm">
              {keys.slice(0, SHOWN).map((key) => (
                <List.Item key={key.id}>
                  <Anchor component={Link} to={`${keysPath}/${key.id}`}>
                    {key.name}
                  </Anchor>{' '}
                  <Text span size="sm">
                    {detail(key)}
                  </Text>
                </List.Item>
              ))}
            </List>
            {allLink ? (
              <Anchor component={Link} to={allLink} size="sm">
                See all {plural(count, 'key')}
              </Anchor>
            ) : count > SHOWN ? (
              <Text size="sm">And {plural(count - SHOWN, 'other')}, marked under API Access.</Text>
            ) : null}
          </>
        )}
      </Stack>
    </Card>
  );
}
