/**
 * The dev phone's side of Twilio, for running Lien with no Twilio account: an SMS "sent" gets a SID at
 * once, stays readable in the database like any other, and Twilio's status callbacks (sent, then
 * delivered) are posted back to Lien signed exactly as Twilio signs them. Refused in production.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logger.js';
import { signTwilioRequest } from './signature.js';
import type { OutboundSms, SmsSender } from './types.js';

export class DevPhoneSender implements SmsSender {
  constructor(
    private readonly authToken: string,
    private readonly logger: Logger,
    private readonly delayMs = 300,
  ) {}

  async send(sms: OutboundSms): Promise<{ sid: string }> {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    setTimeout(() => void this.callback(sms.statusCallback, sid, 'sent').then(() => this.callback(sms.statusCallback, sid, 'delivered')), this.delayMs).unref();
    return { sid };
  }

  private async callback(url: string, sid: string, status: string): Promise<void> {
    const params = { MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status };
    try {
      await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signTwilioRequest(this.authToken, url, params) },
        body: new URLSearchParams(params).toString(),
      });
    } catch (err) {
      this.logger.warn({ status, reason: (err as Error).message }, 'dev phone could not post a status callback');
    }
  }
}
