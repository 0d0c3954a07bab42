/**
 * The bot, put together: botbuilder's SMS adapter, the dialogs over Lien's own state storage, the
 * per-person turn lock, the turn handler every inbound SMS goes through, and the reminders Lien sends on
 * its own. `lien.ts` builds one and wires the turn handler into InboundSmsHandler and the scheduler.
 */
import { noticeUrl } from '../domain/notice.js';
import { LienDialogs } from '../../dialogs/index.js';
import type { Logger } from '../logger.js';
import type { RoutingContext } from '../routing/context.js';
import type { Directory } from '../routing/directory.js';
import { MessageStore } from '../routing/messages.js';
import { MongoDialogStorage } from './dialog-storage.js';
import { Reminders } from './reminders.js';
import { SmsAdapter } from './sms-adapter.js';
import { TurnHandler } from './turn-handler.js';
import { TurnLock } from './turn-lock.js';

export interface BotOptions {
  ctx: RoutingContext;
  directory: Directory;
  /** Lien's public address, for the link to the full notice (read when a notice is sent). */
  publicUrl: () => string;
  retentionMonths: number;
  logger: Logger;
}

export interface Bot {
  turns: TurnHandler;
  reminders: Reminders;
}

export function createBot(opts: BotOptions): Bot {
  const { ctx, directory, logger } = opts;
  const messages = new MessageStore(ctx);
  const adapter = new SmsAdapter(ctx, messages);
  const lock = new TurnLock(ctx.claims);
  const dialogs = new LienDialogs({
    ctx,
    directory,
    storage: new MongoDialogStorage(ctx.models, ctx.cipher),
    noticeUrl: (language) => noticeUrl(opts.publicUrl(), language),
    retentionMonths: opts.retentionMonths,
  });
  return {
    turns: new TurnHandler({ ctx, adapter, dialogs, lock, messages, directory, logger: logger.child({ component: 'bot' }) }),
    reminders: new Reminders({ ctx, adapter, dialogs, lock, messages, directory }),
  };
}
