import { Modal } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { SecretView, type OneTimeSecret } from './SecretView';

interface Props {
  opened: boolean;
  title: string;
  /** set once the secret exists: the dialog then shows it and guards its closing */
  shown: OneTimeSecret | null;
  /** closes the dialog and drops the secret */
  onClose: () => void;
  /** the step before the secret: the create form, or the question before regenerating */
  children: ReactNode;
}

/**
 * A dialog that ends with a one-time secret. Before the secret it closes as any dialog does
 * (Escape, X, outside click); once the secret is shown, clicking outside does nothing and Escape
 * or X ask "Close without storing the secret?" first.
 */
export function OneTimeDialog({ opened, title, shown, onClose, children }: Props) {
  const [confirmingClose, setConfirmingClose] = useState(false);

  const done = () => {
    setConfirmingClose(false);
    onClose();
  };
  const requestClose = () => {
    if (!shown) return done();
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
      closeOnClickOutside={!shown}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      {shown ? (
        <SecretView
          shown={shown}
          confirmingClose={confirmingClose}
          onKeepOpen={() => setConfirmingClose(false)}
          onDone={done}
        />
      ) : (
        children
      )}
    </Modal>
  );
}
