// The POP3 maildrop (RFC 1939 §8): a snapshot of the mailbox's messages numbered 1..n at login,
// the set marked deleted, and the exclusive lock. Deletions reach the store only at QUIT, in
// one transaction; a dropped connection deletes nothing.
import type { Mailbox, MailStore, MessageRecord, HeldLock, StoredContent } from '../../store/types.js';
import { MessageDeleted, NoSuchMessage } from './errors.js';

export class Maildrop {
  private readonly deleted = new Set<number>();

  private constructor(
    private readonly store: MailStore,
    readonly mailbox: Mailbox,
    private readonly messages: MessageRecord[],
    private lock: HeldLock | null,
  ) {}

  /** null when another session holds the maildrop. */
  static async open(store: MailStore, mailbox: Mailbox): Promise<Maildrop | null> {
    const lock = await store.tryLock(`pop3:${mailbox.id}`);
    if (!lock) return null;
    try {
      const messages = await store.listMessages(mailbox.id);
      return new Maildrop(store, mailbox, messages, lock);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Messages not marked deleted: [count, octets] (STAT). */
  stat(): [number, number] {
    let count = 0, size = 0;
    this.messages.forEach((m, i) => {
      if (!this.deleted.has(i + 1)) { count++; size += m.size; }
    });
    return [count, size];
  }

  /** Every undeleted message with its number. */
  visible(): Array<{ msg: number; record: MessageRecord }> {
    const out: Array<{ msg: number; record: MessageRecord }> = [];
    this.messages.forEach((record, i) => {
      if (!this.deleted.has(i + 1)) out.push({ msg: i + 1, record });
    });
    return out;
  }

  get(msg: number): MessageRecord {
    const record = this.messages[msg - 1];
    if (!record) throw new NoSuchMessage();
    if (this.deleted.has(msg)) throw new MessageDeleted();
    return record;
  }

  async read(msg: number): Promise<StoredContent> {
    return this.store.readContent(this.get(msg).blobId);
  }

  markDeleted(msg: number): void {
    this.get(msg);
    this.deleted.add(msg);
  }

  reset(): void {
    this.deleted.clear();
  }

  get deletedCount(): number {
    return this.deleted.size;
  }

  /** RFC 1939 §6 UPDATE state: remove the marked messages atomically. */
  async commit(): Promise<number> {
    const uids = [...this.deleted].map((msg) => this.messages[msg - 1]!.uid);
    if (uids.length === 0) return 0;
    const removed = await this.store.expunge(this.mailbox.id, uids);
    this.deleted.clear();
    return removed.length;
  }

  async release(): Promise<void> {
    const lock = this.lock;
    this.lock = null;
    await lock?.release();
  }
}

/** RFC 1939 §7 unique-id: stable across sessions, 0x21-0x7E, at most 70 characters (Dovecot's %08Xu%08Xv). */
export function uniqueId(uid: number, uidValidity: number): string {
  return uid.toString(16).toUpperCase().padStart(8, '0') + uidValidity.toString(16).toUpperCase().padStart(8, '0');
}
