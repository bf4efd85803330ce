// Durations as admins write them: "90s", "1m", "30m", "2h", "500ms", or Exchange's "00:30:00"
// (hh:mm:ss, optionally "d.hh:mm:ss"). Returned in milliseconds.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number | null {
  const s = text.trim();
  const unit = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s);
  if (unit) return Math.round(Number(unit[1]) * UNIT_MS[unit[2]!]!);
  const clock = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(s);
  if (clock) {
    const [, d, h, m, sec] = clock;
    if (Number(m) > 59 || Number(sec) > 59) return null;
    return ((Number(d ?? 0) * 24 + Number(h)) * 3600 + Number(m) * 60 + Number(sec)) * 1000;
  }
  return null;
}

/** Exchange's spelling, as Get-PopSettings prints it: "00:30:00" or "1.00:00:00". */
export function formatExchangeDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const days = Math.floor(total / 86400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor((total % 86400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  return days > 0 ? `${days}.${hms}` : hms;
}
