import { Button, Checkbox, Fieldset, Group, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useEffect, useRef, type FormEvent } from 'react';
import type { CombinedError } from 'urql';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../format/error-messages';
import { eventWords, groupEventTypes, urlProblemWords } from '../../format/webhook-events';

export interface EndpointFormValues {
  url: string;
  description: string;
  events: string[];
}

/** What went wrong, on the field it concerns or above the form. */
export interface EndpointFormProblems {
  url?: string | null;
  description?: string | null;
  events?: string | null;
  form?: string | null;
}

export const MAX_DESCRIPTION = 500;

/** The problems the form finds before anything is sent; empty when there are none. */
export function checkEndpointForm(values: EndpointFormValues): EndpointFormProblems {
  const problems: EndpointFormProblems = {};
  if (!values.url.trim()) problems.url = 'Enter the address to send events to.';
  if (values.events.length === 0) problems.events = 'Choose at least one event.';
  if (values.description.trim().length > MAX_DESCRIPTION)
    problems.description = `Use at most ${MAX_DESCRIPTION} characters.`;
  return problems;
}

export function hasProblems(problems: EndpointFormProblems): boolean {
  return Object.values(problems).some(Boolean);
}

export const ENDPOINT_ERRORS = {
  NOT_FOUND: 'This endpoint no longer exists: someone may have deleted it. Reload the page.',
  FORBIDDEN: "Only the team's Owners and Admins can manage webhooks.",
};

/**
 * The server's refusal, on the field it names (BAD_USER_INPUT with extensions.field), in the
 * panel's own words: the shared error sentences don't know these fields.
 */
export function problemsOfError(error: CombinedError): EndpointFormProblems {
  const first = error.graphQLErrors[0];
  const code = first?.extensions?.code;
  const field = first?.extensions?.field;
  if (code === 'BAD_USER_INPUT') {
    if (field === 'url') return { url: urlProblemWords(first.message) };
    if (field === 'events') return { events: 'Choose at least one event from the list.' };
    if (field === 'description')
      return { description: `Use at most ${MAX_DESCRIPTION} characters.` };
  }
  return { form: describeError(error, ENDPOINT_ERRORS) };
}

interface Props {
  values: EndpointFormValues;
  onChange: (values: EndpointFormValues) => void;
  problems: EndpointFormProblems;
  eventTypes: readonly string[];
  submitLabel: string;
  busy: boolean;
  onSubmit: () => void;
  onCancel: () => void;
}

/**
 * The endpoint's address, what it is for, and the events it receives, each in words with its
 * name beside it, grouped (API keys, Members, Rules). After a refusal the keyboard goes to the
 * field named, whose message is read with it.
 */
export function WebhookEndpointForm(props: Props) {
  const { values, onChange, problems, eventTypes, submitLabel, busy, onSubmit, onCancel } = props;
  const urlField = useRef<HTMLInputElement>(null);
  const descriptionField = useRef<HTMLTextAreaElement>(null);
  const eventsGroup = useRef<HTMLDivElement>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  // the first field with a problem takes the focus once the problems are shown (each check
  // gives a new object, so a second refusal of the same field moves the focus again)
  useEffect(() => {
    if (problems.url) urlField.current?.focus();
    else if (problems.description) descriptionField.current?.focus();
    else if (problems.events) eventsGroup.current?.querySelector('input')?.focus();
  }, [problems]);

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ErrorAlert message={problems.form} />
        <TextInput
          ref={urlField}
          label="Address (URL)"
          description="Where events are sent, e.g. https://example.com/hooks."
          required
          data-autofocus
          type="url"
          inputMode="url"
          autoComplete="url"
          spellCheck={false}
          value={values.url}
          error={problems.url}
          onChange={(event) => onChange({ ...values, url: event.currentTarget.value })}
        />
        <Textarea
          ref={descriptionField}
          label="Description"
          description="Optional. What the endpoint is for."
          autosize
          minRows={2}
          maxLength={MAX_DESCRIPTION}
          value={values.description}
          error={problems.description}
          onChange={(event) => onChange({ ...values, description: event.currentTarget.value })}
        />
        <Checkbox.Group
          ref={eventsGroup}
          label="Events to send"
          description="Choose at least one."
          required
          withAsterisk={false}
          value={values.events}
          error={problems.events}
          onChange={(events) => onChange({ ...values, events })}
        >
          <Stack gap="sm" mt="xs">
            {groupEventTypes(eventTypes).map((group) => (
              <Fieldset key={group.label} legend={group.label} variant="filled" p="sm">
                <Stack gap="xs">
                  {group.types.map((type) => (
                    <Checkbox
                      key={type}
                      value={type}
                      label={eventWords(type)}
                      description={
                        <Text span size="xs" ff="monospace">
                          {type}
                        </Text>
                      }
                    />
                  ))}
                </Stack>
              </Fieldset>
            ))}
          </Stack>
        </Checkbox.Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
