/**
 * Structured JSON logs (pino). Keys, tokens and secret material never belong in a log line; the
 * redaction below is a second net for fields that could carry them by mistake.
 */
import pino from 'pino';

/** pino-compatible logging: what every layer logs through. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger & Log {
  return pino(
    {
      level,
      base: { service: 'backstop' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['token', 'botToken', 'secret', 'secretKey', 'privateKey', 'seed', 'authorization', '*.authorization', 'headers.authorization', '*.token', '*.secret', '*.secretKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
