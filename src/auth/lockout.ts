// Temporary lockout per (login name, client IP) after repeated failures, so a password guesser
// is slowed without letting anyone lock a user out from every address.

export interface LockoutOptions { threshold: number; windowMs: number; durationMs: number }

interface Entry { failures: number[]; lockedUntil: number }

export class LockoutTracker {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: () => LockoutOptions, private readonly now: () => number = Date.now) {}

  isLocked(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (e.lockedUntil > this.now()) return true;
    if (e.lockedUntil !== 0) this.entries.delete(key);
    return false;
  }

  recordFailure(key: string): void {
    const { threshold, windowMs, durationMs } = this.options();
    const now = this.now();
    const e = this.entries.get(key) ?? { failures: [], lockedUntil: 0 };
    e.failures = e.failures.filter((t) => now - t < windowMs);
    e.failures.push(now);
    if (e.failures.length >= threshold) {
      e.lockedUntil = now + durationMs;
      e.failures = [];
    }
    this.entries.set(key, e);
    if (this.entries.size > 100_000) this.prune(now);
  }

  recordSuccess(key: string): void {
    this.entries.delete(key);
  }

  private prune(now: number): void {
    const { windowMs } = this.options();
    for (const [k, e] of this.entries) {
      if (e.lockedUntil <= now && e.failures.every((t) => now - t >= windowMs)) this.entries.delete(k);
    }
  }
}
