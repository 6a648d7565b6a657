// Structured platform logging (pino) with secrets redacted by path; every component logs through this.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'token',
  '*.token',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'config',
  '*.config',
  'env',
  '*.env',
  'secret',
  '*.secret',
];

export function createLogger(name: string, level = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
