// Named, non-blocking, in-process locks. The SQLite store uses them as its whole lock story
// (one server process owns a SQLite data directory); the PostgreSQL store uses them in front of
// advisory locks, which are re-entrant per connection and so would let two sessions of the same
// process both "win".
import type { HeldLock } from './types.js';
import { StoreError } from './types.js';

export class LocalLocks {
  readonly #held = new Map<string, symbol>();

  /** Takes `name` if free; the returned release is idempotent. */
  tryTake(name: string, onRelease?: () => Promise<void>): HeldLock | null {
    if (this.#held.has(name)) return null;
    const token = Symbol(name);
    this.#held.set(name, token);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        if (this.#held.get(name) === token) this.#held.delete(name);
        await onRelease?.();
      },
    };
  }

  has(name: string): boolean {
    return this.#held.has(name);
  }

  /** Forgets `name` without running its release hook (the lock is gone already). */
  drop(name: string): void {
    this.#held.delete(name);
  }
}

export function checkLockKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1000) {
    throw new StoreError('INVALID', 'A lock key must be a non-empty string of at most 1000 characters.');
  }
}
