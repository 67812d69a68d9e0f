import { Alert } from '@mantine/core';

/**
 * The result of an action ("Saved.", "Invitation sent."), in a polite live region: screen
 * readers announce it without interrupting. The region stays in the page while empty, so the
 * announcement is not lost when the message first appears.
 */
export function StatusMessage({ message }: { message: string | null }) {
  return (
    <div role="status" aria-live="polite">
      {message ? (
        <Alert color="blue" variant="light">
          {message}
        </Alert>
      ) : null}
    </div>
  );
}
