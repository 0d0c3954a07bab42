/**
 * Appointment reminders and answers (need 3), as SMS exchanges: a worker sets an appointment in the room
 * (!rdv), the reminder goes the day before (here: its job is run now), and the person answers OUI or NON,
 * in French, plain French and English. A cancellation reaches the referent at once (a notice that
 * mentions them); the person's preferences decide whether and when a reminder goes.
 */
import { describe, expect, it } from 'vitest';
import { APPOINTMENT_REMINDER_JOB } from '../../../src/domain/appointments.js';
import { JOBS_COLLECTION } from '../../../src/scheduler/scheduler.js';
import { addPerson, joinPortal, useBridge, waitForNotice, type Bridge } from '../../support/bridge.js';
import { botSms, fate, noMoreSms, relayed, roomNotice, smsTo, TestClock, text, waitForNoticeEnding } from '../../support/dialogs.js';
import { waitFor } from '../../support/wait.js';

// Tuesday 10 March 2037, 10:00 in Paris.
const clock = new TestClock(new Date('2037-03-10T09:00:00Z'));
// Wednesday 11 March, 14:30 in Paris.
const TOMORROW_1430 = new Date('2037-03-11T13:30:00Z');

async function appointmentFor(bridge: Bridge, person: { _id: unknown }, startsAt = TOMORROW_1430, place: string | null = 'Mairie annexe') {
  const conversation = await waitFor('the conversation', async () => bridge.lien.db.models.Conversation.findOne({ person: person._id }).lean());
  return bridge.lien.db.models.Appointment.create({ person: person._id, conversation: conversation._id, worker: bridge.worker.doc._id, startsAt, place });
}

/** Runs the appointment's reminder job now, as the scheduler would the day before. */
async function triggerReminder(bridge: Bridge, appointmentId: unknown): Promise<void> {
  await bridge.lien.scheduler.once(APPOINTMENT_REMINDER_JOB, new Date(), { appointmentId: String(appointmentId) }, `test:${String(appointmentId)}:${Date.now()}`);
}

const reminderVars = (language: 'fr' | 'fr-falc' | 'en') => ({ weekday: language === 'en' ? 'Wednesday' : 'mercredi', date: '11/03', time: '14:30', worker: 'Sophie Bernard', place: ', Mairie annexe' });

describe('dialogs: appointment reminders, OUI and NON', () => {
  const bridge = useBridge({}, { now: clock.now });

  it('reminds the day before; OUI confirms (room told, person thanked); anything else goes to the room and the reminder waits', async () => {
    const { lien } = bridge;
    const yanis = await addPerson(bridge, { displayName: 'Yanis Moulin' });
    await text(bridge, yanis.phone, 'Bonjour');
    const roomId = await joinPortal(bridge, yanis._id);
    const appointment = await appointmentFor(bridge, yanis);

    await triggerReminder(bridge, appointment._id);
    const [reminder] = (await bridge.twilio.waitForSent(yanis.phone, 1)).map((r) => r.form.Body);
    expect(reminder).toBe(botSms('fr', 'reminder', reminderVars('fr')));
    expect(reminder).toBe('Rappel : RDV mercredi 11/03 à 14:30 avec Sophie Bernard, Mairie annexe. Répondez OUI pour confirmer ou NON pour annuler. (Message automatique)');
    await waitFor('the reminder recorded', async () => (await lien.db.models.Appointment.findById(appointment._id).lean())?.reminderSentAt?.getTime() === clock.at.getTime());

    const aside = 'Je serai peut-être un peu en retard, le bus est en grève';
    const { sid: asideSid } = await text(bridge, yanis.phone, aside);
    await relayed(bridge, roomId, 'Yanis Moulin', aside);
    expect(await fate(bridge, asideSid)).not.toBe('consumed');
    expect((await lien.db.models.Appointment.findById(appointment._id).lean())?.status).toBe('scheduled');

    const { sid, replies } = await text(bridge, yanis.phone, 'Oui merci !', 1);
    expect(replies).toEqual([botSms('fr', 'appointmentConfirmed')]);
    expect(await fate(bridge, sid)).toBe('consumed');
    const confirmed = await lien.db.models.Appointment.findById(appointment._id).lean();
    expect(confirmed).toMatchObject({ status: 'confirmed', answeredAt: clock.at });
    await waitForNotice(bridge, roomId, roomNotice('bot.room.appointmentConfirmed', { name: 'Yanis Moulin', weekday: 'mercredi', date: '11/03', time: '14:30' }));
    expect(await lien.db.models.AuditEvent.countDocuments({ action: 'appointment.confirmed', 'subject.id': String(appointment._id) })).toBe(1);

    // Answered: a later "oui" is just a message.
    const { sid: later } = await text(bridge, yanis.phone, 'oui');
    await relayed(bridge, roomId, 'Yanis Moulin', 'oui');
    expect(await fate(bridge, later)).not.toBe('consumed');
    await noMoreSms(bridge, yanis.phone, 2);
  });

  it('gives a person who never texted the first-contact notice before their first reminder', async () => {
    const { lien } = bridge;
    const ali = await addPerson(bridge, { displayName: 'Ali Benhamou', informed: false });
    const conversation = await lien.db.models.Conversation.create({ person: ali._id, team: bridge.team._id, owner: bridge.worker.doc._id });
    const appointment = await lien.db.models.Appointment.create({ person: ali._id, conversation: conversation._id, worker: bridge.worker.doc._id, startsAt: TOMORROW_1430, place: 'Mairie annexe' });
    await triggerReminder(bridge, appointment._id);
    const sent = (await bridge.twilio.waitForSent(ali.phone, 2)).map((r) => r.form.Body);
    expect(sent).toEqual([
      botSms('fr', 'firstContact', { team: bridge.team.name, months: bridge.retentionMonths, url: `${lien.url}/notice?lang=fr` }),
      botSms('fr', 'reminder', reminderVars('fr')),
    ]);
    expect((await lien.db.models.Person.findById(ali._id).lean())?.consent?.noticeVersion).toBeTruthy();
    expect((await text(bridge, ali.phone, 'OUI', 1)).replies).toEqual([botSms('fr', 'appointmentConfirmed')]);
  });

  it('NON cancels at once, tells the referent by name, and asks for another date (plain French)', async () => {
    const { lien } = bridge;
    const zoe = await addPerson(bridge, { displayName: 'Zoé Lambert', language: 'fr-falc' });
    await text(bridge, zoe.phone, 'Bonjour');
    const roomId = await joinPortal(bridge, zoe._id);
    const appointment = await appointmentFor(bridge, zoe);
    await triggerReminder(bridge, appointment._id);
    const [reminder] = await bridge.twilio.waitForSent(zoe.phone, 1);
    expect(reminder?.form.Body).toBe(botSms('fr-falc', 'reminder', reminderVars('fr-falc')));

    const { replies } = await text(bridge, zoe.phone, 'non', 1);
    expect(replies).toEqual([botSms('fr-falc', 'appointmentCancelled')]);
    expect((await lien.db.models.Appointment.findById(appointment._id).lean())?.status).toBe('cancelled');
    const cancelled = roomNotice('bot.room.appointmentCancelled', { name: 'Zoé Lambert', weekday: 'mercredi', date: '11/03', time: '14:30' });
    const notice = (await waitForNoticeEnding(bridge, roomId, cancelled)) as { content: Record<string, unknown> };
    // The referent is mentioned: their client notifies them.
    expect(notice.content['m.mentions']).toEqual({ user_ids: [bridge.worker.userId] });
    expect(String(notice.content.body)).toBe(`Sophie Bernard: ${cancelled}`);

    expect((await text(bridge, zoe.phone, 'Oui', 1)).replies).toEqual([botSms('fr-falc', 'newDateYes')]);
    await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.newDateWanted', { name: 'Zoé Lambert' }));
  });

  it('works in English, and from the menu (2) without a reminder', async () => {
    const { lien } = bridge;
    const amy = await addPerson(bridge, { displayName: 'Amy Clarke', language: 'en' });
    await text(bridge, amy.phone, 'Hi');
    const roomId = await joinPortal(bridge, amy._id);
    const first = await appointmentFor(bridge, amy);
    await triggerReminder(bridge, first._id);
    expect((await bridge.twilio.waitForSent(amy.phone, 1))[0]?.form.Body).toBe(botSms('en', 'reminder', reminderVars('en')));
    expect((await text(bridge, amy.phone, 'NO', 1)).replies).toEqual([botSms('en', 'appointmentCancelled')]);
    expect((await text(bridge, amy.phone, 'no thanks', 1)).replies).toEqual([botSms('en', 'newDateNo')]);
    await waitForNoticeEnding(bridge, roomId, roomNotice('bot.room.newDateNotWanted', { name: 'Amy Clarke' }));

    // Another appointment, answered from the menu.
    const second = await appointmentFor(bridge, amy, new Date('2037-03-13T10:00:00Z'), null);
    await text(bridge, amy.phone, 'HELP', 1);
    expect((await text(bridge, amy.phone, '2', 1)).replies).toEqual([botSms('en', 'appointmentAsk', { weekday: 'Friday', date: '13/03', time: '11:00', worker: 'Sophie Bernard', place: '' })]);
    expect((await text(bridge, amy.phone, 'yes', 1)).replies).toEqual([botSms('en', 'appointmentConfirmed')]);
    expect((await lien.db.models.Appointment.findById(second._id).lean())?.status).toBe('confirmed');
  });

  it('sets an appointment with !rdv, schedules its reminder, and honours the preferences when the reminder is due', async () => {
    const { lien } = bridge;
    const hugo = await addPerson(bridge, { displayName: 'Hugo Perrin' });
    await text(bridge, hugo.phone, 'Bonjour');
    const roomId = await joinPortal(bridge, hugo._id);

    await bridge.worker.say(roomId, '!rdv 12/03 9h30 Centre social, 2e étage');
    await waitForNotice(bridge, roomId, roomNotice('command.appointmentCreated', {
      name: 'Hugo Perrin', weekday: 'jeudi', date: '12/03', time: '09:30', worker: 'Sophie Bernard', place: ', Centre social, 2e étage', reminder: roomNotice('command.appointmentReminder'),
    }));
    const created = await waitFor('the appointment', async () => lien.db.models.Appointment.findOne({ person: hugo._id }).lean());
    expect(created).toMatchObject({ startsAt: new Date('2037-03-12T08:30:00Z'), place: 'Centre social, 2e étage', status: 'scheduled', worker: bridge.worker.doc._id });
    // Its reminder is scheduled for the day before, at the same time.
    const job = await lien.db.conn.collection(JOBS_COLLECTION).findOne({ 'data.runKey': `reminder:${String(created._id)}` });
    expect(job).toMatchObject({ name: APPOINTMENT_REMINDER_JOB, nextRunAt: new Date('2037-03-11T08:30:00Z') });
    await bridge.worker.say(roomId, '!rdv 31/02 10:00');
    await waitForNotice(bridge, roomId, roomNotice('command.appointmentBadDate', { input: '31/02' }));

    // Hugo welcomes messages from 18:00 only: the reminder waits until then.
    await lien.db.models.Person.updateOne({ _id: hugo._id }, { $set: { 'preferences.welcomeFrom': '18:00', 'preferences.welcomeUntil': '21:00' } });
    await triggerReminder(bridge, created._id);
    const deferred = await waitFor('the reminder put off', async () => lien.db.conn.collection(JOBS_COLLECTION).findOne({ 'data.runKey': `reminder:${String(created._id)}:2037-03-10T17:00:00.000Z` }));
    expect(deferred).toMatchObject({ name: APPOINTMENT_REMINDER_JOB, nextRunAt: new Date('2037-03-10T17:00:00Z') });
    await noMoreSms(bridge, hugo.phone, 0);
    clock.advance(8 * 3600_000); // 18:00
    try {
      await triggerReminder(bridge, created._id);
      expect((await bridge.twilio.waitForSent(hugo.phone, 1))[0]?.form.Body).toBe(botSms('fr', 'reminder', { weekday: 'jeudi', date: '12/03', time: '09:30', worker: 'Sophie Bernard', place: ', Centre social, 2e étage' }));
    } finally {
      clock.advance(-8 * 3600_000);
    }

    // Reminders turned off: none goes, and the room is told so that someone can call instead.
    const other = await appointmentFor(bridge, hugo, new Date('2037-03-11T15:00:00Z'), null);
    await lien.db.models.Person.updateOne({ _id: hugo._id }, { $set: { 'preferences.reminders': false, 'preferences.welcomeFrom': '08:00', 'preferences.welcomeUntil': '20:00' } });
    await triggerReminder(bridge, other._id);
    await waitForNotice(bridge, roomId, roomNotice('bot.room.reminderSkipped', { name: 'Hugo Perrin', weekday: 'mercredi', date: '11/03', time: '16:00', reason: roomNotice('bot.room.reminderSkippedReason.reminders_off') }));
    // Reminders on, but calls only: no SMS either.
    const third = await appointmentFor(bridge, hugo, new Date('2037-03-12T15:00:00Z'), null);
    await lien.db.models.Person.updateOne({ _id: hugo._id }, { $set: { 'preferences.reminders': true, 'preferences.channels': ['call'] } });
    await triggerReminder(bridge, third._id);
    await waitForNotice(bridge, roomId, roomNotice('bot.room.reminderSkipped', { name: 'Hugo Perrin', weekday: 'jeudi', date: '12/03', time: '16:00', reason: roomNotice('bot.room.reminderSkippedReason.calls_only') }));
    await noMoreSms(bridge, hugo.phone, 1);
    expect(smsTo(bridge, hugo.phone)).toHaveLength(1);
    expect(await lien.db.models.Appointment.countDocuments({ person: hugo._id, reminderSentAt: { $ne: null } })).toBe(1);
  });
});
