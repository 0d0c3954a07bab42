/** What the routing layer works with; `lien.ts` builds one and hands it to every handler. */
import type { AuditLog } from '../audit/audit-log.js';
import type { MatrixClient } from '../channels/matrix/client.js';
import type { Translator } from '../i18n/translator.js';
import type { Logger } from '../logger.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Claims } from '../store/claims.js';
import type { FieldCipher } from '../store/field-cipher.js';
import type { Models } from '../store/models/index.js';

export interface RoutingContext {
  models: Models;
  cipher: FieldCipher;
  audit: AuditLog;
  outbox: Outbox;
  claims: Claims;
  i18n: Translator;
  logger: Logger;
  /** The logged-in Matrix client; waits while the homeserver is away. */
  matrix: () => Promise<MatrixClient>;
  botUserId: () => string | undefined;
  commandPrefix: string;
  defaultCountry: string;
  /** The service's own numbers in E.164 (Twilio's from-number, the dev phone's): never a person's. */
  serviceNumbers?: readonly string[];
  defaultTeam: string | undefined;
  /** Where Twilio posts delivery statuses (public URL + /twilio/status). */
  statusCallbackUrl: () => string;
  /** The language of room notices (the workers'). */
  staffLanguage: string;
  /** The clock every decision about time of day is read from (tests fix it). */
  now: () => Date;
  /** How long portal rooms' events may be kept by the homeserver (m.room.retention), in ms; none when unset. */
  roomRetentionMs?: number;
  /** Runs a job the scheduler defines, once at `when`, idempotent on `key`; set once the scheduler exists. */
  scheduleOnce?: (job: string, when: Date, data: Record<string, unknown>, key: string) => Promise<void>;
}
