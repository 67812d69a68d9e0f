import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useRef, useState, type ReactNode } from 'react';

interface Props {
  opened: boolean;
  title: string;
  /** the signing secret (whsec_...), once it exists: the dialog then shows it and guards closing */
  secret: string | null;
  /** what the secret replaces, said under the warning (a rotation: the old one signs for a day) */
  note?: ReactNode;
  /** closes the dialog and drops the secret */
  onClose: () => void;
  /** the step before the secret: the add form, or the question before a new secret */
  children: ReactNode;
}

/**
 * A dialog that ends with an endpoint's signing secret, shown once, as the API secret is under
 * API Access: a copy button, a plain warning, one way out ("I have stored the secret"). Before the
 * secret it closes as any dialog does; once the secret is shown, clicking outside does nothing and
 * Escape or X ask "Close without storing the secret?" first. The secret lives only in the state of
 * the component that opened the dialog, dropped when it closes.
 */
export function WebhookSecretDialog({ opened, title, secret, note, onClose, children }: Props) {
  const [confirmingClose, setConfirmingClose] = useState(false);

  const done = () => {
    setConfirmingClose(false);
    onClose();
  };
  const requestClose = () => {
    if (!secret) return done();
    // a second Escape while asking means "no, keep it open"
    setConfirmingClose((asking) => !asking);
  };

  return (
    <Modal
      opened={opened}
      onClose={requestClose}
      title={title}
      size="lg"
      returnFocus
      closeOnClickOutside={!secret}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      {secret ? (
        confirmingClose ? (
          <CloseWithoutStoring onKeepOpen={() => setConfirmingClose(false)} onClose={done} />
        ) : (
          <SecretView secret={secret} note={note} onDone={done} />
        )
      ) : (
        children
      )}
    </Modal>
  );
}

function SecretView({
  secret,
  note,
  onDone,
}: {
  secret: string;
  note?: ReactNode;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState('');
  const warning = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  // the form (or the question) that had the focus is gone: start at the warning, so screen
  // readers say it first, and Tab goes on to the field
  useEffect(() => warning.current?.focus(), []);
  const copy = async () => {
    setCopied('');
    try {
      await navigator.clipboard.writeText(secret);
      // a fresh text each time, so the live region announces a second copy too
      window.setTimeout(() => setCopied('Copied'), 50);
    } catch {
      input.current?.select();
      setCopied("Couldn't copy. The text is selected: copy it with your keyboard or menu.");
    }
  };
  return (
    <Stack>
      <Alert ref={warning} tabIndex={-1} color="red" variant="light" title="Shown only once">
        Copy the signing secret now and store it with the receiver. You can&apos;t view it again; if
        you lose it, make a new one.
      </Alert>
      {note ? <Text>{note}</Text> : null}
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <TextInput
          ref={input}
          label="Signing secret"
          value={secret}
          readOnly
          autoComplete="off"
          spellCheck={false}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          style={{ flex: 1, minWidth: 0 }}
          onFocus={(event) => event.currentTarget.select()}
        />
        <Button variant="default" onClick={() => void copy()}>
          Copy signing secret
        </Button>
      </Group>
      <Text role="status" aria-live="polite" fw={600} mih="1.5em">
        {copied}
      </Text>
      <Group justify="flex-end">
        <Button onClick={onDone}>I have stored the secret</Button>
      </Group>
    </Stack>
  );
}

function CloseWithoutStoring({
  onKeepOpen,
  onClose,
}: {
  onKeepOpen: () => void;
  onClose: () => void;
}) {
  const back = useRef<HTMLButtonElement>(null);
  // the question replaces the field: put the keyboard on the safe answer
  useEffect(() => back.current?.focus(), []);
  return (
    <Stack role="group" aria-labelledby="close-without-storing-signing-secret">
      <Text fw={600} id="close-without-storing-signing-secret">
        Close without storing the secret? You can&apos;t view it again.
      </Text>
      <Text>If you close now, the only way to get a working secret is to make a new one.</Text>
      <Group justify="flex-end">
        <Button ref={back} variant="default" onClick={onKeepOpen}>
          Go back to the secret
        </Button>
        <Button color="red" onClick={onClose}>
          Close without storing
        </Button>
      </Group>
    </Stack>
  );
}
