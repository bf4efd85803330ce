// One command at a time on a connection, in call order. A call cancelled while it waits leaves
// the queue without touching the connection. The holder can learn that someone is waiting
// (contended) — an open RETR or FETCH stream then reads ahead instead of waiting for its
// consumer, so a command issued inside the consuming loop can run: queued, never deadlocked.
import { MailClientError } from './errors.js';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
}

export class Serial {
  private busy = false;
  private readonly waiters: Waiter[] = [];
  private contentionListener: (() => void) | null = null;

  get contended(): boolean {
    return this.waiters.length > 0;
  }

  get idle(): boolean {
    return !this.busy && this.waiters.length === 0;
  }

  /** Called (once) when a call starts waiting while the lock is held. */
  onContention(listener: (() => void) | null): void {
    this.contentionListener = listener;
    if (listener && this.waiters.length > 0) listener();
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal!));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      const l = this.contentionListener;
      if (l) {
        this.contentionListener = null;
        l();
      }
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (!next) {
      this.busy = false;
      return;
    }
    next.cleanup();
    next.resolve();
  }

  /** Fails every waiting call (the connection is gone). */
  rejectAll(err: unknown): void {
    for (const w of this.waiters.splice(0)) {
      w.cleanup();
      w.reject(err);
    }
  }
}

function abortError(signal: AbortSignal): MailClientError {
  return new MailClientError('aborted', 'the call was cancelled before it was sent', { cause: signal.reason });
}
