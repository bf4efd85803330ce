// Dates in mail headers (RFC 5322 §3.3, obsolete forms §4.3).

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
// RFC 5322 §4.3 obs-zone; military zones are unreliable in the wild and mean -0000 per the RFC.
const ZONES: Record<string, number> = { ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };
const DATE = /(\d{1,2})[\s-]*([a-z]{3})[a-z]*\.?[\s-]*(\d{2,4})\s+(\d{1,2})[:.](\d{1,2})(?:[:.](\d{1,2}))?(?:\.\d+)?\s*([+-]\s?\d{1,4}|[a-z]{1,5})?/i;

/** Parses a Date header; null when it is not a date. Two-digit years follow RFC 5322 §4.3 (< 50 → 20xx). */
export function parseMailDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const s = value.replace(/\([^)]*\)/g, ' ');
  const m = DATE.exec(s);
  if (m) {
    const day = Number(m[1]);
    const month = MONTHS[m[2]!.toLowerCase()];
    let year = Number(m[3]);
    if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
    else if (m[3]!.length === 3) year += 1900;
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    const second = m[6] === undefined ? 0 : Number(m[6]);
    let offset = 0;
    const z = m[7]?.replace(/\s/g, '');
    if (z && (z[0] === '+' || z[0] === '-')) {
      const digits = z.slice(1).padStart(4, '0');
      offset = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * (z[0] === '-' ? -1 : 1);
    } else if (z) offset = ZONES[z.toLowerCase()] ?? 0;
    if (month !== undefined && day >= 1 && day <= 31 && hour <= 24 && minute <= 59 && second <= 60) {
      const t = Date.UTC(year, month, day, hour, minute, second) - offset * 60_000;
      if (Number.isFinite(t)) return new Date(t);
    }
  }
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t) : null;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => (n < 10 ? '0' : '') + n;

/** RFC 5322 §3.3 date-time in UTC: `Tue, 02 Jul 2019 13:38:53 +0000`. */
export function formatMailDate(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTH_NAMES[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}
