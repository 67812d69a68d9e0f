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
 * Structured JSON logs (pino). Requests are logged one line each by server.ts, with ids and
 * outcomes only: no headers, no bodies, no variables.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>, destination?: DestinationStream): Logger {
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
