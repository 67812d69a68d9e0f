import { Alert } from '@mantine/core';
import type { CombinedError } from 'urql';
import { describeError, type MessageOverrides } from '../format/error-messages';

interface Props {
  /** a sentence already written for people, or an API error to turn into one */
  message?: string | null;
  error?: CombinedError | null;
  overrides?: MessageOverrides;
  title?: string;
}

/** An error said in words, announced at once to screen readers (role=alert). */
export function ErrorAlert({ message, error, overrides, title }: Props) {
  const text = message ?? (error ? describeError(error, overrides) : null);
  if (!text) return null;
  return (
    <Alert role="alert" color="red" variant="light" title={title}>
      {text}
    </Alert>
  );
}
