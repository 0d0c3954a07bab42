import { describe, expect, it } from 'vitest';
import { describeAppointment, parseTimeOfDay, reminderDueAt } from '../../../src/domain/appointments.js';
import { isCallbackRequest, isMenuRequest, languageRequest, parseChannels, parseHoursRange, parseLanguage, recognizeChoice } from '../../../src/domain/bot-keywords.js';
import { isWelcomeAt, nextWelcomeStart } from '../../../src/domain/welcome.js';

describe('what a person may type to the bot', () => {
  it('recognises the menu keywords however typed, and only alone', () => {
    for (const t of ['AIDE', 'aide', ' Aide ! ', 'MENU', 'Menú', 'help', 'HELP please', '0', '?', 'svp aide']) expect(isMenuRequest(t), t).toBe(true);
    for (const t of ["j'ai besoin d'aide pour mon dossier", '10', 'aider', 'menu du jour ?']) expect(isMenuRequest(t), t).toBe(false);
  });

  it('recognises a call-back request, not a sentence that mentions a call', () => {
    for (const t of ['rappel', 'Rappelez-moi', 'rappelez moi svp', 'Appelez-moi !', 'call me back', 'CALLBACK']) expect(isCallbackRequest(t), t).toBe(true);
    for (const t of ['appel', 'pouvez-vous me rappeler demain à 10h', 'rappel de mon rendez-vous ?']) expect(isCallbackRequest(t), t).toBe(false);
  });

  it('reads a language request and names the language in French or English', () => {
    expect(languageRequest('LANGUE')).toEqual({ language: undefined });
    expect(languageRequest('langue en')).toEqual({ language: 'en' });
    expect(languageRequest('Language français')).toEqual({ language: 'fr' });
    expect(languageRequest('LANGUE facile')).toEqual({ language: 'fr-falc' });
    expect(languageRequest('langue klingon')).toEqual({ language: undefined });
    expect(languageRequest('ma langue est le portugais')).toBeUndefined();
    expect(parseLanguage('English')).toBe('en');
    expect(parseLanguage('anglais')).toBe('en');
    expect(parseLanguage('fr-falc')).toBe('fr-falc');
    expect(parseLanguage('FALC')).toBe('fr-falc');
    expect(parseLanguage('klingon')).toBeUndefined();
  });

  it('names the other languages by code, by their own name, in French or in English, however typed', () => {
    const names: Record<string, string[]> = {
      es: ['es', 'español', 'ESPANOL', 'espagnol', 'Spanish', 'castellano'],
      pt: ['pt', 'português', 'portugues', 'Portugais', 'portuguese'],
      ro: ['ro', 'română', 'romana', 'roumain', 'Romanian', 'limba română'],
      uk: ['uk', 'українська', 'Українською', 'ukrainien', 'Ukrainian', 'украинский'],
      ar: ['ar', 'العربية', 'عربي', 'arabe', 'Arabic'],
      prs: ['prs', 'دری', 'دري', 'dari', 'Dari', 'persan', 'farsi', 'فارسی', 'fa'],
    };
    for (const [language, typed] of Object.entries(names)) for (const t of typed) expect(parseLanguage(t), t).toBe(language);
    expect(languageRequest('LANGUE espagnol')).toEqual({ language: 'es' });
    expect(languageRequest('idioma español')).toEqual({ language: 'es' });
    expect(languageRequest('língua portuguesa')).toEqual({ language: 'pt' });
    expect(languageRequest('limba română')).toEqual({ language: 'ro' });
    expect(languageRequest('Мова українська')).toEqual({ language: 'uk' });
    expect(languageRequest('اللغة العربية')).toEqual({ language: 'ar' });
    expect(languageRequest('زبان دری')).toEqual({ language: 'prs' });
    expect(languageRequest('MOVA')).toBeUndefined();
    expect(languageRequest('je parle espagnol')).toBeUndefined();
  });

  it('reads a numbered choice within range', () => {
    expect(recognizeChoice('3', 7)).toBe(3);
    expect(recognizeChoice(' 3. ', 7)).toBe(3);
    expect(recognizeChoice('n°2', 3)).toBe(2);
    expect(recognizeChoice('8', 7)).toBeUndefined();
    expect(recognizeChoice('0', 7)).toBeUndefined();
    expect(recognizeChoice('3 fois', 7)).toBeUndefined();
    // Arabic and Dari keyboards type their own digits.
    expect(recognizeChoice('٨', 9)).toBe(8);
    expect(recognizeChoice('۹', 9)).toBe(9);
    expect(recognizeChoice('9 por favor', 9)).toBe(9);
  });

  it('reads welcome hours and contact channels as people type them', () => {
    expect(parseHoursRange('9h-18h')).toEqual({ from: '09:00', until: '18:00' });
    expect(parseHoursRange('de 9h à 18h30')).toEqual({ from: '09:00', until: '18:30' });
    expect(parseHoursRange('entre 8h et 20h')).toEqual({ from: '08:00', until: '20:00' });
    expect(parseHoursRange('09:00 - 17:00')).toEqual({ from: '09:00', until: '17:00' });
    expect(parseHoursRange('8 20')).toEqual({ from: '08:00', until: '20:00' });
    expect(parseHoursRange('le soir')).toBeUndefined();
    expect(parseHoursRange('9h-9h')).toBeUndefined();
    expect(parseHoursRange('25h-26h')).toBeUndefined();
    expect(parseChannels('1')).toEqual(['sms']);
    expect(parseChannels('Appel')).toEqual(['call']);
    expect(parseChannels('les deux')).toEqual(['sms', 'call']);
    expect(parseChannels('pigeon')).toBeUndefined();
  });
});

describe('welcome hours', () => {
  const tz = 'Europe/Paris';
  it('tells whether a message is welcome now, across midnight too', () => {
    expect(isWelcomeAt({ welcomeFrom: '08:00', welcomeUntil: '20:00' }, new Date('2037-03-10T09:00:00Z'), tz)).toBe(true);
    expect(isWelcomeAt({ welcomeFrom: '08:00', welcomeUntil: '20:00' }, new Date('2037-03-10T19:30:00Z'), tz)).toBe(false);
    expect(isWelcomeAt({ welcomeFrom: '20:00', welcomeUntil: '08:00' }, new Date('2037-03-10T22:00:00Z'), tz)).toBe(true);
    expect(isWelcomeAt(null, new Date('2037-03-10T06:30:00Z'), tz)).toBe(false);
  });

  it('finds the next start of the window: later today, or tomorrow', () => {
    const w = { welcomeFrom: '18:00', welcomeUntil: '21:00' };
    expect(nextWelcomeStart(w, new Date('2037-03-10T09:00:00Z'), tz)).toEqual(new Date('2037-03-10T17:00:00Z'));
    expect(nextWelcomeStart(w, new Date('2037-03-10T21:30:00Z'), tz)).toEqual(new Date('2037-03-11T17:00:00Z'));
    const inside = new Date('2037-03-10T18:00:00Z');
    expect(nextWelcomeStart(w, inside, tz)).toEqual(inside);
  });
});

describe('appointments', () => {
  it('reminds the day before, at once when set less than a day ahead, never in the last hour', () => {
    const now = new Date('2037-03-10T09:00:00Z');
    expect(reminderDueAt(new Date('2037-03-12T09:00:00Z'), now)).toEqual(new Date('2037-03-11T09:00:00Z'));
    expect(reminderDueAt(new Date('2037-03-10T15:00:00Z'), now)).toEqual(now);
    expect(reminderDueAt(new Date('2037-03-10T09:30:00Z'), now)).toBeUndefined();
  });

  it('describes an appointment in the team timezone, in the reader language', () => {
    expect(describeAppointment(new Date('2037-03-11T13:30:00Z'), 'Europe/Paris', 'fr')).toEqual({ weekday: 'mercredi', date: '11/03', time: '14:30' });
    expect(describeAppointment(new Date('2037-03-11T13:30:00Z'), 'Europe/Paris', 'en').weekday).toBe('Wednesday');
    const weekdays = { es: 'miércoles', pt: 'quarta-feira', ro: 'miercuri', uk: 'середа', ar: 'الأربعاء', prs: 'چهارشنبه' };
    for (const [language, weekday] of Object.entries(weekdays)) expect(describeAppointment(new Date('2037-03-11T13:30:00Z'), 'Europe/Paris', language), language).toEqual({ weekday, date: '11/03', time: '14:30' });
  });

  it('reads a time of day as workers type it', () => {
    expect(parseTimeOfDay('14:30')).toBe('14:30');
    expect(parseTimeOfDay('9h30')).toBe('09:30');
    expect(parseTimeOfDay('14h')).toBe('14:00');
    expect(parseTimeOfDay('14')).toBeUndefined();
    expect(parseTimeOfDay('25:00')).toBeUndefined();
  });
});
