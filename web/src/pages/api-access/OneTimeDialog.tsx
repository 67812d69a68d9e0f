import type { ReactNode } from 'react';
import { OneTimeSecretDialog } from '../../components/OneTimeSecretDialog';

/** A new or regenerated key's pair, shown once. */
export interface OneTimeSecret {
  /** the public API key, empk_... */
  key: string;
  /** the API secret: shown here once, never stored by the app */
  secret: string;
}

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

/** A key dialog that ends with the API key and its secret, shown once (OneTimeSecretDialog). */
export function OneTimeDialog({ shown, ...rest }: Props) {
  return (
    <OneTimeSecretDialog
      {...rest}
      fields={
        shown && [
          { label: 'API key', copy: 'Copy API key', value: shown.key },
          { label: 'API secret', copy: 'Copy API secret', value: shown.secret },
        ]
      }
      warning="Copy the API secret now. You can't view it again; if you lose it, regenerate it."
      remedy="regenerate it"
    />
  );
}
