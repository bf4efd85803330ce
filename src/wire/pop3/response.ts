// POP3 response decoder (client side): bytes in, complete responses out.
//
// RFC 1939 §3: a response is a status line "+OK text" or "-ERR text"; after a positive answer to
// a multi-line command (CAPA, LIST, UIDL, RETR, TOP) lines follow until a line holding only ".",
// and lines that begin with "." are byte-stuffed with one more "." which the reader removes.
// RFC 2449 §8 adds "[CODE/SUB]" response codes after the status; RFC 5034 §4 adds the SASL
// continuation "+ base64". The caller says before each response whether a multi-line answer is
// expected (the protocol has no marker for it). Pure and resumable; a line longer than
// maxLineLength or a body beyond maxBodyBytes is an error raised as soon as the limit is crossed.
import { BoundedLines } from '../bounded-lines.js';

export type Pop3Status = '+OK' | '-ERR';

export type Pop3Response =
  | {
      kind: 'status';
      status: Pop3Status;
      /** RFC 2449 §8 response code, e.g. ["SYS", "TEMP"] for "[SYS/TEMP]"; absent when none. */
      code?: string[];
      text: string;
      /** The un-stuffed body of a multi-line answer, each line ending in CRLF; absent otherwise. */
      body?: Buffer;
    }
  | { kind: 'continuation'; text: string };

export type Pop3ResponseErrorCode = 'line-too-long' | 'body-too-large' | 'bad-status';

export class Pop3ResponseError extends Error {
  readonly code: Pop3ResponseErrorCode;
  readonly excerpt: string;
  constructor(code: Pop3ResponseErrorCode, message: string, excerpt: string) {
    super(message);
    this.name = 'Pop3ResponseError';
    this.code = code;
    this.excerpt = excerpt.slice(0, 200);
  }
}

export type Pop3ResponseStep =
  | { kind: 'response'; response: Pop3Response }
  | { kind: 'need-more' }
  | { kind: 'error'; error: Pop3ResponseError };

export interface Pop3ResponseDecoderOptions {
  /** RFC 2449 §4 limits responses to 512 octets with CRLF; the default is looser. */
  maxLineLength?: number;
  maxBodyBytes?: number;
}

const CRLF = Buffer.from('\r\n');

export class Pop3ResponseDecoder {
  private readonly lines: BoundedLines;
  private multiline = false;
  private body: { status: Extract<Pop3Response, { kind: 'status' }>; parts: Buffer[]; size: number } | null = null;
  private failed: Pop3ResponseError | null = null;
  private readonly maxBodyBytes: number;

  constructor(options: Pop3ResponseDecoderOptions = {}) {
    this.lines = new BoundedLines({ maxLineLength: options.maxLineLength ?? 4096 });
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  }

  /** Whether the next response answers a multi-line command (its +OK carries a body). */
  expectMultiline(multiline: boolean): void {
    this.multiline = multiline;
  }

  push(chunk: Uint8Array): void {
    this.lines.push(chunk);
  }

  next(): Pop3ResponseStep {
    if (this.failed) return { kind: 'error', error: this.failed };
    for (;;) {
      const s = this.lines.nextLine();
      if (s.kind === 'need-more') return s;
      if (s.kind === 'too-long') {
        return this.fail('line-too-long', `response line longer than ${this.lines.maxLineLength} bytes`, s.excerpt);
      }
      const step = this.body ? this.takeBodyLine(s.line) : this.takeStatusLine(s.line);
      if (step) return step;
    }
  }

  bufferedBytes(): number {
    return this.lines.bufferedBytes();
  }

  /** Drops everything buffered (before the STLS handshake, RFC 2595 §4) and returns the count. */
  reset(): number {
    this.body = null;
    this.failed = null;
    this.multiline = false;
    return this.lines.reset();
  }

  private takeStatusLine(lineBytes: Buffer): Pop3ResponseStep | null {
    const line = lineBytes.toString('utf8');
    // RFC 5034 §4: "+ " (or a bare "+") is a SASL continuation, never a status.
    if (line === '+' || line.startsWith('+ ')) {
      return { kind: 'response', response: { kind: 'continuation', text: line.slice(2) } };
    }
    const m = /^(\+OK|-ERR)(?: (.*))?$/i.exec(line);
    if (!m) return this.fail('bad-status', 'response does not start with +OK or -ERR', line);
    const status = m[1]!.toUpperCase() as Pop3Status;
    let text = m[2] ?? '';
    let code: string[] | undefined;
    const c = /^\[([^\]]*)\]\s?/.exec(text); // RFC 2449 §8: resp-code = "[" resp-level *("/" resp-level) "]"
    if (c) {
      code = c[1]!.split('/');
      text = text.slice(c[0].length);
    }
    const response: Extract<Pop3Response, { kind: 'status' }> = { kind: 'status', status, text };
    if (code) response.code = code;
    if (status === '+OK' && this.multiline) {
      this.multiline = false;
      this.body = { status: response, parts: [], size: 0 };
      return null;
    }
    this.multiline = false;
    return { kind: 'response', response };
  }

  private takeBodyLine(line: Buffer): Pop3ResponseStep | null {
    const body = this.body!;
    if (line.length === 1 && line[0] === 0x2e) {
      body.status.body = Buffer.concat(body.parts, body.size);
      this.body = null;
      return { kind: 'response', response: body.status };
    }
    const content = line[0] === 0x2e ? line.subarray(1) : line; // RFC 1939 §3 byte-stuffing
    body.size += content.length + 2;
    if (body.size > this.maxBodyBytes) {
      return this.fail('body-too-large', `multi-line response larger than ${this.maxBodyBytes} bytes`, content);
    }
    body.parts.push(Buffer.from(content), CRLF);
    return null;
  }

  private fail(code: Pop3ResponseErrorCode, message: string, excerpt: Buffer | string): Pop3ResponseStep {
    const text = typeof excerpt === 'string' ? excerpt : excerpt.subarray(0, 200).toString('utf8');
    this.failed = new Pop3ResponseError(code, message, text);
    this.lines.stop();
    this.body = null;
    return { kind: 'error', error: this.failed };
  }
}

/** The lines of a multi-line body as text, without line ends (CAPA, LIST, UIDL). */
export function bodyLines(body: Buffer | undefined): string[] {
  if (!body || body.length === 0) return [];
  const text = body.toString('utf8');
  return text.endsWith('\r\n') ? text.slice(0, -2).split('\r\n') : text.split('\r\n');
}

/** CAPA capabilities (RFC 2449 §5): name upper-cased, parameters after. */
export function parseCapa(body: Buffer | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of bodyLines(body)) {
    const [name, ...params] = line.trim().split(/\s+/);
    if (name) out.set(name.toUpperCase(), params);
  }
  return out;
}

/** The APOP timestamp "<...@...>" of a greeting (RFC 1939 §7), if the server offers one. */
export function apopTimestamp(greetingText: string): string | undefined {
  const m = /<[^<>\s]*@[^<>\s]*>/.exec(greetingText);
  return m ? m[0] : undefined;
}
