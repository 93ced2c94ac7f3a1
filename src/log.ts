/**
 * Structured logs (pino): JSON lines, or short coloured lines when stdout is a terminal (the same
 * fields, formatted from the JSON after redaction). Keys, tokens and secret material never belong
 * in a log line; the redaction below is a second net for fields that could carry them by mistake.
 */
import pino from 'pino';
import { chooseLogFormat, prettyDestination } from './util/log-format.ts';

/** pino-compatible logging: what every layer logs through. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** A logger writing to `destination`, else to stdout: pretty on a terminal (no colour with NO_COLOR), JSON otherwise. */
export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger & Log {
  const out = destination ?? (chooseLogFormat(process.stdout) === 'pretty' ? prettyDestination(process.stdout, !process.env.NO_COLOR) : undefined);
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
    out,
  );
}
