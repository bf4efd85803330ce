// MailBuilder: composes a MIME message (RFC 5322 + RFC 2045–2049), in the shape of Mail.dll's
// MailBuilder: set subject, addresses, text/HTML bodies, extra alternatives, attachments and
// inline images, then build(). Chainable methods; the constructor also takes the same fields
// as one options object.
//
//   const eml = await new MailBuilder()
//     .subject('Apple Watch Example')
//     .from('alice@example.com')
//     .to('bob@example.com')
//     .html('This is <strong>HTML</strong> text.')
//     .text('Plain text.')
//     .alternative('text/watch-html', 'This is <strong>Watch HTML</strong> text.')
//     .build();
import { Buffer } from 'node:buffer';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import libmime from 'libmime';
import { parseAddressList, type Address } from './address.js';
import { encodeText } from './charset.js';
import { formatMailDate } from './date.js';
import { encodeAddrSpec, encodeMailbox, encodeParameterized, encodePhrase, encodeUnstructured, foldField, sanitizeHeaderText } from './header-encode.js';
import { htmlToText } from './text.js';
import { encodeBase64Lines, encodeQuotedPrintable } from './transfer-encoding.js';

/** An address: `"Name <a@b>"` / `"a@b, c@d"` strings, `{ name, address }`, or a group. */
export type AddressInput = string | { name?: string; address: string } | { group: string; members?: AddressInput[] };

export interface AttachmentInput {
  /** File name shown to the reader; defaults to the base name of `path`. */
  filename?: string;
  /** The content: bytes, text (written as UTF-8), or a stream read at build time. */
  content?: Buffer | Uint8Array | string | Readable | AsyncIterable<Buffer | Uint8Array | string>;
  /** A file to read at build time (instead of `content`). */
  path?: string;
  /** MIME type; guessed from the file name when absent (application/octet-stream if unknown). */
  contentType?: string;
  /** Content-ID (with or without angle brackets). With HTML, makes the part an inline resource of a multipart/related (`<img src="cid:…">`). */
  contentId?: string;
  /** Defaults to `inline` with a contentId, else `attachment`. */
  disposition?: 'attachment' | 'inline';
  /** Extra header fields for this part. */
  headers?: Record<string, string>;
}

export interface AlternativeInput {
  /** e.g. `text/watch-html` (seed 000: Apple Watch reads it), `text/calendar`, `text/x-amp-html`. */
  contentType: string;
  content: string;
  /** Charset for the text (default utf-8). */
  charset?: string;
}

export interface DeterministicOptions {
  /** Seed for boundaries and the Message-ID. Default "postern". */
  seed?: string;
  /** Date header value. Default 2000-01-01T00:00:00Z. */
  date?: Date;
  /** Message-ID. Default derived from the seed. */
  messageId?: string;
}

export interface MailOptions {
  subject?: string;
  from?: AddressInput | AddressInput[];
  sender?: AddressInput;
  to?: AddressInput | AddressInput[];
  cc?: AddressInput | AddressInput[];
  bcc?: AddressInput | AddressInput[];
  replyTo?: AddressInput | AddressInput[];
  text?: string;
  html?: string;
  /** Charset of the text and HTML bodies (default utf-8). */
  charset?: string;
  alternatives?: AlternativeInput[];
  attachments?: AttachmentInput[];
  headers?: Record<string, string | string[]> | Array<[string, string]>;
  messageId?: string;
  date?: Date;
  inReplyTo?: string;
  references?: string | string[];
  /** Make text/plain from the HTML when only HTML is given (default true; uses html-to-text). */
  textFromHtml?: boolean;
  /** Write the Bcc field into the message (default false: Bcc recipients are envelope-only). */
  keepBcc?: boolean;
  /** Domain for the generated Message-ID (default: the From domain, else "localhost"). */
  hostname?: string;
  /** Fixed boundaries, Date and Message-ID, so tests can compare bytes. */
  deterministic?: boolean | DeterministicOptions;
}

type Body = Buffer | (() => AsyncIterable<Buffer>);

interface LeafNode {
  kind: 'leaf';
  headers: string[];
  body: Body;
  /** Body written as is (7bit/8bit): the boundary must not occur in it. */
  identity: boolean;
}
interface MultiNode {
  kind: 'multi';
  subtype: string;
  headers: string[];
  children: Node[];
}
type Node = LeafNode | MultiNode;

const CRLF = '\r\n';
const DEFAULT_DETERMINISTIC_DATE = new Date(Date.UTC(2000, 0, 1));

function toList(v: AddressInput | AddressInput[] | undefined): AddressInput[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function normalizeText(text: string): string {
  return text.replace(/\r\n|\r|\n/g, CRLF);
}

/** 7bit for short-lined ASCII; quoted-printable when at most 1 byte in 6 is 8-bit (QP is then smaller than base64's 4/3); else base64. */
function chooseTextEncoding(bytes: Buffer): '7bit' | 'quoted-printable' | 'base64' {
  let high = 0;
  let line = 0;
  let maxLine = 0;
  let controls = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0a) {
      if (line - 1 > maxLine) maxLine = line - 1;
      line = 0;
      continue;
    }
    line++;
    if (b >= 0x80) high++;
    else if (b === 0 || (b === 0x0d && bytes[i + 1] !== 0x0a)) controls = true;
  }
  if (line > maxLine) maxLine = line;
  if (high === 0 && !controls && maxLine <= 76) return '7bit';
  return high * 6 <= bytes.length ? 'quoted-printable' : 'base64';
}

async function* readAll(src: Readable | AsyncIterable<Buffer | Uint8Array | string>): AsyncIterable<Buffer> {
  for await (const chunk of src as AsyncIterable<Buffer | Uint8Array | string>) {
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
  }
}

/** Base64 of a stream, in whole 76-character lines (57 input bytes each) as chunks arrive. */
async function* base64Stream(src: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of src) {
    const data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const cut = data.length - (data.length % 57);
    if (cut > 0) yield encodeBase64Lines(data.subarray(0, cut));
    rest = Buffer.from(data.subarray(cut));
  }
  if (rest.length) yield encodeBase64Lines(rest);
}

function isReadableLike(v: unknown): v is Readable | AsyncIterable<Buffer | Uint8Array | string> {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !(v instanceof Uint8Array) && (v instanceof Readable || Symbol.asyncIterator in v);
}

export class MailBuilder {
  private o: {
    subject?: string;
    from: AddressInput[];
    sender?: AddressInput;
    to: AddressInput[];
    cc: AddressInput[];
    bcc: AddressInput[];
    replyTo: AddressInput[];
    text?: string;
    html?: string;
    charset: string;
    alternatives: AlternativeInput[];
    attachments: AttachmentInput[];
    headers: Array<[string, string]>;
    messageId?: string;
    date?: Date;
    inReplyTo?: string;
    references: string[];
    textFromHtml: boolean;
    keepBcc: boolean;
    hostname?: string;
    deterministic: DeterministicOptions | null;
  };
  private boundaryCount = 0;

  constructor(options: MailOptions = {}) {
    this.o = {
      from: [],
      to: [],
      cc: [],
      bcc: [],
      replyTo: [],
      charset: options.charset ?? 'utf-8',
      alternatives: [],
      attachments: [],
      headers: [],
      references: [],
      textFromHtml: options.textFromHtml ?? true,
      keepBcc: options.keepBcc ?? false,
      deterministic: options.deterministic ? (options.deterministic === true ? {} : options.deterministic) : null,
    };
    if (options.subject !== undefined) this.subject(options.subject);
    this.from(...toList(options.from));
    if (options.sender !== undefined) this.sender(options.sender);
    this.to(...toList(options.to));
    this.cc(...toList(options.cc));
    this.bcc(...toList(options.bcc));
    this.replyTo(...toList(options.replyTo));
    if (options.text !== undefined) this.text(options.text);
    if (options.html !== undefined) this.html(options.html);
    for (const a of options.alternatives ?? []) this.alternative(a.contentType, a.content, a.charset);
    for (const a of options.attachments ?? []) this.attach(a);
    const h = options.headers;
    if (Array.isArray(h)) for (const [k, v] of h) this.header(k, v);
    else if (h) for (const [k, v] of Object.entries(h)) for (const one of Array.isArray(v) ? v : [v]) this.header(k, one);
    if (options.messageId !== undefined) this.messageId(options.messageId);
    if (options.date !== undefined) this.date(options.date);
    if (options.inReplyTo !== undefined) this.inReplyTo(options.inReplyTo);
    if (options.references !== undefined) this.references(options.references);
    if (options.hostname !== undefined) this.o.hostname = options.hostname;
  }

  subject(value: string): this {
    this.o.subject = value;
    return this;
  }
  /** Adds From addresses (Mail.dll: From.Add). */
  from(...addresses: AddressInput[]): this {
    this.o.from.push(...addresses);
    return this;
  }
  sender(address: AddressInput): this {
    this.o.sender = address;
    return this;
  }
  to(...addresses: AddressInput[]): this {
    this.o.to.push(...addresses);
    return this;
  }
  cc(...addresses: AddressInput[]): this {
    this.o.cc.push(...addresses);
    return this;
  }
  /** Bcc recipients: in envelope() but not written into the message unless keepBcc is set. */
  bcc(...addresses: AddressInput[]): this {
    this.o.bcc.push(...addresses);
    return this;
  }
  replyTo(...addresses: AddressInput[]): this {
    this.o.replyTo.push(...addresses);
    return this;
  }
  text(value: string): this {
    this.o.text = value;
    return this;
  }
  html(value: string): this {
    this.o.html = value;
    return this;
  }
  /** Charset for text and HTML bodies (default utf-8); characters it cannot hold become "?". */
  charset(value: string): this {
    this.o.charset = value;
    return this;
  }
  /** An extra rendering in the multipart/alternative, after text and HTML (Mail.dll: Alternatives.Add). */
  alternative(contentType: string, content: string, charset?: string): this {
    this.o.alternatives.push({ contentType, content, ...(charset ? { charset } : {}) });
    return this;
  }
  attach(attachment: AttachmentInput): this {
    this.o.attachments.push(attachment);
    return this;
  }
  /** An inline image (or other resource) the HTML refers to as `cid:<contentId>`. */
  inline(contentId: string, attachment: Omit<AttachmentInput, 'contentId'>): this {
    this.o.attachments.push({ ...attachment, contentId });
    return this;
  }
  /** A custom header field; the value is RFC 2047-encoded when it is not ASCII. */
  header(name: string, value: string): this {
    if (!/^[!-9;-~]+$/.test(name)) throw new TypeError(`invalid header field name: ${JSON.stringify(name)}`);
    if (/^(content-type|content-transfer-encoding|mime-version)$/i.test(name)) throw new TypeError(`${name} is written by the builder`);
    this.o.headers.push([name, value]);
    return this;
  }
  messageId(value: string): this {
    this.o.messageId = value;
    return this;
  }
  date(value: Date): this {
    this.o.date = value;
    return this;
  }
  inReplyTo(value: string): this {
    this.o.inReplyTo = value;
    return this;
  }
  references(value: string | string[]): this {
    this.o.references = Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
    return this;
  }
  /** Fixed boundaries, Date and Message-ID (for tests). */
  deterministic(options: DeterministicOptions = {}): this {
    this.o.deterministic = options;
    return this;
  }

  /** SMTP envelope: the sender address and every To/Cc/Bcc address (deduplicated). */
  envelope(): { from: string | null; to: string[] } {
    const first = this.addresses(this.o.sender !== undefined ? [this.o.sender] : this.o.from)[0];
    const to: string[] = [];
    const seen = new Set<string>();
    for (const list of [this.o.to, this.o.cc, this.o.bcc]) {
      for (const a of this.flat(this.addresses(list))) {
        const key = a.toLowerCase();
        if (a && !seen.has(key)) {
          seen.add(key);
          to.push(a);
        }
      }
    }
    return { from: first ? this.flat([first])[0] ?? null : null, to };
  }

  /** The whole message. */
  async build(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for (const piece of this.plan()) {
      if (Buffer.isBuffer(piece)) chunks.push(piece);
      else for await (const c of piece()) chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  /** The message as a stream; attachment streams and files are read as it is consumed. */
  stream(): Readable {
    const plan = this.plan();
    return Readable.from(
      (async function* () {
        for (const piece of plan) {
          if (Buffer.isBuffer(piece)) yield piece;
          else yield* piece();
        }
      })(),
      { objectMode: false },
    );
  }

  // ---- internals ----

  private addresses(list: AddressInput[]): Address[] {
    const out: Address[] = [];
    for (const a of list) {
      if (typeof a === 'string') out.push(...parseAddressList(sanitizeHeaderText(a)));
      else if ('group' in a) {
        const members = this.addresses(a.members ?? []).flatMap((m) => (m.kind === 'group' ? m.members : [m]));
        out.push({ kind: 'group', name: a.group, rawName: a.group, members });
      } else out.push({ kind: 'mailbox', name: a.name ?? '', address: a.address, raw: { name: a.name ?? null, route: null, local: '', domain: '' } });
    }
    return out;
  }

  private flat(list: Address[]): string[] {
    return list.flatMap((a) => (a.kind === 'group' ? a.members.map((m) => encodeAddrSpec(m.address)) : [encodeAddrSpec(a.address)]));
  }

  private addressField(name: string, list: AddressInput[], out: string[]): void {
    const parsed = this.addresses(list);
    if (parsed.length === 0) return;
    const items = parsed.map((a) =>
      a.kind === 'group' ? `${encodePhrase(a.name)}: ${a.members.map((m) => encodeMailbox(m.name, m.address)).join(', ')};` : encodeMailbox(a.name, a.address),
    );
    out.push(foldField(name, items.join(', ')));
  }

  private nextBoundary(): string {
    const n = ++this.boundaryCount;
    const d = this.o.deterministic;
    if (d) return `----=_Part_${n}_${createHash('sha256').update(d.seed ?? 'postern').digest('hex').slice(0, 20)}`;
    return `----=_Part_${n}_${randomBytes(12).toString('hex')}`;
  }

  private textLeaf(contentType: string, text: string, charset: string): LeafNode {
    const bytes = encodeText(normalizeText(text), charset);
    const encoding = chooseTextEncoding(bytes);
    const body = encoding === 'base64' ? encodeBase64Lines(bytes) : encoding === 'quoted-printable' ? encodeQuotedPrintable(bytes) : bytes;
    return {
      kind: 'leaf',
      headers: [`Content-Type: ${encodeParameterized(contentType, [['charset', charset.toLowerCase()]])}`, `Content-Transfer-Encoding: ${encoding}`],
      body,
      identity: encoding === '7bit',
    };
  }

  private attachmentLeaf(a: AttachmentInput, inline: boolean): LeafNode {
    const filename = a.filename ?? (a.path ? basename(a.path) : undefined);
    const contentType = (a.contentType ?? (filename ? libmime.detectMimeType(filename) : 'application/octet-stream')).toLowerCase();
    const headers: string[] = [];
    const typeParams: Array<[string, string]> = filename ? [['name', filename]] : [];
    headers.push(`Content-Type: ${encodeParameterized(contentType, typeParams)}`);
    let body: Body;
    let identity = false;
    let encoding = 'base64';
    const content = a.content;
    const rfc822 = contentType === 'message/rfc822' || contentType === 'message/global';
    if (a.path !== undefined && content === undefined) {
      const path = a.path;
      body = rfc822 ? () => readAll(createReadStream(path)) : () => base64Stream(readAll(createReadStream(path)));
      if (rfc822) encoding = '8bit';
    } else if (isReadableLike(content)) {
      let used = false;
      const once = (): AsyncIterable<Buffer> => {
        if (used) throw new Error('attachment stream already consumed: a stream can be built once');
        used = true;
        return readAll(content);
      };
      body = rfc822 ? once : () => base64Stream(once());
      if (rfc822) encoding = '8bit';
    } else {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content === undefined ? Buffer.alloc(0) : Buffer.isBuffer(content) ? content : Buffer.from(content);
      if (rfc822) {
        // RFC 2046 §5.2.1: message/rfc822 is never base64 or quoted-printable.
        encoding = bytes.some((b) => b >= 0x80) ? '8bit' : '7bit';
        body = bytes;
        identity = true;
      } else body = encodeBase64Lines(bytes);
    }
    headers.push(`Content-Transfer-Encoding: ${encoding}`);
    const disposition = a.disposition ?? (inline ? 'inline' : 'attachment');
    headers.push(`Content-Disposition: ${encodeParameterized(disposition, filename ? [['filename', filename]] : [])}`);
    if (a.contentId) {
      const id = sanitizeHeaderText(a.contentId).trim().replace(/^<|>$/g, '');
      headers.push(`Content-ID: <${id}>`);
    }
    for (const [k, v] of Object.entries(a.headers ?? {})) {
      if (!/^[!-9;-~]+$/.test(k) || /^content-(type|transfer-encoding|disposition|id)$/i.test(k)) continue;
      headers.push(foldField(k, encodeUnstructured(v)));
    }
    return { kind: 'leaf', headers, body, identity: identity || (rfc822 && !Buffer.isBuffer(body)) };
  }

  private multi(subtype: string, children: Node[]): MultiNode {
    return { kind: 'multi', subtype, headers: [], children };
  }

  private tree(): Node {
    const o = this.o;
    let text = o.text;
    if (text === undefined && o.html !== undefined && o.textFromHtml) text = htmlToText(o.html);
    const inline = o.attachments.filter((a) => a.contentId && o.html !== undefined && (a.disposition ?? 'inline') === 'inline');
    const regular = o.attachments.filter((a) => !inline.includes(a));

    const alternatives: Node[] = [];
    if (text !== undefined) alternatives.push(this.textLeaf('text/plain', text, o.charset));
    if (o.html !== undefined) {
      const htmlLeaf = this.textLeaf('text/html', o.html, o.charset);
      alternatives.push(inline.length > 0 ? this.multi('related', [htmlLeaf, ...inline.map((a) => this.attachmentLeaf(a, true))]) : htmlLeaf);
    }
    for (const alt of o.alternatives) alternatives.push(this.textLeaf(alt.contentType.toLowerCase(), alt.content, alt.charset ?? o.charset));

    let content: Node | null = alternatives.length > 1 ? this.multi('alternative', alternatives) : alternatives[0] ?? null;
    if (regular.length > 0) content = this.multi('mixed', [...(content ? [content] : []), ...regular.map((a) => this.attachmentLeaf(a, false))]);
    return content ?? this.textLeaf('text/plain', '', o.charset);
  }

  private rootHeaders(): string[] {
    const o = this.o;
    const h: string[] = [];
    this.addressField('From', o.from, h);
    if (o.sender !== undefined) this.addressField('Sender', [o.sender], h);
    this.addressField('Reply-To', o.replyTo, h);
    this.addressField('To', o.to, h);
    this.addressField('Cc', o.cc, h);
    if (o.keepBcc) this.addressField('Bcc', o.bcc, h);
    if (o.subject !== undefined) h.push(foldField('Subject', encodeUnstructured(o.subject)));
    const custom = new Set(o.headers.map(([k]) => k.toLowerCase()));
    const d = o.deterministic;
    if (!custom.has('date')) h.push(`Date: ${formatMailDate(o.date ?? d?.date ?? (d ? DEFAULT_DETERMINISTIC_DATE : new Date()))}`);
    if (!custom.has('message-id')) h.push(`Message-ID: ${this.makeMessageId()}`);
    if (o.inReplyTo) h.push(foldField('In-Reply-To', sanitizeHeaderText(o.inReplyTo)));
    if (o.references.length > 0) h.push(foldField('References', o.references.map(sanitizeHeaderText).join(' ')));
    for (const [k, v] of o.headers) h.push(foldField(k, encodeUnstructured(v)));
    h.push('MIME-Version: 1.0');
    return h;
  }

  private makeMessageId(): string {
    const o = this.o;
    const explicit = o.messageId ?? o.deterministic?.messageId;
    if (explicit) {
      const id = sanitizeHeaderText(explicit).trim();
      return id.startsWith('<') ? id : `<${id}>`;
    }
    let domain = o.hostname;
    if (!domain) {
      const first = this.flat(this.addresses(o.from))[0];
      const at = first?.lastIndexOf('@') ?? -1;
      domain = first && at !== -1 ? first.slice(at + 1) : 'localhost';
    }
    const local = o.deterministic ? createHash('sha256').update(o.deterministic.seed ?? 'postern').digest('hex').slice(0, 32) : randomUUID();
    return `<${local}@${domain}>`;
  }

  /** Serialisation plan: buffers, and functions that stream the bodies not yet in memory. */
  private plan(): Body[] {
    this.boundaryCount = 0;
    const root = this.tree();
    root.headers = [...this.rootHeaders(), ...root.headers];
    const out: Body[] = [];
    let pending = '';
    const text = (s: string): void => {
      pending += s;
    };
    const flush = (): void => {
      if (pending) out.push(Buffer.from(pending, 'utf8'));
      pending = '';
    };
    // Depth is at most 3 (mixed > alternative > related), so recursion is fine here.
    const write = (node: Node): void => {
      if (node.kind === 'leaf') {
        text(node.headers.join(CRLF) + CRLF + CRLF);
        flush();
        out.push(node.body);
        return;
      }
      const boundary = this.uniqueBoundary(node);
      text([...node.headers, `Content-Type: multipart/${node.subtype};${CRLF} boundary="${boundary}"`].join(CRLF) + CRLF + CRLF);
      for (const child of node.children) {
        text(`--${boundary}${CRLF}`);
        write(child);
        text(CRLF);
      }
      text(`--${boundary}--${CRLF}`);
    };
    write(root);
    flush();
    return out;
  }

  /** A boundary that occurs in no body written as is below `node` (RFC 2046 §5.1.1). */
  private uniqueBoundary(node: MultiNode): string {
    const identity: Buffer[] = [];
    const stack: Node[] = [...node.children];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.kind === 'multi') stack.push(...n.children);
      else if (n.identity && Buffer.isBuffer(n.body)) identity.push(n.body);
    }
    for (;;) {
      const b = this.nextBoundary();
      const needle = Buffer.from(`--${b}`, 'latin1');
      if (!identity.some((body) => body.includes(needle))) return b;
    }
  }
}
