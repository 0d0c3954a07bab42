import { Schema, type Connection } from 'mongoose';

/**
 * One item of the bot's state (botbuilder's Storage): a person's dialog stack, their pending reminder…
 * `_id` is botbuilder's storage key ("sms/conversations/<id>", "sms/users/<id>"), so every read is an
 * `_id` look-up. The value is JSON sealed with FieldCipher: it may hold what the person answered.
 */
export const dialogStateSchema = new Schema(
  {
    _id: { type: String, required: true },
    valueSealed: { type: String, required: true },
    eTag: { type: String, required: true },
  },
  { versionKey: false, timestamps: true },
);

export const dialogStateModel = (conn: Connection) => conn.model('DialogState', dialogStateSchema, 'dialogStates');
