/**
 * CANCEL is both an opt-out keyword and a word for cancelling: in answer to a question about an
 * appointment that waits for its answer (a reminder, the menu's question) it cancels the appointment and
 * the person stays subscribed; with nothing waiting it opts out, as README says. STOP opts out whatever
 * waits, and a reminder that comes due after it sends nothing (the room is told).
 */
import { describe, expect, it } from 'vitest';
import { APPOINTMENT_REMINDER_JOB } from '../../../src/domain/appointments.js';
import { addPerson, frText, joinPortal, useBridge, waitForNotice, type Bridge } from '../../support/bridge.js';
import { botSms, fate, noMoreSms, relayed, roomNotice, smsTo, TestClock, text, translator, waitForNoticeEnding } from '../../support/dialogs.js';
import { waitFor } from '../../support/wait.js';

// Tuesday 13 March 2035, 10:00 in Paris; the appointments are the next days. (Kept within the retention
// period below of the people the test creates today, so that the daily erasure leaves them alone.)
const clock = new TestClock(new Date('2035-03-13T09:00:00Z'));
const TOMORROW_1430 = new Date('2035-03-14T13:30:00Z');

async function appointmentFor(bridge: Bridge, person: { _id: unknown }, startsAt = TOMORROW_1430) {
  const conversation = await waitFor('the conversation', async () => bridge.lien.db.models.Conversation.findOne({ person: person._id }).lean());
  return bridge.lien.db.models.Appointment.create({ person: person._id, conversation: conversation._id, worker: bridge.worker.doc._id, startsAt, place: null });
}

/** Runs the appointment's reminder job now, as the scheduler would the day before. */
async function triggerReminder(bridge: Bridge, appointmentId: unknown): Promise<void> {
  await bridge.lien.scheduler.once(APPOINTMENT_REMINDER_JOB, new Date(), { appointmentId: String(appointmentId) }, `test:${String(appointmentId)}:${Date.now()}`);
}

const statusOf = async (bridge: Bridge, id: unknown) => (await bridge.lien.db.models.Appointment.findById(id).lean())?.status;
const optedOut = async (bridge: Bridge, id: unknown) => (await bridge.lien.db.models.Person.findById(id).lean())?.optedOut ?? null;

describe('dialogs: CANCEL answers an appointment question, and opts out otherwise', () => {
  const bridge = useBridge({ LIEN_RETENTION_MONTHS: '120' }, { now: clock.now });

  it('cancels the appointment when CANCEL answers a pending reminder (still subscribed), and opts out when nothing waits', async () => {
    const amy = await addPerson(bridge, { displayName: 'Amy Clarke', language: 'en' });
    await text(bridge, amy.phone, 'Hi');
    const roomId = await joinPortal(bridge, amy._id);
    const appointment = await appointmentFor(bridge, amy);
    await triggerReminder(bridge, appointment._id);
    const [reminder] = await bridge.twilio.waitForSent(amy.phone, 1, 30_000);
    expect(reminder?.form.Body).toBe(botSms('en', 'reminder', { weekday: 'Wednesday', date: '14/03', time: '14:30', worker: 'Sophie Bernard', place: '' }));

    const { sid, replies } = await text(bridge, amy.phone, 'CANCEL', 1);
    expect(replies).toEqual([botSms('en', 'appointmentCancelled')]);
    expect(await fate(bridge, sid)).toBe('consumed');
    expect(await statusOf(bridge, appointment._id)).toBe('cancelled');
    expect(await optedOut(bridge, amy._id)).toBeNull();
    await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.appointmentCancelled', { name: 'Amy Clarke', weekday: 'mercredi', date: '14/03', time: '14:30' }), 45_000);
    // "Another date?" — CANCEL again is a no there, not an opt-out.
    expect((await text(bridge, amy.phone, 'Cancel', 1)).replies).toEqual([botSms('en', 'newDateNo')]);
    expect(await optedOut(bridge, amy._id)).toBeNull();

    // Nothing waits for an answer any more: CANCEL opts out, with the one confirmation.
    const { sid: stopSid, replies: confirmation } = await text(bridge, amy.phone, 'CANCEL', 1);
    expect(confirmation).toEqual([translator.t('en', 'sms.optedOut')]);
    expect(await optedOut(bridge, amy._id)).toMatchObject({ keyword: 'CANCEL' });
    await waitForNotice(bridge, roomId, frText('room.optedOut', { name: 'Amy Clarke', keyword: 'CANCEL' }), 45_000);
    await relayed(bridge, roomId, 'Amy Clarke', 'CANCEL');
    expect(await fate(bridge, stopSid)).not.toBe('consumed');
    await noMoreSms(bridge, amy.phone, 4);
  }, 180_000);

  it('cancels from the menu question too; STOP opts out even with a reminder pending, and a reminder due after it sends nothing', async () => {
    const { lien } = bridge;
    const tom = await addPerson(bridge, { displayName: 'Tom Baker', language: 'en' });
    await text(bridge, tom.phone, 'Hello');
    const roomId = await joinPortal(bridge, tom._id);

    // The menu's appointment question, answered CANCEL.
    const first = await appointmentFor(bridge, tom, new Date('2035-03-16T10:00:00Z'));
    await text(bridge, tom.phone, 'HELP', 1);
    expect((await text(bridge, tom.phone, '2', 1)).replies).toEqual([botSms('en', 'appointmentAsk', { weekday: 'Friday', date: '16/03', time: '11:00', worker: 'Sophie Bernard', place: '' })]);
    expect((await text(bridge, tom.phone, 'cancel', 1)).replies).toEqual([botSms('en', 'appointmentCancelled')]);
    expect(await statusOf(bridge, first._id)).toBe('cancelled');
    expect((await text(bridge, tom.phone, 'no', 1)).replies).toEqual([botSms('en', 'newDateNo')]);
    expect(await optedOut(bridge, tom._id)).toBeNull();

    // A reminder pending: STOP opts out all the same, and leaves the appointment as it was.
    const second = await appointmentFor(bridge, tom);
    await triggerReminder(bridge, second._id);
    await bridge.twilio.waitForSent(tom.phone, 5, 30_000);
    expect((await text(bridge, tom.phone, 'STOP', 1)).replies).toEqual([translator.t('en', 'sms.optedOut')]);
    expect(await optedOut(bridge, tom._id)).toMatchObject({ keyword: 'STOP' });
    expect(await statusOf(bridge, second._id)).toBe('scheduled');

    // A reminder that comes due after STOP: no SMS; the room is told so that someone can call.
    const third = await appointmentFor(bridge, tom, new Date('2035-03-14T15:00:00Z'));
    await triggerReminder(bridge, third._id);
    await waitForNotice(bridge, roomId, roomNotice('bot.room.reminderSkipped', { name: 'Tom Baker', weekday: 'mercredi', date: '14/03', time: '16:00', reason: roomNotice('bot.room.reminderSkippedReason.opted_out') }), 45_000);
    await noMoreSms(bridge, tom.phone, 6);
    expect(smsTo(bridge, tom.phone).at(-1)).toBe(translator.t('en', 'sms.optedOut'));
    expect((await lien.db.models.Appointment.findById(third._id).lean())?.reminderSentAt ?? null).toBeNull();
  }, 180_000);
});
