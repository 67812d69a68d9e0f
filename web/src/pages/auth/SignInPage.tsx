import { Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { useResetClient } from '../../app/ClientProvider';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeCode } from '../../format/error-messages';
import { SignUpAllowedDocument } from '../../graphql/generated';
import { safeReturnPath } from '../../session/return-path';
import { signIn } from '../../session/session-api';
import { AuthFrame } from './AuthFrame';

const SIGN_IN_ERRORS = {
  UNAUTHENTICATED: 'The email or password is wrong. Check both and try again.',
  BAD_USER_INPUT: 'Enter your email address and your password, then try again.',
};

export function SignInPage() {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [params] = useSearchParams();
  const next = params.get('next');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [{ data }] = useQuery({ query: SignUpAllowedDocument });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const answer = await signIn(email.trim(), password);
    setBusy(false);
    if (!answer.ok) {
      setError(describeCode(answer.code, SIGN_IN_ERRORS, answer.retryAfterSeconds));
      return;
    }
    // a new person: nothing loaded for whoever was here before may show
    resetClient();
    await navigate(safeReturnPath(next), { replace: true });
  };

  const signUpPath = next ? `/sign-up?next=${encodeURIComponent(next)}` : '/sign-up';
  return (
    <AuthFrame title="Sign in">
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack gap="md">
          <ErrorAlert message={error} />
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
          />
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </form>
      {data?.signUpAllowed === true ? (
        <Text size="sm">
          New here?{' '}
          <Anchor component={Link} to={signUpPath}>
            Create an account
          </Anchor>
        </Text>
      ) : data?.signUpAllowed === false ? (
        <Text size="sm">Ask your team&apos;s administrator for an invitation.</Text>
      ) : null}
    </AuthFrame>
  );
}
