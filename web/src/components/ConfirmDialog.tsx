import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { ErrorAlert } from './ErrorAlert';

interface Props {
  opened: boolean;
  title: string;
  /** what happens if the person goes ahead, in plain words */
  children: ReactNode;
  confirmLabel: string;
  /** runs the action; resolves to an error sentence, or null when it worked */
  onConfirm: () => Promise<string | null>;
  onClose: () => void;
  danger?: boolean;
}

/**
 * "Are you sure?" before anything that can't be taken back. Escape and Cancel close it; focus
 * stays inside while it is open and goes back to the button that opened it.
 */
export function ConfirmDialog(props: Props) {
  const { opened, title, children, confirmLabel, onConfirm, onClose, danger } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const close = () => {
    setError(null);
    onClose();
  };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    const failure = await onConfirm();
    setBusy(false);
    if (failure) setError(failure);
  };

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={title}
      returnFocus
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack>
        <Text>{children}</Text>
        <ErrorAlert message={error} />
        <Group justify="flex-end">
          {/* the dialog opens on the safe answer */}
          <Button variant="default" onClick={close} data-autofocus>
            Cancel
          </Button>
          <Button color={danger ? 'red' : undefined} loading={busy} onClick={() => void confirm()}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
