import type { VerifyAuditChainQuery } from '../graphql/generated';
import { formatCount, plural } from './numbers';

type ChainCheck = VerifyAuditChainQuery['verifyAuditChain'];

// The server's reasons for a break, in plain words; any other reason is shown as it is.
const REASONS: Record<string, string> = {
  'an event is missing before this one': 'an event before it is missing',
  'does not link to the event before it (removed, inserted or reordered)':
    "it doesn't follow on from the event before it: events were removed, inserted or reordered",
  'its content does not match its hash (edited)': 'its content was edited',
  'events are missing at the end of the chain': 'the newest events are missing',
  'the chain head is missing': 'the record of the newest event is missing',
  'an event remains at or before the archived head': 'an event that was archived is still there',
};

/** The answer of "Check for tampering", in a sentence or two. */
export function describeChainCheck(check: ChainCheck): string {
  const archived = check.archivedThroughPosition
    ? ` Events up to #${formatCount(Number(check.archivedThroughPosition))} were archived earlier and not checked here.`
    : '';
  if (check.valid) {
    return `The log is intact: ${plural(check.checkedEvents, 'event')} checked.${archived}`;
  }
  const where = check.firstBrokenPosition
    ? `the first break is at event #${formatCount(Number(check.firstBrokenPosition))}`
    : 'the break is at the end of the log';
  const why = check.reason ? `: ${REASONS[check.reason] ?? check.reason}` : '';
  return `The log was changed: ${where}${why}. ${plural(check.checkedEvents, 'event')} checked. Tell your platform administrator.${archived}`;
}
