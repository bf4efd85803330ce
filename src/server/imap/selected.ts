// The selected mailbox as this session's client sees it: the message sequence map (sequence
// number n ↔ uids[n-1]) and the changes other sessions made that the client has not been told
// about yet. Changes arrive from the store's change feed at any time and are queued here; the
// session sends them only when RFC 9051 §7 / RFC 3501 §7 allow: EXISTS, FETCH FLAGS and EXPUNGE
// at the end of a command (never EXPUNGE during FETCH, STORE or SEARCH), and at once in IDLE.
import type { Mailbox, MailboxChange, MailboxSummary, MailStore, MessageRecord } from '../../store/types.js';
import { formatNumberSet, lowerBound } from '../../wire/imap/sequence-set.js';

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

export interface UpdateRules {
  /** EXPUNGE/VANISHED may be sent now. */
  expunges: boolean;
  condstore: boolean;
  qresync: boolean;
  /** IMAP4rev2 enabled: no RECENT, no \Recent. */
  rev2: boolean;
}

export class SelectedMailbox {
  readonly id: number;
  readonly accountId: number;
  /** Name in the owner's store. */
  readonly storeName: string;
  /** Name as the client sees it (Unicode). */
  readonly clientName: string;
  readonly readOnly: boolean;
  readonly uidValidity: number;
  /** The client's view: ascending UIDs; sequence number n is uids[n-1]. */
  uids: number[];
  /** UIDs that are \Recent in this session (RFC 3501 §2.3.2). */
  readonly recent = new Set<number>();
  /** Keywords the client has been told about in a FLAGS response. */
  readonly keywords: Set<string>;
  /** Highest modseq the client has been told about (or that the session knows of). */
  highestModseq: number;
  private pendingExpunged = new Set<number>();
  private pendingAppended: number[] = [];
  private pendingFlags = new Map<number, { flags: string[]; modseq: number }>();
  /** Flag changes this session made and reported itself; the feed's echo is dropped. */
  private ownModseqs = new Set<number>();
  private unsubscribe: (() => void) | null = null;
  private lastKnownUid: number;
  /** Highest modseq the feed has delivered to this session. */
  private feedSeen = 0;
  private feedWaiters: Array<{ modseq: number; resolve: () => void }> = [];

  constructor(
    mailbox: Mailbox,
    clientName: string,
    summary: MailboxSummary,
    readOnly: boolean,
    firstRecentUid: number,
  ) {
    this.id = mailbox.id;
    this.accountId = mailbox.accountId;
    this.storeName = mailbox.name;
    this.clientName = clientName;
    this.readOnly = readOnly;
    this.uidValidity = mailbox.uidValidity;
    this.uids = summary.uids;
    this.lastKnownUid = this.uids[this.uids.length - 1] ?? 0;
    this.highestModseq = Math.max(mailbox.highestModseq, summary.highestMessageModseq);
    for (let i = this.uids.length - 1; i >= 0 && this.uids[i]! >= firstRecentUid; i--) this.recent.add(this.uids[i]!);
    this.keywords = new Set(summary.keywords);
  }

  /** Starts listening for other sessions' changes after `since` (the modseq read with the mailbox). */
  listen(store: MailStore, since: number, onChange: () => void): void {
    this.feedSeen = since;
    this.unsubscribe = store.feed.subscribe(this.id, (c) => {
      if (c.modseq > this.feedSeen) this.feedSeen = c.modseq;
      const queued = this.take(c);
      if (this.feedWaiters.length > 0) {
        const ready = this.feedWaiters.filter((w) => w.modseq <= this.feedSeen);
        this.feedWaiters = this.feedWaiters.filter((w) => w.modseq > this.feedSeen);
        for (const w of ready) w.resolve();
      }
      if (queued) onChange();
    }, since);
  }

  /**
   * Resolves once the feed has delivered changes up to `modseq` (or after `timeoutMs`): an
   * APPEND or COPY into the selected mailbox is then answered with its EXISTS (RFC 9051 §6.3.12).
   */
  waitForFeed(modseq: number, timeoutMs: number): Promise<void> {
    if (this.feedSeen >= modseq || !this.unsubscribe) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { modseq, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.feedWaiters = this.feedWaiters.filter((w) => w !== entry);
        resolve();
      }, timeoutMs);
      this.feedWaiters.push(entry);
    });
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const w of this.feedWaiters) w.resolve();
    this.feedWaiters = [];
  }

  get exists(): number {
    return this.uids.length;
  }

  /** Sequence number of a UID in the client's view, 0 when it is not there. */
  seqOf(uid: number): number {
    const i = lowerBound(this.uids, uid);
    return this.uids[i] === uid ? i + 1 : 0;
  }

  /** A message the client still sees but another session has expunged. */
  isExpungedPending(uid: number): boolean {
    return this.pendingExpunged.has(uid);
  }

  get hasPending(): boolean {
    return this.pendingExpunged.size > 0 || this.pendingAppended.length > 0 || this.pendingFlags.size > 0;
  }

  /** This session changed these messages and tells the client itself. */
  noteOwnChanges(records: readonly MessageRecord[]): void {
    for (const r of records) {
      if (r.modseq > this.highestModseq) this.highestModseq = r.modseq;
      const queued = this.pendingFlags.get(r.uid);
      if (queued && queued.modseq <= r.modseq) this.pendingFlags.delete(r.uid);
      // Only echoes still to come are remembered, so the set cannot grow without bound.
      if (r.modseq > this.feedSeen) this.ownModseqs.add(r.modseq);
    }
  }

  /** Feed → queue. Returns true when something the client should hear about was queued. */
  private take(c: MailboxChange): boolean {
    switch (c.kind) {
      case 'append':
        if (c.uid <= this.lastKnownUid) return false; // read with the mailbox already
        this.lastKnownUid = c.uid;
        this.pendingAppended.push(c.uid);
        return true;
      case 'expunge': {
        this.pendingFlags.delete(c.uid);
        const j = this.pendingAppended.indexOf(c.uid);
        if (j >= 0) {
          // Came and went before the client heard of it: it never existed for the client.
          this.pendingAppended.splice(j, 1);
          return false;
        }
        if (this.seqOf(c.uid) === 0) return false;
        this.pendingExpunged.add(c.uid);
        return true;
      }
      case 'flags':
        if (this.ownModseqs.delete(c.modseq)) return false;
        if (this.pendingExpunged.has(c.uid)) return false;
        if (this.seqOf(c.uid) === 0 && !this.pendingAppended.includes(c.uid)) return false;
        this.pendingFlags.set(c.uid, { flags: c.flags, modseq: c.modseq });
        return true;
    }
  }

  /**
   * Removes UIDs from the view (this session expunged or moved them) and returns the untagged
   * lines that tell the client: EXPUNGE per message, highest number first so every number is
   * valid when sent (RFC 9051 §7.5.1), or one VANISHED under QRESYNC (RFC 7162 §3.2.10).
   */
  remove(uids: readonly number[], qresync: boolean): string[] {
    const gone = new Set<number>();
    const seqs: number[] = [];
    for (const uid of uids) {
      const seq = this.seqOf(uid);
      if (seq > 0 && !gone.has(uid)) {
        gone.add(uid);
        seqs.push(seq);
      }
      this.pendingExpunged.delete(uid);
      this.pendingFlags.delete(uid);
    }
    if (gone.size === 0) return [];
    this.uids = this.uids.filter((u) => !gone.has(u));
    for (const u of gone) this.recent.delete(u);
    if (qresync) return [`* VANISHED ${formatNumberSet([...gone].sort((a, b) => a - b))}\r\n`];
    return seqs.sort((a, b) => b - a).map((s) => `* ${s} EXPUNGE\r\n`);
  }

  /** The queued changes as untagged responses, removing them from the queue. */
  takeUpdates(rules: UpdateRules, flagsLine: (flags: string[], uid: number) => string): string[] {
    const out: string[] = [];
    if (rules.expunges && this.pendingExpunged.size > 0) {
      for (const line of this.remove([...this.pendingExpunged], rules.qresync)) out.push(line);
      this.pendingExpunged.clear();
    }
    if (this.pendingAppended.length > 0) {
      for (const uid of this.pendingAppended) {
        if (uid > (this.uids[this.uids.length - 1] ?? 0)) this.uids.push(uid);
        // New to this session and, as far as it can tell, to every session (RFC 3501 §2.3.2).
        this.recent.add(uid);
      }
      this.pendingAppended = [];
      out.push(`* ${this.uids.length} EXISTS\r\n`);
      if (!rules.rev2) out.push(`* ${this.recent.size} RECENT\r\n`);
    }
    if (this.pendingFlags.size > 0) {
      const newKeywords = [...this.pendingFlags.values()].flatMap((p) => p.flags.filter((f) => !f.startsWith('\\') && !this.keywords.has(f)));
      if (newKeywords.length > 0) {
        for (const k of newKeywords) this.keywords.add(k);
        for (const line of this.flagsResponses()) out.push(line);
      }
      const entries = [...this.pendingFlags].sort((a, b) => a[0] - b[0]);
      this.pendingFlags.clear();
      for (const [uid, p] of entries) {
        const seq = this.seqOf(uid);
        if (seq === 0) continue;
        const items = [`FLAGS ${flagsLine(p.flags, uid)}`];
        // QRESYNC: unsolicited FETCH carries the UID (RFC 7162 §3.2.4); CONDSTORE: the MODSEQ.
        if (rules.qresync) items.unshift(`UID ${uid}`);
        if (rules.condstore) items.push(`MODSEQ (${p.modseq})`);
        if (p.modseq > this.highestModseq) this.highestModseq = p.modseq;
        out.push(`* ${seq} FETCH (${items.join(' ')})\r\n`);
      }
    }
    return out;
  }

  /** FLAGS and PERMANENTFLAGS for SELECT, and again when new keywords appear. */
  flagsResponses(): string[] {
    const keywords = [...this.keywords].sort();
    const all = [...SYSTEM_FLAGS, ...keywords].join(' ');
    const permanent = this.readOnly ? '()' : `(${[...SYSTEM_FLAGS, ...keywords, '\\*'].join(' ')})`;
    return [
      `* FLAGS (${all})\r\n`,
      `* OK [PERMANENTFLAGS ${permanent}] ${this.readOnly ? 'Read-only mailbox.' : 'Flags permitted.'}\r\n`,
    ];
  }
}
