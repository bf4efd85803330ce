// The first stage of reading IMAP commands (RFC 9051 §2.2.1, §4.3): bytes in, whole commands
// out. A command is one line, or several lines joined by literals ("{n}" synchronizing, "{n+}"
// non-synchronizing per RFC 7888, "~{n}" literal8 per RFC 3516). Each literal announcement is
// reported before its bytes are read, so the session can answer "+ go ahead" or refuse it
// ([TOOBIG]); a refused non-synchronizing literal is skipped without being buffered. Pure and
// resumable: push() any split of the stream, next() until "need-more".
//
// The grammar of the arguments is not parsed here (see command-parser.ts); this stage only finds
// the tag, the command name and where the literals are, with bounded memory.

export interface RawCommand {
  tag: string;
  /** Upper-case command name; "UID FETCH" etc. for UID commands. */
  name: string;
  /**
   * The command's text between literals, without CRLF. segments[i] for i < literals.length ends
   * with the marker of literals[i]; the last segment ends the command.
   */
  segments: Buffer[];
  literals: Buffer[];
  /** Offset in segments[0] where the arguments begin (just past "tag SP name"). */
  argsStart: number;
}

export type LiteralAnnouncement = {
  kind: 'literal';
  tag: string;
  name: string;
  size: number;
  /** "{n}": the client waits for "+ go ahead"; "{n+}": the bytes follow at once. */
  sync: boolean;
  /** "~{n}": literal8, may hold NUL (RFC 3516 BINARY). */
  binary: boolean;
  /** 0 for the command's first literal. */
  index: number;
};

export type DecodeStep =
  | { kind: 'command'; command: RawCommand }
  | { kind: 'need-more' }
  | LiteralAnnouncement
  | {
      kind: 'error';
      /** The command's tag when it could be read; null → answer with an untagged BAD. */
      tag: string | null;
      reason: 'empty' | 'syntax' | 'too-long' | 'literal-too-large';
      message: string;
      /** The stream cannot be resynchronised (a non-synchronizing literal over 2^32-1 bytes). */
      fatal?: boolean;
    };

export interface DecoderLimits {
  /** Longest line (one segment) accepted. */
  maxLineLength: number;
  /** Most bytes of command text (all segments, not literals) in one command. */
  maxCommandText: number;
}

const LF = 0x0a;
const CR = 0x0d;
const MAX_LITERAL = 4294967295;
// tag = 1*<any ASTRING-CHAR except "+"> (RFC 9051 §9)
const TAG = /^[^\x00-\x20\x7f-\xff(){%*"\\+]+$/;
const NAME = /^[A-Za-z][A-Za-z0-9.=-]*$/;
// "{123}", "{123+}", "~{123}" at the very end of a line.
const MARKER = /(~?)\{(\d{1,20})(\+?)\}$/;

type State = 'line' | 'await' | 'literal' | 'discard-bytes' | 'discard-line';

interface Pending {
  tag: string;
  name: string;
  argsStart: number;
  segments: Buffer[];
  literals: Buffer[];
  textBytes: number;
}

export class ImapCommandDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private state: State = 'line';
  private current: Pending | null = null;
  private announced: LiteralAnnouncement | null = null;
  private literalLeft = 0;
  private literalParts: Buffer[] = [];
  private discardLeft = 0;
  /** Skipping the rest of an overlong line; the error is reported at its LF. */
  private overlong = false;
  private scannedChunks = 0;
  private scannedBytes = 0;

  constructor(public limits: DecoderLimits) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Bytes received and not yet consumed. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** True between commands (nothing of a command has been read). */
  get idle(): boolean {
    return this.state === 'line' && this.current === null && this.buffered === 0 && !this.overlong;
  }

  /** Forgets everything (STARTTLS: nothing sent before the handshake may be used). */
  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.state = 'line';
    this.current = null;
    this.announced = null;
    this.literalParts = [];
    this.overlong = false;
    this.scannedChunks = 0;
    this.scannedBytes = 0;
  }

  /** After a literal announcement: read its bytes as part of the command. */
  acceptLiteral(): void {
    if (this.state !== 'await' || !this.announced) throw new Error('no literal announced');
    this.state = 'literal';
    this.literalLeft = this.announced.size;
    this.literalParts = [];
    this.announced = null;
  }

  /**
   * After a literal announcement: the command is dropped. A synchronizing literal is never sent
   * (the client waits for "+"); a non-synchronizing one is skipped here unless the transport
   * already skipped it (`alreadySkipped`), and so is the rest of the command.
   */
  rejectLiteral(alreadySkipped = false): void {
    if (this.state !== 'await' || !this.announced) throw new Error('no literal announced');
    const a = this.announced;
    this.announced = null;
    this.current = null;
    if (a.sync) this.state = 'line';
    else if (alreadySkipped) this.state = 'discard-line';
    else {
      this.state = 'discard-bytes';
      this.discardLeft = a.size;
    }
  }

  /**
   * The transport dropped a line that was over its own length limit. Reported as an error for
   * the command it belonged to (or an untagged one), at the point it occurred in the stream.
   */
  lineDropped(head?: Buffer): DecodeStep {
    // A new command's tag can still be read from the line's first bytes.
    const headTag = head ? /^([^\x00-\x20\x7f-\xff(){%*"\\+]+) /.exec(head.toString('latin1'))?.[1] ?? null : null;
    const tag = this.current?.tag ?? (this.state === 'line' ? headTag : null);
    this.current = null;
    if (this.state === 'literal' || this.state === 'await') {
      // Cannot happen with a well-behaved transport: lines are not framed inside literals.
      this.state = 'line';
    }
    if (this.state === 'discard-line' || this.state === 'discard-bytes') {
      this.state = 'line';
      return { kind: 'need-more' };
    }
    return { kind: 'error', tag, reason: 'too-long', message: 'Command line too long.' };
  }

  next(): DecodeStep {
    for (;;) {
      switch (this.state) {
        case 'await':
          throw new Error('accept or reject the announced literal first');
        case 'literal': {
          const take = this.take(this.literalLeft);
          if (take) {
            this.literalParts.push(take);
            this.literalLeft -= take.length;
          }
          if (this.literalLeft > 0) return { kind: 'need-more' };
          const data = this.literalParts.length === 1 ? this.literalParts[0]! : Buffer.concat(this.literalParts);
          this.literalParts = [];
          this.current!.literals.push(data);
          this.state = 'line';
          continue;
        }
        case 'discard-bytes': {
          const dropped = this.drop(this.discardLeft);
          this.discardLeft -= dropped;
          if (this.discardLeft > 0) return { kind: 'need-more' };
          this.state = 'discard-line';
          continue;
        }
        case 'line':
        case 'discard-line': {
          const line = this.takeLine();
          if (line === null) return { kind: 'need-more' };
          if (line === 'overlong') {
            const tag = this.current?.tag ?? null;
            this.current = null;
            if (this.state === 'discard-line') {
              this.state = 'line';
              continue;
            }
            return { kind: 'error', tag, reason: 'too-long', message: 'Command line too long.' };
          }
          if (this.state === 'discard-line') {
            const m = MARKER.exec(line.toString('latin1'));
            if (m && m[3] === '+') {
              const size = Number(m[2]);
              if (size > MAX_LITERAL) return this.fatal(null);
              this.state = 'discard-bytes';
              this.discardLeft = size;
            } else this.state = 'line';
            continue;
          }
          const step = this.onLine(line);
          if (step) return step;
          continue;
        }
      }
    }
  }

  private onLine(line: Buffer): DecodeStep | null {
    let p = this.current;
    if (!p) {
      if (line.length === 0) return { kind: 'error', tag: null, reason: 'empty', message: 'Empty command line.' };
      const text = line.toString('latin1');
      const sp = text.indexOf(' ');
      const tag = sp < 0 ? text : text.slice(0, sp);
      if (!TAG.test(tag)) return { kind: 'error', tag: null, reason: 'syntax', message: 'Invalid tag.' };
      if (sp < 0 || sp === text.length - 1) return { kind: 'error', tag, reason: 'syntax', message: 'Missing command.' };
      let end = text.indexOf(' ', sp + 1);
      if (end < 0) end = text.length;
      let name = text.slice(sp + 1, end);
      if (!NAME.test(name)) return this.abandon(line, tag, 'Invalid command name.');
      name = name.toUpperCase();
      if (name === 'UID' && end < text.length) {
        let e2 = text.indexOf(' ', end + 1);
        if (e2 < 0) e2 = text.length;
        const sub = text.slice(end + 1, e2);
        if (!NAME.test(sub)) return this.abandon(line, tag, 'Invalid command name.');
        name = `UID ${sub.toUpperCase()}`;
        end = e2;
      }
      p = this.current = { tag, name, argsStart: end, segments: [], literals: [], textBytes: 0 };
    }
    p.textBytes += line.length;
    p.segments.push(line);
    if (p.textBytes > this.limits.maxCommandText) {
      return this.abandon(line, p.tag, 'Command too long.', 'too-long');
    }
    const m = MARKER.exec(line.length > 32 ? line.subarray(line.length - 32).toString('latin1') : line.toString('latin1'));
    if (!m) {
      this.current = null;
      return {
        kind: 'command',
        command: { tag: p.tag, name: p.name, segments: p.segments, literals: p.literals, argsStart: p.argsStart },
      };
    }
    const size = Number(m[2]);
    const sync = m[3] !== '+';
    if (size > MAX_LITERAL || m[2]!.length > 10) {
      if (!sync) return this.fatal(p.tag);
      this.current = null;
      return { kind: 'error', tag: p.tag, reason: 'literal-too-large', message: 'Literal too large.' };
    }
    this.state = 'await';
    this.announced = { kind: 'literal', tag: p.tag, name: p.name, size, sync, binary: m[1] === '~', index: p.literals.length };
    return this.announced;
  }

  /** Drops the current command; a non-synchronizing literal at the end of `line` is skipped too. */
  private abandon(line: Buffer, tag: string, message: string, reason: 'syntax' | 'too-long' = 'syntax'): DecodeStep {
    this.current = null;
    const m = MARKER.exec(line.subarray(Math.max(0, line.length - 32)).toString('latin1'));
    if (m && m[3] === '+') {
      const size = Number(m[2]);
      if (size > MAX_LITERAL) return this.fatal(tag);
      this.state = 'discard-bytes';
      this.discardLeft = size;
    }
    return { kind: 'error', tag, reason, message };
  }

  private fatal(tag: string | null): DecodeStep {
    this.current = null;
    this.state = 'line';
    return { kind: 'error', tag, reason: 'literal-too-large', message: 'Literal too large.', fatal: true };
  }

  /** The next line without its line ending; 'overlong' once an overlong line has been skipped. */
  private takeLine(): Buffer | 'overlong' | null {
    const max = this.limits.maxLineLength;
    // Chunks already searched for LF are not searched again (a byte-at-a-time sender costs O(n)).
    let scanned = this.scannedBytes;
    for (let ci = this.scannedChunks; ci < this.chunks.length; ci++) {
      const chunk = this.chunks[ci]!;
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        scanned += chunk.length;
        this.scannedChunks = ci + 1;
        this.scannedBytes = scanned;
        continue;
      }
      const total = scanned + lf; // bytes before the LF
      this.scannedChunks = 0;
      this.scannedBytes = 0;
      if (this.overlong) {
        this.drop(total + 1);
        this.overlong = false;
        return 'overlong';
      }
      const raw = this.take(total + 1)!;
      let end = raw.length - 1;
      if (end > 0 && raw[end - 1] === CR) end--;
      if (end > max) return 'overlong';
      return raw.subarray(0, end);
    }
    // No LF yet: an endless line is dropped as it arrives rather than buffered.
    if (this.overlong || scanned > max + 2) {
      this.drop(this.buffered);
      this.overlong = true;
    }
    return null;
  }

  /** Removes and returns up to n buffered bytes. */
  private take(n: number): Buffer | null {
    if (n <= 0 || this.buffered === 0) return null;
    this.scannedChunks = 0;
    this.scannedBytes = 0;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    if (first.length === n || this.chunks.length === 1) {
      this.chunks.shift();
      this.buffered -= first.length;
      return first;
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0 && this.chunks.length > 0) {
      const c = this.chunks[0]!;
      if (c.length <= need) {
        parts.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        parts.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    const out = Buffer.concat(parts);
    this.buffered -= out.length;
    return out;
  }

  private drop(n: number): number {
    let dropped = 0;
    this.scannedChunks = 0;
    this.scannedBytes = 0;
    while (dropped < n && this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - dropped);
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
      dropped += k;
    }
    this.buffered -= dropped;
    return dropped;
  }
}
