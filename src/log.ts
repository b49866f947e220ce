import pino, { type Logger } from 'pino';

/**
 * JSON logs (pino). Header and body fields that can carry credentials are censored wherever they
 * appear; configuration is only ever logged in its redacted form.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
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
    destination,
  );
}
