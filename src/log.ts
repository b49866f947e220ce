import pino, { type Logger } from 'pino';
import type { HubConfig } from './config.js';
import { logPseudonymKey, pseudonymousDestination } from './ops/log-pseudonyms.js';

export interface LoggerOptions {
  /** Where lines go (default: stdout, as pino's own default). */
  destination?: pino.DestinationStream;
  /** The install's key for the pseudonyms that replace email addresses (ops/log-pseudonyms.ts). */
  pseudonymKey: Buffer;
}

/**
 * JSON logs (pino). Header and body fields that can carry credentials are censored wherever they
 * appear; configuration is only ever logged in its redacted form; email addresses are replaced by
 * pseudonyms in every line; message bodies are never logged.
 */
export function createLogger(level: string, options: LoggerOptions): Logger {
  // pino's default destination, made explicit so it can be wrapped: stdout by file descriptor,
  // unless something (a test runner) has replaced stdout's write.
  const tampered = process.stdout.write !== Object.getPrototypeOf(process.stdout).write;
  const destination = options.destination ?? (tampered ? (process.stdout as unknown as pino.DestinationStream) : pino.destination(process.stdout.fd ?? 1));
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-hub-signature"]',
          'req.headers["x-helpscout-signature"]',
          'req.headers["x-zendesk-webhook-signature"]',
          'req.headers["stripe-signature"]',
          'req.headers["x-hub-signature-256"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.secret',
        ],
        censor: '[redacted]',
      },
    },
    pseudonymousDestination(destination, options.pseudonymKey),
  );
}

/** The hub's logger as its settings ask: LOG_LEVEL, and the install's pseudonym key. */
export function hubLogger(config: Pick<HubConfig, 'log' | 'store'>): Logger {
  return createLogger(config.log.level, { pseudonymKey: logPseudonymKey(config) });
}
