import { useState } from 'react';
import { RegenerateDialog, type KeyTarget } from './RegenerateDialog';
import { RevokeDialog } from './RevokeDialog';

/** Which key is being regenerated or revoked, if any: the state of the two dialogs below. */
export function useKeyChanges() {
  const [regenerating, setRegenerating] = useState<KeyTarget | null>(null);
  const [revoking, setRevoking] = useState<KeyTarget | null>(null);
  return { regenerating, setRegenerating, revoking, setRevoking };
}

interface Props {
  changes: ReturnType<typeof useKeyChanges>;
  /** read the key (or keys) again after a change */
  reload: () => void;
  /** say what happened, in the page's status line */
  onStatus: (message: string) => void;
}

/** The questions before a secret is regenerated or a key revoked, for the list and the key's page. */
export function KeyChangeDialogs({ changes, reload, onStatus }: Props) {
  const { regenerating, setRegenerating, revoking, setRevoking } = changes;
  return (
    <>
      <RegenerateDialog
        target={regenerating}
        onClose={() => setRegenerating(null)}
        onDone={reload}
      />
      <RevokeDialog
        target={revoking}
        onClose={() => setRevoking(null)}
        onDone={(message) => {
          setRevoking(null);
          onStatus(message);
          reload();
        }}
      />
    </>
  );
}
