import { Anchor, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { OutcomeBadge } from '../../components/StatusBadge';
import { RelativeTime } from '../../components/RelativeTime';
import { useAuditActions } from '../../app/use-audit-actions';
import { describeAction } from '../../format/audit-actions';
import type { AuditRowFragment } from '../../graphql/generated';
import { actorText, keyOfEvent, type AuditNames } from './audit-names';
import cells from '../../components/cells.module.css';

interface Props {
  events: AuditRowFragment[];
  names: AuditNames;
  /** path of the API Access page, to link keys to their pages */
  keysPath: string;
  /** the key page leaves out the "Which key" column: it is always that key */
  withKey?: boolean;
  label: string;
}

/** Audit events: who, what, which key, outcome, when (full date on hover and focus), from where. */
export function AuditTable({ events, names, keysPath, withKey = true, label }: Props) {
  const actions = useAuditActions();
  return (
    <Table.ScrollContainer minWidth={withKey ? 980 : 760} type="native">
      <Table striped verticalSpacing="xs" aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">When</Table.Th>
            <Table.Th scope="col">Who</Table.Th>
            <Table.Th scope="col">What</Table.Th>
            {withKey ? <Table.Th scope="col">Which key</Table.Th> : null}
            <Table.Th scope="col">Outcome</Table.Th>
            <Table.Th scope="col">From where</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((event) => {
            const key = withKey ? keyOfEvent(event, names) : null;
            return (
              <Table.Tr key={event.id}>
                <Table.Td className={cells.nowrap}>
                  <RelativeTime iso={event.occurredAt} />
                </Table.Td>
                <Table.Td>{actorText(event, names)}</Table.Td>
                <Table.Td>{describeAction(event.action, actions.labels)}</Table.Td>
                {withKey ? (
                  <Table.Td>
                    {key ? (
                      <Anchor component={Link} to={`${keysPath}/${key.id}`} size="sm">
                        {key.name}
                      </Anchor>
                    ) : (
                      <Text size="sm">None</Text>
                    )}
                  </Table.Td>
                ) : null}
                <Table.Td>
                  <OutcomeBadge outcome={event.outcome} />
                </Table.Td>
                <Table.Td>{event.ip ?? 'Unknown'}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
