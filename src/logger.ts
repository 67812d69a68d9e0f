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
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination(1),
  );
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
