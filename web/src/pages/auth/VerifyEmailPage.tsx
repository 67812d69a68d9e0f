import { Alert, Anchor, Loader, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation } from 'urql';
import { describeError } from '../../format/error-messages';
import { VerifyEmailDocument } from '../../graphql/generated';
import { AuthFrame } from './AuthFrame';

type State = { kind: 'checking' } | { kind: 'confirmed' } | { kind: 'refused'; message: string };

/**
 * Where the link emailed to a new account leads: the token in the address confirms it, once,
 * with no session needed. The page says how it went and where to go next.
 */
export default function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [, verify] = useMutation(VerifyEmailDocument);
  const [state, setState] = useState<State>({ kind: 'checking' });
  const asked = useRef(false);

  useEffect(() => {
    // a link is used once: React's second effect run in development must not spend it again
    if (asked.current) return;
    asked.current = true;
    void verify({ token }).then((result) =>
      setState(
        result.data?.verifyEmail
          ? { kind: 'confirmed' }
          : {
              kind: 'refused',
              message: result.error
                ? describeError(result.error)
                : 'This confirmation link is not valid.',
            },
      ),
    );
  }, [token, verify]);

  return (
    <AuthFrame title="Confirm your email address">
      {state.kind === 'checking' ? (
        <Text role="status">
          <Loader size="xs" mr="xs" aria-hidden />
          Confirming your address…
        </Text>
      ) : state.kind === 'confirmed' ? (
        <Alert color="blue" title="Your address is confirmed" role="status">
          You can now accept invitations to teams.{' '}
          <Anchor component={Link} to="/dashboard">
            Go to your dashboard
          </Anchor>
        </Alert>
      ) : (
        <Alert color="red" title="This link didn't work" role="alert">
          {state.message} Sign in and ask for a new link from your dashboard.{' '}
          <Anchor component={Link} to="/sign-in">
            Sign in
          </Anchor>
        </Alert>
      )}
    </AuthFrame>
  );
}
