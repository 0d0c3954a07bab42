/**
 * What the SMS channel carries in and out. The channel never decides what a message means: it checks
 * Twilio's signature, parses, and hands what arrived to handlers that main wires in (routing/).
 */

/** One SMS (or MMS, where a carrier delivers one) received on the service's number. */
export interface InboundSms {
  /** Twilio's MessageSid: the idempotency key (Twilio retries webhooks). */
  messageSid: string;
  /** E.164, as Twilio gives it. */
  from: string;
  to: string;
  body: string;
  media: Array<{ url: string; contentType: string }>;
  receivedAt: Date;
}

/** Twilio's MessageStatus values for an outbound message. */
export type TwilioMessageStatus =
  | 'accepted' | 'scheduled' | 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed'
  | 'receiving' | 'received' | 'read' | 'canceled';

export interface SmsStatusUpdate {
  messageSid: string;
  status: TwilioMessageStatus;
  /** Twilio's ErrorCode (30003, 21610…) when the status is undelivered or failed. */
  errorCode: string | null;
}

export interface SmsWebhookHandlers {
  /** Must have stored the message durably when it resolves: Lien answers Twilio only then. */
  onInbound(sms: InboundSms): Promise<void>;
  onStatus(update: SmsStatusUpdate): Promise<void>;
}

export interface OutboundSms {
  /** E.164 */
  to: string;
  body: string;
  /** Where Twilio posts status callbacks for this message. */
  statusCallback: string;
}

/** Why an SMS could not be delivered, in words a worker can act on (locales: sms.failure.<reason>). */
export type SmsFailureReason =
  | 'opted_out' | 'unreachable' | 'landline' | 'invalid_number' | 'blocked' | 'carrier'
  | 'queue_overflow' | 'too_long' | 'account' | 'unknown';

export interface SmsSender {
  /** Resolves with Twilio's SID once Twilio has accepted the message; throws DeliveryError otherwise. */
  send(sms: OutboundSms): Promise<{ sid: string }>;
}
