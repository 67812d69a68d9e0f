import { Alert, Anchor, List, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { formatDateTime } from '../../format/dates';
import { windowText } from '../../format/limits';
import { plural } from '../../format/numbers';
import { MyLockoutsDocument, type MyLockoutsQuery } from '../../graphql/generated';

type Lockout = MyLockoutsQuery['myLockouts'][number];

/**
 * Tells a person their account was locked after failed sign-ins lately (the service emails them
 * too, when it sends email): someone may be guessing their password. Nothing when there was none.
 */
export function LockoutNotice({ profilePath }: { profilePath: string }) {
  const [{ data }] = useQuery({ query: MyLockoutsDocument });
  const lockouts = data?.myLockouts ?? [];
  if (lockouts.length === 0) return null;

  return (
    <Alert
      color="red"
      variant="light"
      title="Your account was locked after failed sign-ins"
      role="region"
      aria-label="Your account was locked after failed sign-ins"
    >
      <Stack gap="xs">
        <List spacing={4} size="sm">
          {lockouts.map((lockout) => (
            <List.Item key={lockout.at}>{lockoutText(lockout)}</List.Item>
          ))}
        </List>
        <Text size="sm">
          If that was not you, someone may be guessing your password:{' '}
          <Anchor component={Link} to={profilePath} size="sm">
            change it
          </Anchor>{' '}
          to a long one you use nowhere else.
        </Text>
      </Stack>
    </Alert>
  );
}

/** "Mar 4, 2026, 10:02 AM: 5 failed sign-ins within 15 minutes, from 203.0.113.5" */
function lockoutText({ at, ip, failures, windowSeconds, everyAddress }: Lockout): string {
  const what = `${plural(failures, 'failed sign-in')} within ${windowText(windowSeconds)}`;
  const where = everyAddress
    ? 'from many addresses: sign-ins were refused from every address for a while'
    : `from ${ip ?? 'an unknown address'}`;
  return `${formatDateTime(at)}: ${what}, ${where}`;
}
