// FETCH as an async iterator, with flow control and streamed bodies.
//
// A pump reads the FETCH answer and queues messages; it pauses when the consumer falls behind
// (64 messages or 1 MiB queued), and a streamed body pauses it when its Readable is full — so a
// 2 GB mailbox or a 500 MB message passes through in bounded memory. Two things turn the brakes
// off: another call waiting for the connection (the rest is read ahead into memory so that call
// can run — ImapFlow deadlocks here), and the consumer asking for the next message before
// finishing a body stream (the body is then buffered). break/return() drains the answer in the
// background and drops what is left.
import { Readable } from 'node:stream';
import { CommandBuilder } from '../wire/imap/client-command.js';
import { parseFetchPrefix, type ImapResponse } from '../wire/imap/client-response.js';
import { fetchItems, parseFetchAttributes, type FetchAttributes } from '../wire/imap/client-fetch.js';
import type { ImapClient, StreamStep } from './imap.js';
import type { CallOptions, FetchQuery, FetchedMessage } from './imap-types.js';

export interface FetchPlan {
  uid: boolean;
  range: string;
  /** FETCH items, the streamed body not included. */
  items: string[];
  body: 'BODY' | 'BODY.PEEK';
  /** A body section to stream (requested last). */
  stream: { section: string; binary: boolean } | null;
  changedSince: bigint | undefined;
  wantsHeaders: FetchQuery['headers'];
}

const MAX_QUEUED = 64;
const MAX_QUEUED_BYTES = 1024 * 1024;

interface Streaming {
  msg: FetchedMessage;
  stream: Readable;
  wanted: boolean;
}

export class FetchIterator implements AsyncIterableIterator<FetchedMessage> {
  private queue: FetchedMessage[] = [];
  private queuedBytes = 0;
  private started = false;
  private finished = false;
  private error: unknown = null;
  private abandoned = false;
  private consumerWaiting = false;
  private wakeConsumer: (() => void) | null = null;
  private wakePump: (() => void) | null = null;
  private streaming: Streaming | null = null;
  /** Messages handed out at the start of their streamed body, completed when the FETCH ends. */
  private early = new Map<number, FetchedMessage>();
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly client: ImapClient, private readonly plan: FetchPlan, private readonly options: CallOptions) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<FetchedMessage> {
    return this;
  }

  async next(): Promise<IteratorResult<FetchedMessage>> {
    if (!this.started) this.start();
    for (;;) {
      const m = this.queue.shift();
      if (m) {
        this.queuedBytes -= messageBytes(m);
        this.poke();
        return { value: m, done: false };
      }
      if (this.finished) {
        if (this.error) {
          const e = this.error;
          this.error = null;
          throw e;
        }
        return { value: undefined, done: true };
      }
      this.consumerWaiting = true;
      this.poke();
      await new Promise<void>((r) => (this.wakeConsumer = r));
      this.consumerWaiting = false;
    }
  }

  /** break / return(): stop handing out messages; the rest of the answer is drained. */
  async return(): Promise<IteratorResult<FetchedMessage>> {
    this.abandoned = true;
    this.queue = [];
    this.queuedBytes = 0;
    if (!this.started) this.finished = true;
    this.poke();
    return { value: undefined, done: true };
  }

  /** Resolves when the FETCH command has ended (for tests and orderly shutdown). */
  get settled(): Promise<void> {
    return this.done;
  }

  private start(): void {
    this.started = true;
    this.done = this.pump();
  }

  private poke(): void {
    const w = this.wakePump;
    this.wakePump = null;
    w?.();
  }

  private notify(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = null;
    w?.();
  }

  private get readAhead(): boolean {
    return this.client.lock.contended;
  }

  private async pump(): Promise<void> {
    const lock = this.client.lock;
    try {
      await lock.acquire(this.options.signal);
    } catch (err) {
      this.finish(err);
      return;
    }
    const reader = this.client.responseReader;
    lock.onContention(() => this.poke());
    try {
      const { plan } = this;
      const cmd = new CommandBuilder(plan.uid ? 'UID FETCH' : 'FETCH').atom(plan.range);
      const items = [...plan.items];
      if (plan.stream) {
        const s = plan.stream;
        items.push(`${s.binary ? 'BINARY.PEEK' : plan.body}[${s.section.toUpperCase()}]`);
        // The server answers BODY[x] / BINARY[x] (never .PEEK), possibly with <origin>.
        const name = `${s.binary ? 'BINARY' : 'BODY'}[${s.section.toUpperCase()}]`;
        reader.streamLiteral = (prefix) => {
          const tail = prefix.slice(-name.length - 16).toUpperCase();
          return new RegExp(`${escape(name)}(?:<\\d+>)? $`).test(tail);
        };
      }
      cmd.text(` (${items.join(' ')})`);
      if (plan.changedSince !== undefined) cmd.text(` (CHANGEDSINCE ${plan.changedSince})`);
      const r = await this.client.execLocked(cmd, this.options, {
        untagged: (u) => this.onUntagged(u),
        stream: (s) => this.onStream(s),
      });
      if (r.status !== 'OK') this.error = this.client.failure('FETCH', r);
      this.finish(null);
    } catch (err) {
      this.finish(err);
    } finally {
      reader.streamLiteral = null;
      lock.onContention(null);
      lock.release();
    }
  }

  private finish(err: unknown): void {
    if (err) {
      this.error ??= err;
      if (this.streaming && !this.streaming.stream.destroyed) this.streaming.stream.destroy(err as Error);
      for (const m of this.early.values()) if (m.sourceStream && !m.sourceStream.readableEnded && !m.sourceStream.destroyed) m.sourceStream.destroy(err as Error);
    }
    this.streaming = null;
    this.finished = true;
    this.notify();
  }

  private async onUntagged(u: Extract<ImapResponse, { kind: 'data' | 'status' }>): Promise<boolean> {
    if (u.kind !== 'data' || u.name !== 'FETCH' || u.number === undefined) return false;
    const items = fetchItems(u.values[0] ?? null);
    const attrs = parseFetchAttributes(items);
    // With UID FETCH every answer carries UID; one without it is an unsolicited flag change.
    if (this.plan.uid && attrs.uid === undefined) return false;
    const early = this.early.get(u.number);
    if (early) {
      this.early.delete(u.number);
      complete(early, attrs, this.plan);
      return true;
    }
    if (this.abandoned) return true;
    const msg = toMessage(u.number, attrs, this.plan);
    this.enqueue(msg);
    while (!this.abandoned && !this.readAhead && (this.queue.length >= MAX_QUEUED || this.queuedBytes >= MAX_QUEUED_BYTES)) {
      await new Promise<void>((r) => (this.wakePump = r));
    }
    return true;
  }

  private enqueue(msg: FetchedMessage): void {
    this.queue.push(msg);
    this.queuedBytes += messageBytes(msg);
    this.notify();
  }

  private async onStream(step: StreamStep): Promise<void> {
    if (step.kind === 'literal-start') {
      const prefix = parseFetchPrefix(step.parts, step.literals);
      const seq = prefix?.seq ?? 0;
      const attrs = parseFetchAttributes(prefix?.items ?? []);
      const state: Streaming = {
        msg: toMessage(seq, attrs, this.plan),
        stream: new Readable({
          highWaterMark: 256 * 1024,
          read: () => {
            state.wanted = true;
            this.poke();
          },
          destroy: (err, cb) => {
            this.poke();
            cb(err);
          },
        }),
        wanted: false,
      };
      state.msg.sourceStream = state.stream;
      this.streaming = state;
      this.early.set(seq, state.msg);
      if (this.abandoned) state.stream.destroy();
      else this.enqueue(state.msg);
      return;
    }
    const st = this.streaming;
    if (!st) return;
    if (step.kind === 'literal-end') {
      if (!st.stream.destroyed) st.stream.push(null);
      this.streaming = null;
      return;
    }
    if (st.stream.destroyed) return; // dropped by its reader: discard the rest
    if (!st.stream.push(step.data)) {
      st.wanted = false;
      while (!st.wanted && !st.stream.destroyed && !this.readAhead && !this.consumerWaiting) {
        await new Promise<void>((r) => (this.wakePump = r));
      }
    }
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function messageBytes(m: FetchedMessage): number {
  let n = 200;
  if (m.source) n += m.source.length;
  if (m.headers) n += m.headers.length;
  for (const b of m.bodyParts?.values() ?? []) n += b.length;
  return n;
}

function toMessage(seq: number, a: FetchAttributes, plan: FetchPlan): FetchedMessage {
  const m: FetchedMessage = { seq, uid: a.uid ?? 0 };
  complete(m, a, plan);
  return m;
}

/** Copies what `a` has into `m` (used again for items that came after a streamed body). */
function complete(m: FetchedMessage, a: FetchAttributes, plan: FetchPlan): void {
  if (a.uid !== undefined) m.uid = a.uid;
  if (a.flags) m.flags = a.flags;
  if (a.modseq !== undefined) m.modseq = a.modseq;
  if (a.internalDate) m.internalDate = a.internalDate;
  if (a.size !== undefined) m.size = a.size;
  if (a.envelope) m.envelope = a.envelope;
  if (a.bodyStructure) m.bodyStructure = a.bodyStructure;
  if (a.emailId) m.emailId = a.emailId;
  if (a.threadId) m.threadId = a.threadId;
  for (const [key, value] of a.sections) {
    if (!Buffer.isBuffer(value)) continue;
    if (key === '') m.source = value;
    else if (plan.wantsHeaders && (key === 'HEADER' || key.startsWith('HEADER.FIELDS'))) m.headers = value;
    else (m.bodyParts ??= new Map()).set(key, value);
  }
  for (const [key, value] of a.binary) {
    if (Buffer.isBuffer(value)) (m.bodyParts ??= new Map()).set(key, value);
  }
}
