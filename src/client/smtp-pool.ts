// A pool of SMTP connections for sending many messages: up to maxConnections sessions, each
// reused for up to maxMessagesPerConnection messages and closed after idleTimeoutMs without
// work. Sends queue in call order.
//
// Retry rule: a send is tried again on a fresh connection only when the old connection failed
// before the end of the data was sent (typically a server that closed an idle session: Postfix
// does after 300 s). After the final "." the server may have queued the message, so a lost
// answer is reported, never resent — a duplicate is worse than an error the caller can see.
import { MailClientError } from './errors.js';
import { SmtpClient, type MessageInput, type SendOptions, type SendResult, type SmtpClientOptions } from './smtp.js';
import type { TokenSource } from './sasl-login.js';

export type SmtpAuth = { user: string; password: string; mechanism?: string } | { user: string; token: TokenSource; mechanism?: string };

export interface SmtpPoolOptions extends SmtpClientOptions {
  /** Credentials for every connection (login() or loginOAuth2()). */
  auth?: SmtpAuth;
  /** Default 5. */
  maxConnections?: number;
  /** Default 100. */
  maxMessagesPerConnection?: number;
  /** Close a connection after this long without work (default 30 s). */
  idleTimeoutMs?: number;
}

interface Slot {
  client: SmtpClient | null;
  connecting: boolean;
  busy: boolean;
  sent: number;
  idleTimer: NodeJS.Timeout | null;
}

interface Job {
  message: MessageInput;
  options: SendOptions;
  resolve: (r: SendResult) => void;
  reject: (e: unknown) => void;
  retried: boolean;
}

export class SmtpPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private closing = false;
  private readonly max: number;
  private readonly perConnection: number;
  private readonly idleMs: number;

  constructor(private readonly options: SmtpPoolOptions) {
    this.max = Math.max(1, options.maxConnections ?? 5);
    this.perConnection = Math.max(1, options.maxMessagesPerConnection ?? 100);
    this.idleMs = options.idleTimeoutMs ?? 30_000;
  }

  /** Open connections (busy or idle). */
  get connections(): number {
    return this.slots.length;
  }

  /** Sends waiting for a connection. */
  get pending(): number {
    return this.queue.length;
  }

  send(message: MessageInput, options: SendOptions = {}): Promise<SendResult> {
    if (this.closing) return Promise.reject(new MailClientError('connection-closed', 'the pool is closed'));
    return new Promise((resolve, reject) => {
      const job: Job = { message, options, resolve, reject, retried: false };
      if (options.signal) {
        options.signal.addEventListener('abort', () => {
          const i = this.queue.indexOf(job);
          if (i >= 0) {
            this.queue.splice(i, 1);
            reject(new MailClientError('aborted', 'the send was cancelled before it started', { cause: options.signal!.reason }));
          }
        }, { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Waits for queued sends, then says QUIT on every connection. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.queue.length > 0 || this.slots.some((s) => s.busy || s.connecting)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(this.slots.splice(0).map(async (s) => {
      if (s.idleTimer) clearTimeout(s.idleTimer);
      await s.client?.quit().catch(() => s.client?.close());
    }));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy && !s.connecting && s.client && !s.client.closed);
      if (!slot) {
        // Drop dead idle connections before counting.
        for (const s of this.slots.filter((x) => !x.busy && !x.connecting && (!x.client || x.client.closed))) this.remove(s);
        if (this.slots.length >= this.max) return;
        slot = { client: null, connecting: false, busy: false, sent: 0, idleTimer: null };
        this.slots.push(slot);
      }
      const job = this.queue.shift()!;
      void this.run(slot, job);
    }
  }

  private async run(slot: Slot, job: Job): Promise<void> {
    slot.busy = true;
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
    }
    try {
      if (!slot.client || slot.client.closed) {
        slot.connecting = true;
        try {
          slot.client = await this.open();
        } finally {
          slot.connecting = false;
        }
      }
      const client = slot.client;
      const result = await client.send(job.message, job.options);
      slot.sent++;
      job.resolve(result);
    } catch (err) {
      const connectionLost = err instanceof MailClientError && !err.deliveryUncertain && (err.code === 'connection-closed' || err.code === 'protocol-error' || err.code === 'timeout');
      if (connectionLost && !job.retried && !this.closing) {
        job.retried = true;
        slot.client?.close();
        slot.client = null;
        this.queue.unshift(job);
      } else {
        job.reject(err);
      }
    } finally {
      slot.busy = false;
      const c = slot.client;
      if (!c || c.closed || slot.sent >= this.perConnection) {
        if (c && !c.closed) void c.quit().catch(() => c.close());
        this.remove(slot);
      } else {
        slot.idleTimer = setTimeout(() => {
          this.remove(slot);
          void c.quit().catch(() => c.close());
        }, this.idleMs);
        slot.idleTimer.unref();
      }
      this.dispatch();
    }
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
  }

  private async open(): Promise<SmtpClient> {
    const { auth, maxConnections: _m, maxMessagesPerConnection: _p, idleTimeoutMs: _i, ...clientOptions } = this.options;
    const client = await SmtpClient.connect(clientOptions);
    try {
      if (auth && 'password' in auth) await client.login(auth.user, auth.password, auth.mechanism ? { mechanism: auth.mechanism } : {});
      else if (auth) await client.loginOAuth2(auth.user, auth.token, auth.mechanism ? { mechanism: auth.mechanism } : {});
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }
}
