import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config';

/** A second line of defence for anything that ever logs a request or an object carrying credentials. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-secret"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-secret"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.variables',
];

/**
 * Structured JSON logs (pino). Requests are logged one line each (http/request-hooks.ts), with ids and
 * outcomes only: no headers, no bodies, no variables.
 */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'nodeEnv'>,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'empress-api-access' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: isoTimeOncePerMillisecond,
    },
    destination ?? pino.destination(1),
  );
}

let stampedAt = -1;
let stamp = '';

/**
 * pino's ISO time field, formatted at most once per millisecond: a busy server writes several
 * lines in each, and formatting the date was a sizeable share of a request's log line.
 */
function isoTimeOncePerMillisecond(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

/**
 * What of an unexpected error goes to the log: name, message, code and stack, never a failed
 * query's SQL parameters (TypeORM's QueryFailedError carries them, password hashes included).
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code } = error as { code?: unknown };
  return { name: error.name, message: error.message, code, stack: error.stack };
}
