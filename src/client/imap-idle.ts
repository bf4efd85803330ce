// idle() as an async iterator of mailbox events (RFC 2177 IDLE, or NOOP polling without it).
//
// While the consumer waits for the next event an IDLE session holds the connection. It ends
// (DONE, RFC 2177 §3) when another call wants the connection — so `await imap.fetch(…)` inside
// the loop just works — when the consumer stops, and every restartAfterMs (servers drop idlers
// after 30 minutes, and a silent dead connection is only found by talking). The next next()
// starts a new session. Events that arrive during other commands are kept for the consumer too.
//
// When the connection is lost the iterator reconnects (same options, credentials and mailbox)
// with exponential backoff and jitter, and yields { type: 'reconnected' } so the caller can
// resynchronise; failures that waiting will not fix (credentials, certificates, a port that
// speaks another protocol) end the iteration with that error.
import { CommandBuilder } from '../wire/imap/client-command.js';
import { MailClientError, formatMs } from './errors.js';
import type { ImapClient } from './imap.js';
import type { IdleOptions, ImapEvent } from './imap-types.js';

const TRANSIENT = new Set(['connection-closed', 'timeout', 'connect-failed', 'protocol-error', 'greeting-refused']);

export class IdleIterator implements AsyncIterableIterator<ImapEvent> {
  private events: ImapEvent[] = [];
  private stopped = false;
  private session: Promise<void> | null = null;
  private sessionError: unknown = null;
  private wake: (() => void) | null = null;
  /** Ends the current IDLE (sends DONE once the server said "+"). */
  private interrupt: (() => void) | null = null;
  private readonly stopController = new AbortController();
  private readonly sink = (e: ImapEvent): void => {
    this.events.push(e);
    this.wakeUp();
  };

  constructor(private readonly client: ImapClient, private readonly options: IdleOptions) {
    client.eventSinks.add(this.sink);
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) void this.stop();
      else signal.addEventListener('abort', () => void this.stop(), { once: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ImapEvent> {
    return this;
  }

  async next(): Promise<IteratorResult<ImapEvent>> {
    for (;;) {
      const e = this.events.shift();
      if (e) return { value: e, done: false };
      if (this.stopped) return { value: undefined, done: true };
      if (this.sessionError) {
        const err = this.sessionError;
        this.sessionError = null;
        await this.recover(err);
        continue;
      }
      if (!this.session) {
        this.session = this.runSession()
          .catch((err: unknown) => {
            if (!this.stopped) this.sessionError = err;
          })
          .finally(() => {
            this.session = null;
            this.wakeUp();
          });
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  async return(): Promise<IteratorResult<ImapEvent>> {
    await this.stop();
    return { value: undefined, done: true };
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.client.eventSinks.delete(this.sink);
    this.stopController.abort();
    this.interrupt?.();
    this.wakeUp();
    await this.session?.catch(() => undefined);
  }

  private async runSession(): Promise<void> {
    if (!this.client.has('IDLE')) return this.poll();
    const lock = this.client.lock;
    await lock.acquire(this.stopController.signal);
    const t = this.client.transport;
    const restartAfter = this.options.restartAfterMs ?? 25 * 60_000;
    try {
      while (!this.stopped && !lock.contended) {
        const sent = await this.client.sendCommand(new CommandBuilder('IDLE'), {});
        if (typeof sent !== 'string') throw this.client.failure('IDLE', sent);
        let ready = false;
        let wanted = false;
        let doneSent = false;
        let deadline: NodeJS.Timeout | null = null;
        const sendDone = (): void => {
          wanted = true;
          if (!ready || doneSent || t.closed) return;
          doneSent = true;
          t.send('DONE\r\n');
          // The server must now finish the command; silence means a dead connection.
          deadline = setTimeout(() => {
            t.fail(new MailClientError('timeout', `${t.where()} did not end IDLE within ${formatMs(t.timeoutMs)} after DONE; the connection was closed`, t.details()));
          }, t.timeoutMs);
        };
        this.interrupt = sendDone;
        lock.onContention(sendDone);
        const restart = setTimeout(sendDone, restartAfter);
        try {
          const r = await this.client.readTagged(sent, 'IDLE', {}, {
            noDeadline: true,
            waitingFor: 'the end of IDLE',
            continuation: () => {
              ready = true;
              if (wanted) sendDone();
            },
          });
          if (r.status !== 'OK') throw this.client.failure('IDLE', r);
        } finally {
          clearTimeout(restart);
          if (deadline) clearTimeout(deadline);
          lock.onContention(null);
          this.interrupt = null;
        }
      }
    } finally {
      lock.release();
    }
  }

  /** Without IDLE: NOOP every pollIntervalMs until something happens. */
  private async poll(): Promise<void> {
    const every = this.options.pollIntervalMs ?? 60_000;
    while (!this.stopped && this.events.length === 0) {
      await sleep(every, this.stopController.signal);
      if (this.stopped) return;
      await this.client.noop();
    }
  }

  private async recover(err: unknown): Promise<void> {
    const transient = (e: unknown): boolean => e instanceof MailClientError && TRANSIENT.has(e.code);
    if (this.options.reconnect === false || !transient(err)) {
      this.stopped = true;
      this.client.eventSinks.delete(this.sink);
      throw err;
    }
    const maxDelay = this.options.maxReconnectDelayMs ?? 60_000;
    const maxAttempts = this.options.maxReconnectAttempts ?? Infinity;
    let last = err;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return;
      const delay = Math.min(maxDelay, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await sleep(delay, this.stopController.signal);
      if (this.stopped) return;
      try {
        await this.client.reconnect(this.stopController.signal);
        this.events.push({ type: 'reconnected', attempt, error: (err as Error).message });
        return;
      } catch (e) {
        last = e;
        if (this.stopped) return;
        if (!transient(e) || attempt >= maxAttempts) {
          this.stopped = true;
          this.client.eventSinks.delete(this.sink);
          throw last;
        }
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
