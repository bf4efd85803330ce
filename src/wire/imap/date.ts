// IMAP dates (RFC 9051 §9): "date" for SEARCH ("1-Feb-1994", day granularity, no zone) and
// "date-time" for APPEND and INTERNALDATE ("17-Jul-1996 02:44:25 -0700").

export interface DayDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_INDEX = new Map(MONTHS.map((m, i) => [m.toLowerCase(), i + 1]));

function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** date-text = date-day "-" date-month "-" date-year; null when it is not a real date. */
export function parseSearchDate(text: string): DayDate | null {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!m) return null;
  const month = MONTH_INDEX.get(m[2]!.toLowerCase());
  const year = Number(m[3]);
  const day = Number(m[1]);
  if (!month || !validDay(year, month, day)) return null;
  return { year, month, day };
}

/** date-time (without its quotes): "dd-Mon-yyyy hh:mm:ss +zzzz", day possibly space-padded. */
export function parseDateTime(text: string): Date | null {
  const m = /^([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const day = Number(m[1]!.trim());
  const month = MONTH_INDEX.get(m[2]!.toLowerCase());
  const year = Number(m[3]);
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6])];
  const zone = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  if (!month || !validDay(year, month, day) || hh > 23 || mm > 59 || ss > 60 || Number(m[9]) > 59) return null;
  const t = Date.UTC(year, month - 1, day, hh, mm, Math.min(ss, 59)) - zone * 60_000;
  return new Date(t);
}

/** INTERNALDATE as sent: "17-Jul-1996 09:44:25 +0000" (UTC; the zone is not stored). */
export function formatDateTime(date: Date): string {
  const d = String(date.getUTCDate()).padStart(2, '0');
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Days since the epoch of a calendar day, for comparisons "on/before/since" a date. */
export function dayNumber(d: DayDate): number {
  return Math.floor(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000);
}

/**
 * The calendar day of an instant in its own zone: IMAP's date comparisons disregard time and
 * timezone (RFC 9051 §6.4.4), so a Date header's day is the day written in it.
 */
export function dayOf(date: Date, zoneMinutes = 0): number {
  return Math.floor((date.getTime() + zoneMinutes * 60_000) / 86_400_000);
}
