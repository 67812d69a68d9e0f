import { Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useResetClient } from '../../app/ClientProvider';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeCode } from '../../format/error-messages';
import { safeReturnPath } from '../../session/return-path';
import { signUp } from '../../session/session-api';
import { AuthFrame } from './AuthFrame';

const MIN_PASSWORD = 12;
const MAX_PASSWORD = 256;

const SIGN_UP_ERRORS = {
  BAD_USER_INPUT:
    'Check the fields: your name, a valid email address, and a password of 12 to 256 characters.',
  FORBIDDEN:
    "Sign-up is closed here. Ask your team's administrator for an invitation, then sign up with the email it was sent to.",
  CONFLICT: 'An account with this email already exists. Sign in instead, or use another email.',
};

export function SignUpPage() {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [params] = useSearchParams();
  const next = params.get('next');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const tooShort = password.length > 0 && password.length < MIN_PASSWORD;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      setError(`Choose a password of ${MIN_PASSWORD} to ${MAX_PASSWORD} characters.`);
      return;
    }
    setBusy(true);
    const answer = await signUp({ email: email.trim(), password, name: name.trim() });
    setBusy(false);
    if (!answer.ok) {
      setError(describeCode(answer.code, SIGN_UP_ERRORS, answer.retryAfterSeconds));
      return;
    }
    resetClient();
    await navigate(safeReturnPath(next), { replace: true });
  };

  const signInPath = next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in';
  return (
    <AuthFrame title="Create an account">
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Stack gap="md">
          <ErrorAlert message={error} />
          <TextInput
            label="Name"
            description="Shown to your teammates and in the activity log."
            autoComplete="name"
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <TextInput
            label="Email"
            description="If you were invited, use the address the invitation was sent to."
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
          />
          <PasswordInput
            label="Password"
            description={`${MIN_PASSWORD} to ${MAX_PASSWORD} characters.`}
            autoComplete="new-password"
            required
            value={password}
            error={tooShort ? `Use at least ${MIN_PASSWORD} characters.` : undefined}
            onChange={(event) => setPassword(event.currentTarget.value)}
          />
          <Button type="submit" loading={busy}>
            Create account
          </Button>
        </Stack>
      </form>
      <Text size="sm">
        Already have an account?{' '}
        <Anchor component={Link} to={signInPath}>
          Sign in
        </Anchor>
      </Text>
    </AuthFrame>
  );
}
