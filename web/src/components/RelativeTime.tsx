import { Tooltip } from '@mantine/core';
import { formatFullDateTime, relativeTime } from '../format/dates';
import classes from './cells.module.css';

interface Props {
  iso: string | null | undefined;
  /** what to say when there is no time, e.g. "Never" */
  empty?: string;
  /** extra line in the tooltip, e.g. the address a key was last used from */
  detail?: string | null;
}

/**
 * "3 minutes ago", with the full date (and any detail) in a tooltip that opens on hover and on
 * keyboard focus: the text is focusable (tabIndex 0) so keyboard users can reach it too, and the
 * tooltip describes it (aria-describedby) while open. Plain spans inside: tables show many.
 */
export function RelativeTime({ iso, empty = 'Never', detail }: Props) {
  if (!iso) return <span>{empty}</span>;
  const full = formatFullDateTime(iso);
  const label = detail ? `${full}. ${detail}` : full;
  return (
    <Tooltip label={label} events={{ hover: true, focus: true, touch: true }} multiline maw={280}>
      <span tabIndex={0} className={classes.hint}>
        {relativeTime(iso)}
      </span>
    </Tooltip>
  );
}
