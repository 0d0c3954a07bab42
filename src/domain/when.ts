/**
 * When a person can be called back, in their own words ("demain à 14h", "lundi matin", "cet aprem"),
 * as a window of instants. Botbuilder's date-time recognizer (French, or English) finds the dates and
 * times in the text; this module decides what they mean for a call-back, in the team's timezone.
 *
 * The recognizer works on wall-clock times read with the server's clock zone, so it is given the
 * team's local date (at noon, away from any DST change) and what it returns is read as wall-clock time
 * in the team's timezone (`zonedInstant`). Nothing here reads the server clock.
 *
 * Decisions:
 * - A time of day becomes a 30-minute window ("à 14h" → 14:00–14:30); an explicit range is kept as said.
 * - Parts of the day: matin 08:00–12:00, midi 12:00–14:00, après-midi 14:00–18:00, soir 18:00–20:00,
 *   "toute la journée" or a day alone ("jeudi") 08:00–20:00.
 * - Nothing is in the past: a time already gone today means tomorrow ("à 9h" said at 10:00); a window
 *   counts today while more than an hour of it is left ("matin" before 11:00), and then starts now.
 *   So "lundi matin" said on a Monday at 10:00 is this morning, 10:00–12:00; at 11:30, next Monday.
 *   An explicit date that has gone ("aujourd'hui à 9h" at 10:00, "le 23/11/2025") gives undefined.
 * - A bare hour without am/pm ("à 3h", "jeudi 10h") is read between 07:00 and 21:00 (3h → 15:00), or
 *   inside the part of the day when one is given ("demain soir 8h" → 20:00).
 * - "dans 2 heures" is the reference plus two hours (real time, across a DST change too).
 * - "n'importe quand", "quand vous voulez", "peu importe": the next 24 hours, kind 'anytime'.
 * - Numeric dates are day first, in English too ("3/12" is 3 December).
 * - Two different dates, times or parts in one message ("lundi ou mardi", "matin ou soir") give
 *   undefined: a human reads it.
 */
import { recognizeDateTime } from '@microsoft/recognizers-text-date-time';
import { formatClock, localTime, zonedInstant } from './office-hours.js';
import { dateLocale } from './types.js';

export type WhenCulture = 'fr-fr' | 'en-us';

export interface WhenWindow {
  start: Date;
  end: Date;
  /**
   * How it was understood: 'datetime' (a day and a time), 'datetime-range', 'date+part-of-day', 'date',
   * 'time' (a time, today or tomorrow), 'time-range', 'part-of-day', 'relative' ("dans 2 heures"),
   * 'now' ("tout de suite") or 'anytime' ("quand vous voulez").
   */
  kind: string;
}

export interface WhenOptions {
  /** The instant the message was received; "demain" and "lundi" are read from it. */
  reference: Date;
  /** The team's IANA timezone. */
  timeZone: string;
  culture?: WhenCulture;
}

type Part = 'morning' | 'noon' | 'afternoon' | 'evening' | 'day';

/** Minutes since local midnight, [from, to). */
const PARTS: Record<Part, readonly [number, number]> = {
  morning: [8 * 60, 12 * 60],
  noon: [12 * 60, 14 * 60],
  afternoon: [14 * 60, 18 * 60],
  evening: [18 * 60, 20 * 60],
  day: [8 * 60, 20 * 60],
};
const TIMEX_PARTS: Record<string, Part> = { MO: 'morning', MI: 'noon', AF: 'afternoon', EV: 'evening', NI: 'evening', DT: 'day' };
/** Where a bare hour is read when no part of the day says otherwise: 3h is 15:00, 9h is 09:00. */
const WAKING: readonly [number, number] = [7 * 60, 21 * 60];
const POINT_MINUTES = 30;
const MINUTE = 60_000;
/** A window counts today while more than this is left of it. */
const ENOUGH_LEFT = 60 * MINUTE;

const MONTHS: Record<WhenCulture, readonly string[]> = {
  'fr-fr': ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
  'en-us': ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'],
};

/** A RegExp for whole words: letters or digits on neither side. */
function words(source: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${source})(?![\\p{L}\\p{N}])`, 'gu');
}

const PART_WORDS: readonly (readonly [Part, RegExp])[] = [
  ['afternoon', words(`(?:apr[eèé]s?|ap|apre)[ -]?midi|apr[eèé]m|aprm|apm|afternoon`)],
  ['noon', words(`midi|noon|midday|lunch(?:time)?|heure du d[eé]jeuner`)],
  ['morning', words(`mat(?:in|1)(?:[eé]e)?|morning`)],
  ['evening', words(`soir(?:[eé]e)?|evening|tonight`)],
  ['day', words(`(?:toute|dans) la journ[eé]e|all day|during the day`)],
];
const WEEKDAY_WORDS: readonly RegExp[] = [
  'lundi|monday', 'mardi|tuesday', 'mercredi|wednesday', 'jeudi|thursday', 'vendredi|friday', 'samedi|saturday', 'dimanche|sunday',
].map(words);
const ANYTIME = words(
  `n ?'? ?importe quand|peu importe|quand (?:vous|tu) (?:voulez|veux|voudrez|pouvez|peux)|comme vous voulez|a tout moment|à tout moment|anytime|any time|whenever`,
);

/** Common SMS spellings made into words the recognizer knows; part-of-day words are read separately. */
function normalizeWhenText(text: string, culture: WhenCulture): string {
  const now = culture === 'fr-fr' ? 'maintenant' : 'now';
  let t = text.normalize('NFC').toLowerCase().replace(/[’`´ʼ]/gu, "'");
  t = t
    .replace(words(`2main|2m1|dem1|demin|dmain|dmin|demaim|deamin|demai`), 'demain')
    .replace(words(`apr[eèé]s?[ -]?demain`), 'après-demain')
    .replace(words(`aujourd ?'? ?hui|ajd|auj|ojd`), "aujourd'hui")
    .replace(words(`(?:tout|tt) de suite|de suite|d[eè]s que possible|asap|au plus vite|right now|right away`), now)
    .replace(words(`(?:une |1 )?demi[ -]?heure|half an hour`), '30 minutes')
    .replace(words(`(?:un |1 )?quart d ?'? ?heure|a quarter of an hour`), '15 minutes')
    // "14 h", "14H", "14 heures 30", "14hr" → "14h30"
    .replace(words(`(\\d{1,2}) ?(?:h|hr|heures?) ?(\\d{2})?`), (_m, h: string, m?: string) => `${h}h${m ?? ''}`)
    // "entre 14 et 16h", "de 14 à 16h", "14-16h" → "entre 14h et 16h", "de 14h à 16h", "14h - 16h"
    .replace(
      words(`(de|entre|from|between) (\\d{1,2}) ?(à|a|et|and|to) ?(\\d{1,2}h\\d{0,2})`),
      (_m, pre: string, h: string, sep: string, to: string) => `${pre} ${h}h ${sep} ${to}`,
    )
    .replace(words(`(\\d{1,2}) ?- ?(\\d{1,2}h\\d{0,2})`), (_m, h: string, to: string) => `${h}h - ${to}`)
    // "3/12", "03.12.2026", "3-12-26" → "3 décembre 2026": day first, always
    .replace(
      words(`(\\d{1,2})(?:[/.](\\d{1,2})(?:[/.](\\d{4}|\\d{2}))?|-(\\d{1,2})-(\\d{4}|\\d{2}))`),
      (m, d: string, m1?: string, y1?: string, m2?: string, y2?: string) => {
        const day = Number(d);
        const month = Number(m1 ?? m2);
        const year = y1 ?? y2;
        if (month < 1 || month > 12 || day < 1 || day > 31) return m;
        const name = MONTHS[culture][month - 1] ?? '';
        return year ? `${day} ${name} ${year.length === 2 ? `20${year}` : year}` : `${day} ${name}`;
      },
    );
  return t;
}

type DateSpec = { kind: 'absolute'; date: string } | { kind: 'weekday'; weekday: number } | { kind: 'monthday'; month: number; day: number };

/** What the message says, before it is placed on the calendar. Each time is a list of am/pm readings. */
interface Reading {
  dates: DateSpec[];
  points: number[][];
  ranges: (readonly [number, number])[][];
  parts: Part[];
  /** milliseconds after the reference ("dans 2 heures") */
  offsets: number[];
  now: boolean;
  anytime: boolean;
  /** weekdays named in the text, which the recognizer drops from "mercredi 24/11" */
  weekdays: number[];
}

function parseDate(timex: string): DateSpec | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(timex);
  if (m) return { kind: 'absolute', date: timex };
  m = /^XXXX-(\d{2})-(\d{2})$/.exec(timex);
  if (m) return { kind: 'monthday', month: Number(m[1]), day: Number(m[2]) };
  m = /^XXXX-WXX-([1-7])$/.exec(timex);
  if (m) return { kind: 'weekday', weekday: Number(m[1]) };
  return undefined;
}

/** "14", "14:30", "14:30:00" → minutes since midnight. */
function parseClock(timex: string): number | undefined {
  const m = /^(\d{2})(?::(\d{2}))?(?::\d{2})?$/.exec(timex);
  return m ? Number(m[1]) * 60 + Number(m[2] ?? 0) : undefined;
}

/** "XXXX-WXX-2T14" → date "XXXX-WXX-2", time "14"; "T14" → time only. */
function splitTimex(timex: string): { date?: string; time: string } | undefined {
  const i = timex.indexOf('T');
  if (i < 0) return undefined;
  return i === 0 ? { time: timex.slice(1) } : { date: timex.slice(0, i), time: timex.slice(i + 1) };
}

function unique<T>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) seen.set(JSON.stringify(item), item);
  return [...seen.values()];
}

function wallMs(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

interface RecognizedValue {
  timex?: string;
  value?: string;
}

function read(text: string, culture: WhenCulture, today: string): Reading {
  const reading: Reading = { dates: [], points: [], ranges: [], parts: [], offsets: [], now: false, anytime: false, weekdays: [] };
  let t = normalizeWhenText(text, culture);
  for (const [i, pattern] of WEEKDAY_WORDS.entries()) if (t.search(pattern) >= 0) reading.weekdays.push(i + 1);
  if (t.search(ANYTIME) >= 0) reading.anytime = true;
  t = t.replace(ANYTIME, ' ');
  for (const [part, pattern] of PART_WORDS) {
    if (t.search(pattern) >= 0) reading.parts.push(part);
    t = t.replace(pattern, ' ');
  }

  const [y, mo, d] = today.split('-').map(Number) as [number, number, number];
  // Local noon of the team's day, in the server's clock zone: the recognizer reads it field by field.
  const recognizerReference = new Date(y, mo - 1, d, 12, 0, 0);
  const referenceWall = Date.UTC(y, mo - 1, d, 12, 0, 0);

  for (const result of recognizeDateTime(t, culture, undefined, recognizerReference)) {
    const type = result.typeName.replace('datetimeV2.', '');
    const values = ((result.resolution as { values?: RecognizedValue[] } | null)?.values ?? []).filter((v) => v.timex);
    const timexes = unique(values.map((v) => v.timex as string));
    if (timexes.length === 0) continue;
    const first = timexes[0] as string;

    if (type === 'date') {
      const spec = parseDate(first);
      if (spec) reading.dates.push(spec);
    } else if (type === 'time') {
      // A number alone ("2", "1") is a menu answer, not a time, unless "à"/"at"/"vers" comes before it.
      if (/^\d{1,2}$/.test(result.text.trim()) && !/(?:^|\s)(?:à|a|at|vers|around)\s*$/u.test(t.slice(0, result.start))) continue;
      const minutes = timexes.map((x) => parseClock(x.replace(/^T/, ''))).filter((x): x is number => x !== undefined);
      if (minutes.length) reading.points.push(minutes);
    } else if (type === 'timerange' || type === 'datetimerange') {
      const part = /^(.*?)T(MO|MI|AF|EV|NI|DT)$/.exec(first);
      if (part) {
        reading.parts.push(TIMEX_PARTS[part[2] as string] as Part);
        const spec = part[1] ? parseDate(part[1]) : undefined;
        if (spec) reading.dates.push(spec);
        continue;
      }
      const ranges: (readonly [number, number])[] = [];
      let date: string | undefined;
      for (const timex of timexes) {
        const m = /^\((.+),(.+),P.*\)$/.exec(timex);
        if (!m) continue;
        const from = splitTimex(m[1] as string);
        const to = splitTimex(m[2] as string);
        const a = from && parseClock(from.time);
        const b = to && parseClock(to.time);
        if (a === undefined || b === undefined) continue;
        ranges.push([a, b]);
        date ??= from?.date;
      }
      if (ranges.length === 0) continue;
      reading.ranges.push(ranges);
      const spec = date ? parseDate(date) : undefined;
      if (spec) reading.dates.push(spec);
    } else if (type === 'datetime') {
      if (first === 'PRESENT_REF') {
        reading.now = true;
        continue;
      }
      if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(first)) {
        // "dans 2 heures": computed by the recognizer from its reference; keep only the offset.
        const wall = wallMs(values[0]?.value ?? '');
        if (wall !== undefined) reading.offsets.push(wall - referenceWall);
        continue;
      }
      const parts = timexes.map(splitTimex);
      const spec = parts[0]?.date ? parseDate(parts[0].date) : undefined;
      const minutes = parts.map((p) => (p ? parseClock(p.time) : undefined)).filter((x): x is number => x !== undefined);
      if (!spec || minutes.length === 0) continue;
      reading.dates.push(spec);
      reading.points.push(minutes);
    }
    // daterange, duration, set: not a moment to call back.
  }
  return reading;
}

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
}

function isRealDate(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === date;
}

/** `minutes` after local midnight of `date` (past 24:00 runs into the next days). */
function at(date: string, minutes: number, timeZone: string): Date {
  const days = Math.floor(minutes / 1440);
  const rest = minutes - days * 1440;
  const clock = formatClock(rest);
  return zonedInstant(addDays(date, days), clock, timeZone);
}

/** The days the message may mean, nearest first; undefined when its dates contradict each other. */
function candidateDays(dates: readonly DateSpec[], today: string): string[] | undefined {
  const specs = unique(dates);
  const weekdays = specs.filter((s) => s.kind === 'weekday');
  const fixed = specs.filter((s) => s.kind !== 'weekday');
  if (weekdays.length > 1 || fixed.length > 1) return undefined;
  // A weekday beside a date ("mardi 24/11") is checked against it by the caller.
  const spec = fixed[0] ?? weekdays[0];
  if (!spec) return [today, addDays(today, 1)];
  if (spec.kind === 'absolute') return [spec.date];
  if (spec.kind === 'monthday') {
    const year = Number(today.slice(0, 4));
    const mmdd = `${String(spec.month).padStart(2, '0')}-${String(spec.day).padStart(2, '0')}`;
    return [`${year}-${mmdd}`, `${year + 1}-${mmdd}`].filter(isRealDate);
  }
  const ahead = (spec.weekday - isoWeekday(today) + 7) % 7;
  return [addDays(today, ahead), addDays(today, ahead + 7)];
}

/** The am/pm reading that falls in `within` (ends included), or the first one. */
function pick(minutes: readonly number[], within: readonly [number, number]): number | undefined {
  return minutes.find((m) => m >= within[0] && m <= within[1]) ?? minutes[0];
}

/**
 * The window in which the person asks to be called back, or undefined when the text gives no time (or
 * one that has gone, or two that contradict each other).
 */
export function recognizeWhen(text: string, opts: WhenOptions): WhenWindow | undefined {
  const { reference, timeZone } = opts;
  const culture = opts.culture ?? 'fr-fr';
  if (Number.isNaN(reference.getTime()) || text.trim() === '' || text.length > 500) return undefined;
  const today = localTime(reference, timeZone).date;
  const reading = read(text, culture, today);

  const points = unique(reading.points);
  const ranges = unique(reading.ranges);
  const parts = unique(reading.parts);
  const offsets = unique(reading.offsets);
  if (points.length > 1 || ranges.length > 1 || parts.length > 1 || offsets.length > 1) return undefined;
  if (points.length && ranges.length) return undefined;
  const part = parts[0];
  const somethingElse = reading.dates.length + points.length + ranges.length + parts.length > 0;

  const offset = offsets[0];
  if (offset !== undefined || reading.now) {
    if (somethingElse || (offset !== undefined && reading.now)) return undefined;
    if (offset !== undefined && offset <= 0) return undefined;
    const start = new Date(reference.getTime() + (offset ?? 0));
    return { start, end: new Date(start.getTime() + POINT_MINUTES * MINUTE), kind: offset !== undefined ? 'relative' : 'now' };
  }
  if (!somethingElse) {
    if (!reading.anytime) return undefined;
    return { start: new Date(reference), end: new Date(reference.getTime() + 24 * 60 * MINUTE), kind: 'anytime' };
  }

  const hasDate = reading.dates.length > 0;
  const within = part ? PARTS[part] : WAKING;
  let clock: readonly [number, number];
  let point = false;
  let kind: string;
  if (ranges[0]) {
    // "le 3 à 14h" reads as 03:00–14:00: a range must start in the waking hours (or the part named).
    const range = ranges[0].find(([a]) => a >= within[0] && a <= within[1]);
    if (!range) return undefined;
    clock = [range[0], range[1] > range[0] ? range[1] : range[1] + 1440];
    kind = hasDate ? 'datetime-range' : 'time-range';
  } else if (points[0]) {
    const minutes = pick(points[0], within);
    if (minutes === undefined) return undefined;
    clock = [minutes, minutes + POINT_MINUTES];
    point = true;
    kind = hasDate ? 'datetime' : 'time';
  } else if (part) {
    clock = PARTS[part];
    kind = hasDate ? 'date+part-of-day' : 'part-of-day';
  } else {
    clock = PARTS.day;
    kind = 'date';
  }

  const days = candidateDays(reading.dates, today);
  if (!days) return undefined;
  for (const day of days) {
    const start = at(day, clock[0], timeZone);
    const end = point ? new Date(start.getTime() + POINT_MINUTES * MINUTE) : at(day, clock[1], timeZone);
    const usable = start >= reference || (!point && end.getTime() - reference.getTime() > ENOUGH_LEFT);
    if (!usable) continue;
    // "mercredi 24/11" when the 24th is a Tuesday: a slip of the thumb a human should see.
    if (!reading.weekdays.every((w) => w === isoWeekday(day))) return undefined;
    return { start: start >= reference ? start : new Date(reference), end, kind };
  }
  return undefined;
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();
const clockFormatters = new Map<string, Intl.DateTimeFormat>();

function cached(cache: Map<string, Intl.DateTimeFormat>, key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = cache.get(key);
  if (!f) {
    f = make();
    cache.set(key, f);
  }
  return f;
}

function partsOf(f: Intl.DateTimeFormat, at: Date): Record<string, string> {
  return Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
}

/** How a window is said in each language: a time range within one day, or a span over several days. */
interface WhenWords {
  weekday: 'short' | 'long';
  sameDay: (day: string, from: string, to: string) => string;
  span: (fromDay: string, from: string, toDay: string, to: string) => string;
}

const FRENCH_WHEN: WhenWords = {
  weekday: 'long',
  sameDay: (d, a, b) => `${d} entre ${a} et ${b}`,
  span: (d1, a, d2, b) => `du ${d1} ${a} au ${d2} ${b}`,
};

const WHEN_WORDS: Record<string, WhenWords> = {
  fr: FRENCH_WHEN,
  'fr-falc': FRENCH_WHEN,
  en: { weekday: 'short', sameDay: (d, a, b) => `${d} between ${a} and ${b}`, span: (d1, a, d2, b) => `from ${d1} ${a} to ${d2} ${b}` },
  es: { weekday: 'long', sameDay: (d, a, b) => `el ${d}, de ${a} a ${b}`, span: (d1, a, d2, b) => `del ${d1} ${a} al ${d2} ${b}` },
  pt: { weekday: 'long', sameDay: (d, a, b) => `${d}, das ${a} às ${b}`, span: (d1, a, d2, b) => `de ${d1} ${a} a ${d2} ${b}` },
  ro: { weekday: 'long', sameDay: (d, a, b) => `${d}, între ${a} și ${b}`, span: (d1, a, d2, b) => `de ${d1} ${a} până ${d2} ${b}` },
  // Ukrainian weekdays would need the genitive after "з"/"до": a dash says the span without declining them.
  uk: { weekday: 'long', sameDay: (d, a, b) => `${d}, з ${a} до ${b}`, span: (d1, a, d2, b) => `${d1} ${a} – ${d2} ${b}` },
  ar: { weekday: 'long', sameDay: (d, a, b) => `يوم ${d}، بين ${a} و${b}`, span: (d1, a, d2, b) => `من ${d1} ${a} إلى ${d2} ${b}` },
  prs: { weekday: 'long', sameDay: (d, a, b) => `${d}، بین ${a} و ${b}`, span: (d1, a, d2, b) => `از ${d1} ${a} تا ${d2} ${b}` },
};

/**
 * A short human form of a window, for room notices and SMS: "mardi 24/11 entre 14:00 et 14:30",
 * "Tue 24/11 between 14:00 and 14:30", "el miércoles 25/11, de 14:00 a 14:30"; over several days,
 * "du lundi 23/11 10:00 au mardi 24/11 10:00". The weekday in the reader's language, the date always
 * day/month and the clock 24-hour in Latin digits; French for an unknown language (an "en-…" one is English).
 */
export function formatWhen(window: WhenWindow, timeZone: string, language: string): string {
  const lang = language.toLowerCase().startsWith('en') ? 'en' : language in WHEN_WORDS ? language : 'fr';
  const words = WHEN_WORDS[lang] ?? FRENCH_WHEN;
  const weekdayFormat = cached(dayFormatters, `${lang}|${timeZone}`, () => new Intl.DateTimeFormat(dateLocale(lang), { timeZone, weekday: words.weekday }));
  const clockFormat = cached(clockFormatters, timeZone, () =>
    new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
  );
  const day = (d: Date) => {
    const [, month, dayOfMonth] = localTime(d, timeZone).date.split('-');
    return `${weekdayFormat.format(d)} ${dayOfMonth}/${month}`;
  };
  const clock = (d: Date) => {
    const p = partsOf(clockFormat, d);
    return `${p.hour}:${p.minute}`;
  };
  const sameDay = localTime(window.start, timeZone).date === localTime(new Date(window.end.getTime() - 1), timeZone).date;
  if (sameDay) return words.sameDay(day(window.start), clock(window.start), clock(window.end));
  return words.span(day(window.start), clock(window.start), day(window.end), clock(window.end));
}
