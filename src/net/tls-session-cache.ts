// TLS 1.2 session-ID resumption (RFC 5246 §7.3): clients that keep a session ID but no ticket
// (SChannel and older OpenSSL builds do) skip the full handshake on reconnect. Node keeps no
// server-side cache of its own; it asks a tls.Server's newSession/resumeSession listeners, and
// a server-side TLSSocket (implicit TLS and STARTTLS alike) asks the `server` it is given.
// One cache per protocol, so a session made on POP3 is never resumed on IMAP. Bounded in
// entries and age: a client minting sessions only pushes out the oldest. TLS 1.3 resumes
// with tickets (RFC 8446 §4.6.1), which OpenSSL handles without this.
import tls from 'node:tls';

export interface TlsSessionCacheOptions {
  /** Most sessions kept; the least recently stored is dropped first. */
  maxEntries: number;
  /** How long a session may be resumed (OpenSSL also checks the session's own timeout). */
  ttlMs: number;
}

export const DEFAULT_SESSION_CACHE: TlsSessionCacheOptions = { maxEntries: 20_000, ttlMs: 300_000 };

export class TlsSessionCache {
  // Map iteration order is insertion order: the first key is the oldest entry.
  private readonly sessions = new Map<string, { data: Buffer; expires: number }>();
  /** Holds the listeners; never listens on a port. */
  readonly holder = new tls.Server();

  constructor(private readonly options: TlsSessionCacheOptions = DEFAULT_SESSION_CACHE, private readonly now = Date.now) {
    this.holder.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      this.store(id, data);
      done();
    });
    this.holder.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, this.lookup(id));
    });
  }

  get size(): number {
    return this.sessions.size;
  }

  store(id: Buffer, data: Buffer): void {
    const key = id.toString('hex');
    this.sessions.delete(key);
    this.sessions.set(key, { data, expires: this.now() + this.options.ttlMs });
    while (this.sessions.size > this.options.maxEntries) {
      this.sessions.delete(this.sessions.keys().next().value!);
    }
  }

  lookup(id: Buffer): Buffer | null {
    const key = id.toString('hex');
    const entry = this.sessions.get(key);
    if (!entry) return null;
    if (entry.expires <= this.now()) {
      this.sessions.delete(key);
      return null;
    }
    return entry.data;
  }

  clear(): void {
    this.sessions.clear();
  }
}
