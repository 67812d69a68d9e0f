import { Alert, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';

export interface OneTimeSecret {
  /** the public API key, empk_... */
  key: string;
  /** the API secret: shown here once, never stored by the app */
  secret: string;
}

interface Props {
  shown: OneTimeSecret;
  /** "Close without storing…?" is being asked */
  confirmingClose: boolean;
  onKeepOpen: () => void;
  onDone: () => void;
}

/**
 * The one-time view of a new or regenerated secret: the API key and API secret, each with a copy
 * button, a plain warning, and one way out ("I have stored the secret"). Closing any other way
 * asks first, inside the dialog.
 */
export function SecretView({ shown, confirmingClose, onKeepOpen, onDone }: Props) {
  const [copied, setCopied] = useState('');
  const warning = useRef<HTMLDivElement>(null);
  // the form (or the question) that had the focus is gone: start at the warning, so screen
  // readers say it first, and Tab goes on to the fields
  useEffect(() => {
    if (!confirmingClose) warning.current?.focus();
  }, [confirmingClose]);
  const copy = async (value: string, field: HTMLInputElement | null) => {
    setCopied('');
    try {
      await navigator.clipboard.writeText(value);
      // a fresh text each time, so the live region announces a second copy too
      window.setTimeout(() => setCopied('Copied'), 50);
    } catch {
      field?.select();
      setCopied("Couldn't copy. The text is selected: copy it with your keyboard or menu.");
    }
  };

  if (confirmingClose) return <CloseWithoutStoring onKeepOpen={onKeepOpen} onClose={onDone} />;
  return (
    <Stack>
      <Alert ref={warning} tabIndex={-1} color="red" variant="light" title="Shown only once">
        Copy the API secret now. You can&apos;t view it again; if you lose it, regenerate it.
      </Alert>
      <CopyField label="API key" value={shown.key} onCopy={copy} />
      <CopyField label="API secret" value={shown.secret} onCopy={copy} />
      <Text role="status" aria-live="polite" fw={600} mih="1.5em">
        {copied}
      </Text>
      <Group justify="flex-end">
        <Button onClick={onDone}>I have stored the secret</Button>
      </Group>
    </Stack>
  );
}

interface FieldProps {
  label: 'API key' | 'API secret';
  value: string;
  onCopy: (value: string, field: HTMLInputElement | null) => Promise<void>;
}

function CopyField({ label, value, onCopy }: FieldProps) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <Group align="flex-end" gap="xs" wrap="nowrap">
      <TextInput
        ref={input}
        label={label}
        value={value}
        readOnly
        autoComplete="off"
        spellCheck={false}
        ff="monospace"
        style={{ flex: 1, minWidth: 0 }}
        onFocus={(event) => event.currentTarget.select()}
      />
      <Button variant="default" onClick={() => void onCopy(value, input.current)}>
        Copy {label}
      </Button>
    </Group>
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
  // the question replaces the fields: put the keyboard on the safe answer
  useEffect(() => back.current?.focus(), []);
  return (
    <Stack role="group" aria-labelledby="close-without-storing">
      <Text fw={600} id="close-without-storing">
        Close without storing the secret? You can&apos;t view it again.
      </Text>
      <Text>If you close now, the only way to get a working secret is to regenerate it.</Text>
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
