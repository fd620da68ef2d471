import { pino, type Logger } from 'pino';

export type { Logger };

/** Field paths whose values never reach a log line, wherever they appear. */
const REDACTED_PATHS = [
  'token',
  '*.token',
  'headers.authorization',
  '*.headers.authorization',
  'headers["dd-api-key"]',
  'headers["dd-application-key"]',
  'signingSecret',
  '*.signingSecret',
  'secret',
  '*.secret',
];

export function createLogger(level = 'info'): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { app: 'durable-delivery' } });
}
