import { Badge } from '@mantine/core';
import type { ApiKeyStatus, AuditOutcome } from '../graphql/generated';
import { describeOutcome } from '../format/audit-actions';

// Dark enough for white text at AA contrast (Mantine's filled greens and oranges are not).
const KEY_STATUS: Record<ApiKeyStatus, { label: string; color: string }> = {
  ACTIVE: { label: 'Active', color: '#1e6b34' },
  EXPIRED: { label: 'Expired', color: '#8a4b00' },
  REVOKED: { label: 'Revoked', color: '#a51d2d' },
};

const OUTCOME_COLOR: Record<AuditOutcome, string> = {
  SUCCESS: '#1e6b34',
  DENIED: '#a51d2d',
  FAILURE: '#8a4b00',
};

export function KeyStatusBadge({ status }: { status: ApiKeyStatus }) {
  const { label, color } = KEY_STATUS[status];
  return (
    <Badge color={color} variant="filled" tt="none" miw="max-content">
      {label}
    </Badge>
  );
}

export function keyStatusLabel(status: ApiKeyStatus): string {
  return KEY_STATUS[status].label;
}

export function keyStatusColor(status: ApiKeyStatus): string {
  return KEY_STATUS[status].color;
}

export function OutcomeBadge({ outcome }: { outcome: AuditOutcome }) {
  return (
    <Badge color={OUTCOME_COLOR[outcome]} variant="filled" tt="none" miw="max-content">
      {describeOutcome(outcome)}
    </Badge>
  );
}
