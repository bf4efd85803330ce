// The queue runner: takes due entries from the durable queue, relays them through the
// smarthost, and records what happened per recipient. 2xx: delivered; 5xx: failed for good
// (bounced to the sender with a DSN); 4xx or a broken connection: retried on the configured
// schedule until `expiry`, then bounced (RFC 5321 §4.5.4.1). Connections to the smarthost are
// kept open and reused for the next message, up to `concurrency` at once.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { RelaySettings } from '../../config/schema.js';
import type { QueueEntry, QueueRecipient, QueueStore, RecipientOutcome } from '../../store/queue-types.js';
import type { SmtpReply } from '../../wire/smtp/reply.js';
import type { ServerContext } from '../common/context.js';
import type { Outbound } from './outbound.js';
import { describeReply, RelayError, SmarthostConnection, type RelayResult, type SmarthostOptions } from './relay-client.js';
import { delayReportable, reportable, sendDelayReport, sendFinalReport, type BounceTarget } from './bounce.js';

/** How often the queue is looked at even without a kick (entries queued by another process). */
export const POLL_MS = 1000;
/** Idle smarthost connections are closed after this long. */
const IDLE_CLOSE_MS = 5000;

export function smarthostOptions(relay: RelaySettings, hostname: string, baseDir: string): SmarthostOptions {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  let auth: SmarthostOptions['auth'] = null;
  if (relay.auth) {
    const password = relay.auth.password ?? readFileSync(path(relay.auth.passwordFile!), 'utf8').split(/\r?\n/)[0]!;
    auth = { username: relay.auth.username, password };
  }
  return {
    host: relay.host,
    port: relay.port ?? (relay.security === 'tls' ? 465 : relay.security === 'starttls' ? 587 : 25),
    security: relay.security,
    auth,
    verifyCertificate: relay.verifyCertificate,
    ...(relay.ca ? { ca: readFileSync(path(relay.ca), 'utf8') } : {}),
    ...(relay.servername ? { servername: relay.servername } : {}),
    helo: hostname,
    connectTimeoutMs: relay.connectTimeout,
    commandTimeoutMs: relay.commandTimeout,
  };
}

/** RFC 3463 status from a reply, or a default for its class. */
function statusOf(r: SmtpReply): string {
  return r.enhanced ?? (r.code >= 500 ? '5.0.0' : r.code >= 400 ? '4.0.0' : '2.0.0');
}

/**
 * Turns one attempt into per-recipient outcomes for the recipients that were pending. Pure,
 * so the retry/bounce rules are tested without sockets.
 */
export function outcomesOf(pending: QueueRecipient[], attempt: { result: RelayResult; dsnPassedOn: boolean } | { error: RelayError }, remoteMta: string): RecipientOutcome[] {
  if ('error' in attempt) {
    const e = attempt.error;
    return pending.map((r) => ({
      index: r.index,
      state: e.permanent ? 'failed' : 'pending',
      lastResult: e.reply ? describeReply(e.reply) : e.message,
      status: e.reply ? statusOf(e.reply) : e.status ?? (e.permanent ? '5.3.0' : '4.4.1'),
      remoteMta: e.reply ? remoteMta : null,
    }));
  }
  const { result, dsnPassedOn } = attempt;
  return pending.map((r, i) => {
    const base = { index: r.index, remoteMta };
    if (result.mail.code >= 300) {
      return { ...base, state: result.mail.code >= 500 ? 'failed' : 'pending', lastResult: describeReply(result.mail), status: statusOf(result.mail) };
    }
    const rcpt = result.recipients[i];
    if (!rcpt) return { ...base, state: 'pending', lastResult: 'no reply to RCPT', status: '4.4.2' };
    if (rcpt.code >= 300) return { ...base, state: rcpt.code >= 500 ? 'failed' : 'pending', lastResult: describeReply(rcpt), status: statusOf(rcpt) };
    const data = result.data;
    if (!data) return { ...base, state: 'pending', lastResult: 'the message was not sent', status: '4.4.2' };
    if (data.code >= 300) return { ...base, state: data.code >= 500 ? 'failed' : 'pending', lastResult: describeReply(data), status: statusOf(data) };
    return { ...base, state: 'delivered', lastResult: describeReply(data), status: statusOf(data), relayed: !dsnPassedOn };
  });
}

/** When the next attempt is due: retry[attempts] after now, the last delay repeating. */
export function nextAttempt(retry: readonly number[], attemptsMade: number, now: Date): Date {
  const delay = retry[Math.min(attemptsMade, retry.length - 1)] ?? 60_000;
  return new Date(now.getTime() + delay);
}

export class QueueRunner {
  private timer: NodeJS.Timeout | null = null;
  private active = 0;
  private running = false;
  private stopped = false;
  private idle: Array<{ conn: SmarthostConnection; key: string; since: number }> = [];
  private inFlight = new Set<Promise<void>>();
  private ticking: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly outbound: Outbound,
    private readonly baseDir: string,
  ) {}

  private get queue(): QueueStore {
    return this.outbound.queue;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.queue.recoverLeases().catch((err) => this.ctx.logger.warn({ err: (err as Error).message }, 'queue: could not recover leases'));
    this.outbound.onQueued({ kick: () => this.kick() });
    this.schedule(0);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.ticking) { this.again = true; return; }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Let deliveries under way finish briefly; then cut the connections (their entries are
    // recorded as a failed attempt, or keep their lease until recoverLeases at the next start).
    const deadline = new Promise((r) => setTimeout(r, 3000).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    for (const i of this.idle) void i.conn.quit();
    this.idle = [];
    if (this.ticking) await this.ticking.catch(() => {});
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick().catch((err) => this.ctx.logger.error({ err }, 'queue runner failed')).finally(() => {
        this.ticking = null;
        if (this.again) { this.again = false; this.schedule(0); } else this.schedule(POLL_MS);
      });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.closeIdle();
    const relay = this.ctx.config().relay;
    if (!relay) return;
    const free = relay.concurrency - this.active;
    if (free <= 0) return;
    const lease = Math.max(relay.commandTimeout * 4, 60_000);
    const entries = await this.queue.claimDue(new Date(), free, lease);
    for (const entry of entries) {
      this.active++;
      const p = this.process(entry, relay)
        .catch((err) => this.ctx.logger.error({ err, id: entry.id }, 'queue entry failed'))
        .finally(() => {
          this.active--;
          this.inFlight.delete(p);
          this.kick();
        });
      this.inFlight.add(p);
    }
  }

  private async process(entry: QueueEntry, relay: RelaySettings): Promise<void> {
    const pending = entry.recipients.filter((r) => r.state === 'pending');
    if (pending.length === 0) {
      await this.finish(entry);
      return;
    }
    const message = await this.queue.readMessage(entry.id);
    if (!message) return;
    const now = new Date();
    let outcomes: RecipientOutcome[];
    let lastError: string | null = null;
    const options = smarthostOptions(relay, this.ctx.hostname, this.baseDir);
    try {
      const conn = await this.acquire(options);
      const result = await conn.send({
        from: entry.sender,
        recipients: pending.map((r) => ({ address: r.address, notify: r.notify, orcpt: r.orcpt })),
        mail: { body: entry.body, smtputf8: entry.smtputf8, ret: entry.ret, envid: entry.envid },
      }, message);
      outcomes = outcomesOf(pending, { result, dsnPassedOn: conn.extensions.has('DSN') }, options.host);
      this.releaseConn(conn, options);
    } catch (err) {
      const e = err instanceof RelayError ? err : new RelayError((err as Error).message, false);
      lastError = e.message;
      outcomes = outcomesOf(pending, { error: e }, options.host);
    }
    // Past the expiry, what is still pending fails (RFC 5321 §4.5.4.1: give up after 4-5 days).
    if (now.getTime() - entry.createdAt.getTime() >= relay.expiry) {
      outcomes = outcomes.map((o) => (o.state === 'pending'
        ? { ...o, state: 'failed', status: o.status && o.status.startsWith('4.') ? o.status : '4.4.7', lastResult: `gave up after ${entry.attempts + 1} attempts: ${o.lastResult ?? 'not delivered'}` }
        : o));
    }
    const stillPending = outcomes.some((o) => o.state === 'pending');
    this.ctx.logger.info({ id: entry.id, outcomes: outcomes.map((o) => `${o.state}:${o.status}`), lastError }, 'queue: delivery attempt');
    if (stillPending) {
      await this.queue.recordAttempt(entry.id, outcomes, nextAttempt(relay.retry, entry.attempts, now), lastError);
      await this.noticeDelay(withOutcomes(entry, outcomes), relay, message, now);
      return;
    }
    const finished = withOutcomes(entry, outcomes);
    // With a report to send, record the outcomes first: a crash before the report leaves
    // "nothing pending", so the next claim only reports and removes — it never resends.
    if (reportable(finished).length) await this.queue.recordAttempt(entry.id, outcomes, now, lastError);
    await this.finish(finished, message);
  }

  /**
   * Once a message has waited relay.delayNotification, tells the sender (once per recipient)
   * that it is delayed and until when it will be retried.
   */
  private async noticeDelay(entry: QueueEntry, relay: RelaySettings, message: Buffer, now: Date): Promise<void> {
    if (relay.delayNotification <= 0 || now.getTime() - entry.createdAt.getTime() < relay.delayNotification) return;
    const due = delayReportable(entry);
    if (due.length === 0) return;
    // Marked first: a crash in between loses one notice rather than sending it twice.
    await this.queue.markDelayNotified(entry.id, due.map((r) => r.index));
    const where = await sendDelayReport(this.reportTarget(), entry, due, message, new Date(entry.createdAt.getTime() + relay.expiry), now);
    if (where) this.ctx.logger.info({ id: entry.id, to: entry.sender, where }, 'queue: delay notice sent');
  }

  private reportTarget(): BounceTarget {
    return {
      store: this.ctx.store,
      outbound: this.outbound,
      hostname: this.ctx.hostname,
      canRelay: this.ctx.config().relay !== undefined,
    };
  }

  /** Reports (if due) and removes a finished entry. */
  private async finish(entry: QueueEntry, original?: Buffer): Promise<void> {
    const msg = original ?? (await this.queue.readMessage(entry.id));
    const where = await sendFinalReport(this.reportTarget(), entry, msg);
    if (where) this.ctx.logger.info({ id: entry.id, to: entry.sender, where }, 'queue: delivery report sent');
    await this.queue.remove(entry.id);
  }

  private async acquire(options: SmarthostOptions): Promise<SmarthostConnection> {
    const key = connectionKey(options);
    while (this.idle.length) {
      const i = this.idle.pop()!;
      if (i.key === key && i.conn.usable) return i.conn;
      void i.conn.quit();
    }
    return SmarthostConnection.open(options);
  }

  private releaseConn(conn: SmarthostConnection, options: SmarthostOptions): void {
    if (!conn.usable || this.stopped) { void conn.quit(); return; }
    this.idle.push({ conn, key: connectionKey(options), since: Date.now() });
  }

  private closeIdle(): void {
    const now = Date.now();
    this.idle = this.idle.filter((i) => {
      if (i.conn.usable && now - i.since < IDLE_CLOSE_MS) return true;
      void i.conn.quit();
      return false;
    });
  }
}

/** The entry as it stands after an attempt's outcomes. */
function withOutcomes(entry: QueueEntry, outcomes: RecipientOutcome[]): QueueEntry {
  return {
    ...entry,
    recipients: entry.recipients.map((r) => {
      const o = outcomes.find((x) => x.index === r.index);
      return o ? { ...r, state: o.state, lastResult: o.lastResult, status: o.status, remoteMta: o.remoteMta, relayed: o.relayed ?? false } : r;
    }),
  };
}

function connectionKey(o: SmarthostOptions): string {
  return JSON.stringify([o.host, o.port, o.security, o.auth?.username, o.auth?.password, o.verifyCertificate, o.ca, o.servername]);
}

/** Starts the runner for a server; returns its stop function. */
export function startQueueRunner(ctx: ServerContext, baseDir: string): () => Promise<void> {
  if (!ctx.outbound) return async () => {};
  const runner = new QueueRunner(ctx, ctx.outbound, baseDir);
  const started = runner.start();
  return async () => {
    await started;
    await runner.stop();
  };
}
