/** The automatic answer outside office hours: honest, in the person's language, and short (GSM-7, 2 SMS). */
import { describe, expect, it } from 'vitest';
import { smsSegments } from '../../../src/channels/sms/segments.js';
import { DEFAULT_OPENING_SLOTS } from '../../../src/domain/office-hours.js';
import type { TeamHours } from '../../../src/domain/opening.js';
import { LANGUAGES } from '../../../src/domain/types.js';
import { Translator } from '../../../src/i18n/translator.js';
import type { RoutingContext } from '../../../src/routing/context.js';
import { formatArrival, formatReopening, OfficeHours } from '../../../src/routing/office-hours.js';

const hours: TeamHours = { timezone: 'Europe/Paris', slots: DEFAULT_OPENING_SLOTS, closures: [], holidayCalendar: 'france' };
// Only the translator is used to write the answer.
const officeHours = new OfficeHours({ i18n: new Translator() } as unknown as RoutingContext);

describe('the automatic answer outside office hours', () => {
  it('says when the team is back, in the team timezone and the person language', () => {
    const monday = new Date('2026-11-30T08:00:00Z');
    expect(formatReopening(monday, 'Europe/Paris', 'fr')).toBe('lundi 30 novembre à 09:00');
    expect(formatReopening(monday, 'Europe/Paris', 'en')).toBe('Monday 30 November at 09:00');
    expect(formatArrival(new Date('2026-11-28T13:02:00Z'), 'Europe/Paris', 'fr')).toBe('samedi 28/11 14:02');
    const text = officeHours.closedReply('fr', hours, monday);
    expect(text).toContain('lundi 30 novembre à 09:00');
    expect(text).toMatch(/^Le service est fermé\. Votre message est bien arrivé/);
  });

  /**
   * Languages that cannot be written in GSM-7 (see tests/unit/bot-segments.test.ts): their answer travels in
   * UCS-2, 67 characters a segment, and the six emergency numbers with what each is for take 100 to 125 of
   * them; with the reopening date it needs up to 4 segments (268 characters). Spanish keeps to GSM-7 here.
   */
  const UCS2_SEGMENTS: Partial<Record<string, number>> = { pt: 4, ro: 4, uk: 4, ar: 4, prs: 4 };

  it.each(LANGUAGES)('in %s, lists the emergency numbers and fits in 2 GSM-7 SMS (or its UCS-2 budget), even with the longest date', (language) => {
    // "mercredi 30 septembre" / "Wednesday 30 September": the longest day and month names.
    for (const reopening of [new Date('2026-09-30T11:30:00Z'), undefined]) {
      const text = officeHours.closedReply(language, hours, reopening);
      for (const number of ['15', '112', '114', '115', '119', '3919']) expect(text).toMatch(new RegExp(`\\b${number}\\b`));
      const ucs2 = UCS2_SEGMENTS[language];
      if (ucs2) {
        expect(smsSegments(text).segments).toBeLessThanOrEqual(ucs2);
      } else {
        expect(smsSegments(text)).toMatchObject({ encoding: 'GSM-7' });
        expect(smsSegments(text).segments).toBeLessThanOrEqual(2);
      }
    }
  });
});
