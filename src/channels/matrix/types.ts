/** What the Matrix channel carries in and out (see client.ts for the HTTP side). */

/** A room event as the sync loop hands it over (timeline events of joined rooms). */
export interface RoomEvent {
  roomId: string;
  eventId: string;
  sender: string;
  type: string;
  stateKey?: string;
  content: Record<string, unknown>;
  originServerTs: number;
  /** unsigned.transaction_id etc. */
  unsigned?: Record<string, unknown>;
  /** The event this one edits, redacts or reacts to, when it does. */
  relatesTo?: { relType?: string; eventId?: string };
  redacts?: string;
  /** It arrived end-to-end encrypted (type and content are the decrypted ones). */
  encrypted?: boolean;
}

export interface RoomEventHandler {
  /** Called once per timeline event, in order; must be idempotent on eventId (a restart may replay). */
  onRoomEvent(event: RoomEvent): Promise<void>;
  /** Lien was invited to a room. */
  onInvite?(roomId: string, inviter: string | undefined): Promise<void>;
  /** An encrypted event stayed undecryptable past the grace period (reported once, never relayed). */
  onUndecryptable?(event: RoomEvent, code: string): Promise<void>;
}

export interface SyncTokenStore {
  load(): Promise<string | undefined>;
  save(token: string): Promise<void>;
}

/** A text for a room: plain body and an HTML body. */
export interface RoomText {
  body: string;
  html?: string;
}
