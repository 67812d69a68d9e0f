import type { ReactNode } from 'react';
import { OneTimeSecretDialog } from '../../components/OneTimeSecretDialog';

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

/** An endpoint dialog that ends with its signing secret, shown once (OneTimeSecretDialog). */
export function WebhookSecretDialog({ secret, ...rest }: Props) {
  return (
    <OneTimeSecretDialog
      {...rest}
      fields={
        secret === null
          ? null
          : [{ label: 'Signing secret', copy: 'Copy signing secret', value: secret }]
      }
      warning="Copy the signing secret now and store it with the receiver. You can't view it again; if you lose it, make a new one."
      remedy="make a new one"
    />
  );
}
