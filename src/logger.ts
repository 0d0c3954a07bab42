/**
 * Structured logging (pino). Phone numbers and message texts never reach a log: the fields that may
 * carry them are censored wherever they appear, and `maskPhone` is the only way to name a number.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Field names that may hold personal data, censored at any of the first three levels of a log object. */
export const SENSITIVE_KEYS = [
  'phone', 'phoneNumber', 'number', 'from', 'to', 'From', 'To', 'Caller', 'Called',
  'body', 'Body', 'text', 'formatted_body', 'content', 'password', 'accessToken',
  'access_token', 'authToken', 'authorization', 'secret', 'sharedSecret', 'MediaUrl0',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SENSITIVE_KEYS) paths.push(key, `*.${key}`, `*.*.${key}`);
  return paths;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'lien' },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** "+33612345678" → "+33•••••••78": enough to tell two numbers apart in a log, not to call anyone. */
export function maskPhone(phone: string): string {
  if (phone.length <= 4) return '•'.repeat(phone.length);
  return `${phone.slice(0, 3)}${'•'.repeat(phone.length - 5)}${phone.slice(-2)}`;
}
