import { Code, Table } from '@mantine/core';
import { memo } from 'react';
import { Link } from 'react-router';
import { RelativeTime } from '../../components/RelativeTime';
import { keyStatusColor, keyStatusLabel } from '../../components/StatusBadge';
import { formatDate } from '../../format/dates';
import { plainBreach } from '../../format/key-rules';
import { creditsLeftText, rateLimitText, refillText } from '../../format/limits';
import { permissionLabel, type PermissionLabels } from '../../format/permissions';
import { leakText } from '../../format/revocation';
import type { KeyRowFragment } from '../../graphql/generated';
import { reasonOff, reasonPartly } from './KeyActions';
import type { KeyTarget } from './RegenerateDialog';
import classes from './keys-table.module.css';

interface Props {
  keys: KeyRowFragment[];
  labels: PermissionLabels;
  /** path of the API Access page; a key's page is below it */
  basePath: string;
  onRegenerate: (key: KeyTarget) => void;
  onRevoke: (key: KeyTarget) => void;
}

/** One page of keys. Wide: it scrolls sideways in its own box, never the page. */
export function KeysTable({ keys, ...rest }: Props) {
  return (
    <Table.ScrollContainer minWidth={1100} type="native">
      <Table striped highlightOnHover verticalSpacing="xs" aria-label="API keys">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Name</Table.Th>
            <Table.Th scope="col">API key</Table.Th>
            <Table.Th scope="col">Secret ends in</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">What this key can do</Table.Th>
            <Table.Th scope="col">Limits</Table.Th>
            <Table.Th scope="col">Owner</Table.Th>
            <Table.Th scope="col">Created</Table.Th>
            <Table.Th scope="col">Last used</Table.Th>
            <Table.Th scope="col">Expires</Table.Th>
            <Table.Th scope="col">Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {keys.map((key) => (
            <KeyRow key={key.id} apiKey={key} {...rest} />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

type RowProps = Omit<Props, 'keys'> & { apiKey: KeyRowFragment };

// Mantine's class names and data attributes of Table.Tr/Td/Th (striped, hover, row border)
const row = { className: Table.classes.tr, 'data-striped': 'odd', 'data-hover': true };
const td = Table.classes.td;
const code = `${Code.classes.root} ${classes.key}`;

// memo: a row re-renders only when its key changes, not when the page's filters are typed in
const KeyRow = memo(function KeyRow(props: RowProps) {
  const { apiKey, labels, basePath } = props;
  return (
    <tr {...row} data-with-row-border>
      <th scope="row" className={Table.classes.th}>
        <Link to={`${basePath}/${apiKey.id}`} className={classes.link}>
          {apiKey.name}
        </Link>
      </th>
      <td className={td} style={{ minWidth: 150 }}>
        <code className={code}>{apiKey.key}</code>
      </td>
      <td className={td}>
        <code className={Code.classes.root}>{apiKey.secretLast4}</code>
      </td>
      <td className={td}>
        <span className={classes.badge} style={{ background: keyStatusColor(apiKey.status) }}>
          {keyStatusLabel(apiKey.status)}
        </span>
        <LeakLine apiKey={apiKey} />
        {apiKey.policyBreaches.length > 0 ? (
          <span
            className={`${classes.badge} ${classes.outOfPolicy}`}
            title={apiKey.policyBreaches.map(plainBreach).join(' ')}
          >
            Out of policy
          </span>
        ) : null}
      </td>
      <td className={td} style={{ minWidth: 130 }}>
        {scopesText(apiKey.effectiveScopes, labels)}
      </td>
      <td className={td} style={{ minWidth: 150 }}>
        <LimitsCell apiKey={apiKey} />
      </td>
      <td className={td}>{apiKey.owner?.name ?? 'Nobody: needs a new owner'}</td>
      <td className={td}>{formatDate(apiKey.createdAt)}</td>
      <td className={td}>
        <RelativeTime
          iso={apiKey.lastUsedAt}
          empty="Never"
          detail={apiKey.lastUsedIp ? `From ${apiKey.lastUsedIp}` : null}
        />
      </td>
      <td className={td}>{apiKey.expiresAt ? formatDate(apiKey.expiresAt) : 'Never'}</td>
      <td className={td} style={{ minWidth: 150 }}>
        <RowActions {...props} />
      </td>
    </tr>
  );
});

/** Under a leaked key's status: where its secret was found. */
function LeakLine({ apiKey }: { apiKey: KeyRowFragment }) {
  const leak = leakText(apiKey);
  return leak ? (
    <span className={`${classes.line} ${classes.detail} ${classes.leak}`}>{leak}</span>
  ) : null;
}

/** The key's rate limit, then its credits (and their refill, smaller), one per line. */
function LimitsCell({ apiKey }: { apiKey: KeyRowFragment }) {
  const refill = refillText(apiKey.credits);
  return (
    <>
      <span className={classes.line}>{rateLimitText(apiKey.rateLimit, 'No rate limit')}</span>
      <span className={classes.line}>{creditsLeftText(apiKey.credits, 'Unlimited credits')}</span>
      {refill ? <span className={`${classes.line} ${classes.detail}`}>{refill}</span> : null}
    </>
  );
}

/** "Regenerate secret" and "Revoke" of a row, usable only when the server says the person may. */
function RowActions({ apiKey, onRegenerate, onRevoke }: RowProps) {
  const target = { id: apiKey.id, name: apiKey.name };
  const { viewerCanRegenerate: canRegenerate, viewerCanRevoke: canRevoke } = apiKey;
  const reasonId = `key-actions-${apiKey.id}`;
  const describedBy = (allowed: boolean) => (allowed ? undefined : reasonId);
  return (
    <>
      <div className={classes.actions}>
        <button
          type="button"
          className={`${classes.button} mantine-focus-auto`}
          disabled={!canRegenerate}
          aria-describedby={describedBy(canRegenerate)}
          onClick={() => onRegenerate(target)}
        >
          Regenerate secret
        </button>
        <button
          type="button"
          className={`${classes.button} mantine-focus-auto`}
          disabled={!canRevoke}
          aria-describedby={describedBy(canRevoke)}
          onClick={() => onRevoke(target)}
        >
          Revoke
        </button>
      </div>
      {!canRegenerate || !canRevoke ? (
        <p className={classes.reason} id={reasonId}>
          {!canRegenerate && !canRevoke ? reasonOff(apiKey) : reasonPartly(apiKey)}
        </p>
      ) : null}
    </>
  );
}

export function scopesText(scopes: readonly string[], labels: PermissionLabels): string {
  if (scopes.length === 0) return 'Nothing';
  return scopes.map((scope) => permissionLabel(labels, scope)).join(', ');
}
