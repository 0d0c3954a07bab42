/**
 * `!rdv` with a year: the appointment is stored for the year typed (10/12/2099 is in 2099, not this year), and
 * the room is told which year was understood; a day without a year is the next one; a day no calendar has
 * (31/02) or a past year is refused, and nothing is stored.
 */
import { describe, expect, it } from 'vitest';
import { addPerson, joinPortal, useBridge, waitForNotice } from '../../support/bridge.js';
import { roomNotice, TestClock, text } from '../../support/dialogs.js';
import { waitFor } from '../../support/wait.js';

// Tuesday 10 March 2037, 10:00 in Paris.
const clock = new TestClock(new Date('2037-03-10T09:00:00Z'));

describe('dialogs: !rdv dates with a year', () => {
  const bridge = useBridge({}, { now: clock.now });

  it('stores the year typed, says it, and refuses impossible or past dates', async () => {
    const { lien } = bridge;
    const lina = await addPerson(bridge, { displayName: 'Lina Garnier' });
    await text(bridge, lina.phone, 'Bonjour');
    const roomId = await joinPortal(bridge, lina._id);
    const created = (vars: { weekday: string; date: string; time: string }) =>
      roomNotice('command.appointmentCreated', { name: 'Lina Garnier', worker: 'Sophie Bernard', place: '', reminder: roomNotice('command.appointmentReminder'), ...vars });
    const stored = async (startsAt: Date) => waitFor(`the appointment at ${startsAt.toISOString()}`, async () => lien.db.models.Appointment.findOne({ person: lina._id, startsAt }).lean());

    await bridge.worker.say(roomId, '!rdv 10/12/2099 14:00');
    await waitForNotice(bridge, roomId, created({ weekday: 'jeudi', date: '10/12/2099', time: '14:00' }));
    expect(await stored(new Date('2099-12-10T13:00:00Z'))).toMatchObject({ status: 'scheduled' });

    // Two digits are 20YY; this year's date is said without its year.
    await bridge.worker.say(roomId, '!rdv 10/12/37 9h');
    await waitForNotice(bridge, roomId, created({ weekday: 'jeudi', date: '10/12', time: '09:00' }));
    await stored(new Date('2037-12-10T08:00:00Z'));

    // No year, and the day is past this year: next year's.
    await bridge.worker.say(roomId, '!rdv 09/03 10:00');
    await waitForNotice(bridge, roomId, created({ weekday: 'mardi', date: '09/03/2038', time: '10:00' }));
    await stored(new Date('2038-03-09T09:00:00Z'));

    await bridge.worker.say(roomId, '!rdv 31/02/2038 10:00');
    await waitForNotice(bridge, roomId, roomNotice('command.appointmentBadDate', { input: '31/02/2038' }));
    await bridge.worker.say(roomId, '!rdv 29/02/2039 10:00');
    await waitForNotice(bridge, roomId, roomNotice('command.appointmentBadDate', { input: '29/02/2039' }));
    await bridge.worker.say(roomId, '!rdv 10/12/2020 10:00');
    await waitForNotice(bridge, roomId, roomNotice('command.appointmentPast', { weekday: 'jeudi', date: '10/12/2020', time: '10:00' }));

    const all = await lien.db.models.Appointment.find({ person: lina._id }).sort({ startsAt: 1 }).lean();
    expect(all.map((a) => a.startsAt.toISOString())).toEqual(['2037-12-10T08:00:00.000Z', '2038-03-09T09:00:00.000Z', '2099-12-10T13:00:00.000Z']);
  });
});
