// The change feed both stores share. Writers tell the hub which mailbox changed (after their
// transaction committed, or when another process or node says so); the hub then reads that
// mailbox's change log past what each subscriber has seen and hands the records over in modseq
// order. Reading the log — instead of forwarding what the writer had in hand — means a change
// made by another process can never be skipped, and no record is delivered twice.
import type { ChangeFeed, ChangeListener, MailboxChange, MailboxId } from './types.js';

export interface FeedSource {
  /** The mailbox's highest modseq right now, synchronously (SQLite), or null if unknown. */
  highestModseqNow?(mailboxId: MailboxId): number | null;
  /** The mailbox's highest modseq, or null when it does not exist. */
  highestModseq(mailboxId: MailboxId): Promise<number | null>;
  /** Change-log records with modseq > since, oldest first. */
  changesSince(mailboxId: MailboxId, since: number): Promise<MailboxChange[]>;
}

export interface FeedHooks {
  /** Called with true when the first subscriber arrives and false when the last one leaves. */
  onActive?(active: boolean): void;
  /** A read of the change log failed; the next notification retries. */
  onError?(error: unknown): void;
}

interface Subscription {
  listener: ChangeListener;
  /** Highest modseq delivered (or known to be before the subscription); null until known. */
  lastSeen: number | null;
  /** While lastSeen is unknown: one below the first modseq this process committed since. */
  floor: number | null;
  active: boolean;
}

interface Channel {
  subs: Set<Subscription>;
  running: boolean;
  again: boolean;
}

export class ChangeFeedHub implements ChangeFeed {
  readonly #source: FeedSource;
  readonly #hooks: FeedHooks;
  readonly #channels = new Map<MailboxId, Channel>();
  #closed = false;

  constructor(source: FeedSource, hooks: FeedHooks = {}) {
    this.#source = source;
    this.#hooks = hooks;
  }

  /**
   * Delivers every change committed after this call (or, with `since`, every change with
   * modseq > since) to `listener`, in modseq order, asynchronously.
   */
  subscribe(mailboxId: MailboxId, listener: ChangeListener, since?: number): () => void {
    if (this.#closed) return () => {};
    let lastSeen: number | null = since ?? null;
    if (lastSeen === null && this.#source.highestModseqNow) {
      lastSeen = this.#source.highestModseqNow(mailboxId) ?? 0;
    }
    const sub: Subscription = { listener, lastSeen, floor: null, active: true };
    let channel = this.#channels.get(mailboxId);
    if (!channel) {
      channel = { subs: new Set(), running: false, again: false };
      this.#channels.set(mailboxId, channel);
      if (this.#channels.size === 1) this.#hooks.onActive?.(true);
    }
    channel.subs.add(sub);
    // With an unknown baseline the first pump reads it; with `since` there may be a backlog —
    // unless the mailbox is known, right now, to be at `since` (an IMAP SELECT, usually).
    const backlog = since !== undefined && this.#source.highestModseqNow?.(mailboxId) !== since;
    if (sub.lastSeen === null || backlog) this.#pump(mailboxId);
    return () => {
      if (!sub.active) return;
      sub.active = false;
      const ch = this.#channels.get(mailboxId);
      if (!ch) return;
      ch.subs.delete(sub);
      if (ch.subs.size === 0) {
        this.#channels.delete(mailboxId);
        if (this.#channels.size === 0 && !this.#closed) this.#hooks.onActive?.(false);
      }
    };
  }

  /** This process committed changes to the mailbox, the first of them at `firstModseq`. */
  committed(mailboxId: MailboxId, firstModseq: number): void {
    const channel = this.#channels.get(mailboxId);
    if (!channel) return;
    for (const sub of channel.subs) {
      if (sub.lastSeen === null) sub.floor = Math.min(sub.floor ?? Infinity, firstModseq - 1);
    }
    this.#pump(mailboxId);
  }

  /** Someone else (another process or node) changed the mailbox. */
  poke(mailboxId: MailboxId): void {
    if (this.#channels.has(mailboxId)) this.#pump(mailboxId);
  }

  /** Something may have changed anywhere: re-read every subscribed mailbox. */
  pokeAll(): void {
    for (const id of this.#channels.keys()) this.#pump(id);
  }

  get subscribedMailboxes(): MailboxId[] {
    return [...this.#channels.keys()];
  }

  get active(): boolean {
    return this.#channels.size > 0;
  }

  close(): void {
    this.#closed = true;
    for (const channel of this.#channels.values()) {
      for (const sub of channel.subs) sub.active = false;
    }
    this.#channels.clear();
  }

  #pump(mailboxId: MailboxId): void {
    const channel = this.#channels.get(mailboxId);
    if (!channel || this.#closed) return;
    if (channel.running) {
      channel.again = true;
      return;
    }
    channel.running = true;
    void this.#drain(mailboxId, channel);
  }

  async #drain(mailboxId: MailboxId, channel: Channel): Promise<void> {
    try {
      do {
        channel.again = false;
        const waiting = [...channel.subs].filter((s) => s.lastSeen === null);
        if (waiting.length > 0) {
          const highest = (await this.#source.highestModseq(mailboxId)) ?? 0;
          for (const sub of waiting) {
            if (sub.lastSeen === null) sub.lastSeen = Math.min(highest, sub.floor ?? Infinity);
          }
        }
        // A subscriber that arrived during the await above has no baseline yet; `again` is set
        // for it, so the next round reads its baseline.
        const subs = [...channel.subs].filter((s) => s.lastSeen !== null);
        if (subs.length === 0 || this.#closed) continue;
        const since = Math.min(...subs.map((s) => s.lastSeen!));
        const changes = await this.#source.changesSince(mailboxId, since);
        for (const change of changes) {
          for (const sub of subs) {
            if (!sub.active || sub.lastSeen === null || change.modseq <= sub.lastSeen) continue;
            sub.lastSeen = change.modseq;
            try {
              sub.listener(change);
            } catch (error) {
              // A listener's failure is its own; the other subscribers still get the change.
              this.#hooks.onError?.(error);
            }
          }
        }
      } while (channel.again && !this.#closed);
    } catch (error) {
      if (!this.#closed) this.#hooks.onError?.(error);
    } finally {
      channel.running = false;
      // A notification that arrived while a failing read was in flight still deserves a try.
      if (channel.again && !this.#closed && this.#channels.get(mailboxId) === channel) {
        channel.again = false;
        this.#pump(mailboxId);
      }
    }
  }
}
