/**
 * An overseas team keeps its own public holidays: a Réunion team (timezone Indian/Reunion, holiday set
 * `reunion`) is closed on 20 December, the abolition of slavery day there, a Monday in 2027. A person who texts
 * that day gets the closed reply, with the reopening in Réunion time; the Monday before, the team is open.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { addPerson, frText, joinPortal, sendSms, useBridge } from '../../support/bridge.js';
import { noMoreSms } from '../../support/dialogs.js';
import { runAdmin } from '../../support/process.js';


/** The time Lien reads; each test puts it where it needs it. */
let clock = new Date('2027-12-13T06:00:00Z');

describe('office hours: the Réunion holidays close a Réunion team', () => {
  const bridge = useBridge({}, { now: () => clock });
  let awa: Awaited<ReturnType<typeof addPerson>>;
  let roomId: string;

  beforeAll(async () => {
    await bridge.lien.db.models.Team.updateOne({ _id: bridge.team._id }, { $set: { timezone: 'Indian/Reunion' } });
    awa = await addPerson(bridge, { displayName: 'Awa Hoarau', phone: '+262692654321' });
  });

  it('takes the Réunion set from team:hours, and refuses a set it does not know', async () => {
    const refused = await runAdmin(bridge.lien.env, ['team:hours', bridge.team.slug, 'lun-ven 09:00-12:30 13:30-17:00', '--holidays', 'atlantide']);
    expect(refused.code, refused.out).toBe(64);
    expect(refused.out).toContain('reunion|mayotte|guadeloupe|martinique|guyane|saint-martin|saint-barthelemy|saint-pierre-et-miquelon');
    expect((await bridge.lien.db.models.Team.findById(bridge.team._id).lean())?.holidayCalendar).toBe('france');

    const set = await runAdmin(bridge.lien.env, ['team:hours', bridge.team.slug, 'lun-ven 09:00-12:30 13:30-17:00', '--holidays', 'reunion']);
    expect(set, set.out).toMatchObject({ code: 0 });
    expect(set.out).toContain('Indian/Reunion, holidays: reunion');
    expect(await bridge.lien.db.models.Team.findById(bridge.team._id).lean()).toMatchObject({ timezone: 'Indian/Reunion', holidayCalendar: 'reunion' });
  }, 180_000);

  it('is open on Monday 13 December at 10:00 in Réunion: the SMS reaches the room and no automatic answer goes', async () => {
    clock = new Date('2027-12-13T06:00:00Z'); // Monday 10:00 in Saint-Denis (UTC+4)
    expect((await sendSms(bridge, { from: awa.phone, body: "Bonjour, j'ai un rendez-vous à la CAF." })).status).toBe(200);
    roomId = await joinPortal(bridge, awa._id);
    await bridge.worker.waitForEvent(roomId, 'the SMS', (e) => e.sender === bridge.botUserId && e.content.body === "Awa Hoarau: Bonjour, j'ai un rendez-vous à la CAF.");
    await noMoreSms(bridge, awa.phone, 0, 2_500);
  });

  it('is closed on Monday 20 December (abolition of slavery day): one automatic answer, reopening Tuesday 9:00 Réunion time', async () => {
    clock = new Date('2027-12-20T06:00:00Z'); // Monday 10:00 in Saint-Denis, inside the usual hours
    expect((await sendSms(bridge, { from: awa.phone, body: 'Le bureau est fermé aujourd’hui ?' })).status).toBe(200);
    await bridge.worker.waitForEvent(roomId, 'the holiday SMS', (e) => e.sender === bridge.botUserId && e.content.body === 'Awa Hoarau: Le bureau est fermé aujourd’hui ?');
    const [reply] = await bridge.twilio.waitForSent(awa.phone, 1);
    expect(reply?.form.Body).toBe(frText('hours.closedReply', { reopening: 'mardi 21 décembre à 09:00', emergency: frText('hours.emergency') }));
    await noMoreSms(bridge, awa.phone, 1, 2_500);
  });
});
