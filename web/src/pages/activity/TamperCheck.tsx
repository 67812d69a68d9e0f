import { Alert, Button, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useClient } from 'urql';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeChainCheck } from '../../format/chain-check';
import { describeError } from '../../format/error-messages';
import { VerifyAuditChainDocument } from '../../graphql/generated';

interface Answer {
  valid: boolean;
  text: string;
}

/** "Check for tampering": walks the team's hash-chained log on the server and says the result. */
export function TamperCheck({ teamId }: { teamId: string }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const check = async () => {
    setBusy(true);
    setAnswer(null);
    setFailure(null);
    const result = await client
      .query(VerifyAuditChainDocument, { teamId }, { requestPolicy: 'network-only' })
      .toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setFailure(
        result.error
          ? describeError(result.error, {
              RATE_LIMITED:
                'A check of this log is already running. Wait a minute, then try again.',
            })
          : null,
      );
      return;
    }
    const verification = result.data.verifyAuditChain;
    setAnswer({ valid: verification.valid, text: describeChainCheck(verification) });
  };

  return (
    <Stack gap="sm" component="section" aria-labelledby="tamper-heading">
      <Title order={2} id="tamper-heading">
        Check for tampering
      </Title>
      <Text>
        Every event is linked to the one before it. The check reads the whole log and reports the
        first place where that link is broken. It can take a while for a long log.
      </Text>
      <div>
        <Button variant="default" loading={busy} onClick={() => void check()}>
          Check for tampering
        </Button>
      </div>
      <div role="status" aria-live="polite">
        {answer ? (
          <Alert color={answer.valid ? 'blue' : 'red'} variant="light">
            {answer.text}
          </Alert>
        ) : null}
      </div>
      <ErrorAlert message={failure} />
    </Stack>
  );
}
