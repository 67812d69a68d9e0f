import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useRef, useState, type ReactNode } from 'react';

/** One value of the secret view, with its copy button. */
export interface CopyableField {
  label: string;
  /** the copy button's words, e.g. "Copy API secret" */
  copy: string;
  value: string;
}

interface Props {
  opened: boolean;
  title: string;
  /** set once the secret exists: the dialog then shows these and guards its closing */
  fields: readonly CopyableField[] | null;
  /** the warning shown with the secret: copy it now, and what to do if it is lost */
  warning: string;
  /** what to do instead, said when someone closes without storing: "regenerate it" */
  remedy: string;
  /** said under the warning (after a rotation: the old secret signs for a day) */
  note?: ReactNode;
  /** closes the dialog and drops the secret */
  onClose: () => void;
  /** the step before the secret: a form, or the question before a new secret */
  children: ReactNode;
}

/**
 * A dialog that ends with a secret shown once (an API secret, a webhook signing secret): each
 * value with a copy button, a plain warning, one way out ("I have stored the secret"). Before the
 * secret it closes as any dialog does (Escape, X, outside click); once the secret is shown,
 * clicking outside does nothing and Escape or X ask "Close without storing the secret?" first.
 * The secret lives only in the state of whoever opened the dialog, dropped when it closes.
 */
export function OneTimeSecretDialog(props: Props) {
  const { opened, title, fields, onClose, children } = props;
  const [confirmingClose, setConfirmingClose] = useState(false);
  const done = () => {
    setConfirmingClose(false);
    onClose();
  };
  const requestClose = () => {
    if (!fields) return done();
    // a second Escape while asking means "no, keep it open"
    setConfirmingClose((asking) => !asking);
  };
  let body = children;
  if (fields && confirmingClose)
    body = (
      <CloseWithoutStoring
        remedy={props.remedy}
        onKeepOpen={() => setConfirmingClose(false)}
        onClose={done}
      />
    );
  else if (fields)
    body = <SecretFields fields={fields} warning={props.warning} note={props.note} onDone={done} />;
  return (
    <Modal
      opened={opened}
      onClose={requestClose}
      title={title}
      size="lg"
      returnFocus
      closeOnClickOutside={!fields}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      {body}
    </Modal>
  );
}

function SecretFields({
  fields,
  warning,
  note,
  onDone,
}: Pick<Props, 'warning' | 'note'> & { fields: readonly CopyableField[]; onDone: () => void }) {
  const [copied, setCopied] = useState('');
  const alert = useRef<HTMLDivElement>(null);
  // the form (or the question) that had the focus is gone: start at the warning, so screen
  // readers say it first, and Tab goes on to the fields
  useEffect(() => alert.current?.focus(), []);
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
  return (
    <Stack>
      <Alert ref={alert} tabIndex={-1} color="red" variant="light" title="Shown only once">
        {warning}
      </Alert>
      {note ? <Text>{note}</Text> : null}
      {fields.map((field) => (
        <CopyField key={field.label} field={field} onCopy={copy} />
      ))}
      <Text role="status" aria-live="polite" fw={600} mih="1.5em">
        {copied}
      </Text>
      <Group justify="flex-end">
        <Button onClick={onDone}>I have stored the secret</Button>
      </Group>
    </Stack>
  );
}

function CopyField({
  field,
  onCopy,
}: {
  field: CopyableField;
  onCopy: (value: string, input: HTMLInputElement | null) => Promise<void>;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <Group align="flex-end" gap="xs" wrap="nowrap">
      <TextInput
        ref={input}
        label={field.label}
        value={field.value}
        readOnly
        autoComplete="off"
        spellCheck={false}
        ff="monospace"
        style={{ flex: 1, minWidth: 0 }}
        onFocus={(event) => event.currentTarget.select()}
      />
      <Button variant="default" onClick={() => void onCopy(field.value, input.current)}>
        {field.copy}
      </Button>
    </Group>
  );
}

function CloseWithoutStoring({
  remedy,
  onKeepOpen,
  onClose,
}: {
  remedy: string;
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
      <Text>If you close now, the only way to get a working secret is to {remedy}.</Text>
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
