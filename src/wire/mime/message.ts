// parseMessage: the everyday view of a message (addresses, text, html, attachments) on top
// of the MIME tree, for the client library and tools.
import { Buffer } from 'node:buffer';
import { parseAddressList, type Address } from './address.js';
import { parseMailDate } from './date.js';
import { decodeWords } from './encoded-words.js';
import { decodePartBody, decodePartText } from './text.js';
import { parseMimeTree } from './tree.js';
import type { MimePart, ParseTreeOptions } from './types.js';

export interface Attachment {
  /** File name from Content-Disposition's filename, else Content-Type's name (decoded); null when neither. */
  filename: string | null;
  /** Lower-case `type/subtype`. */
  contentType: string;
  /** Content-ID without its angle brackets (what `cid:` URLs name), or null. */
  contentId: string | null;
  /** Lower-case disposition type (`attachment`, `inline`, …), or null when the part has none. */
  disposition: string | null;
  /** True for a part with a Content-ID inside multipart/related: an inline resource of the HTML. */
  related: boolean;
  /** Size of the decoded content in octets. */
  size: number;
  /** Decoded content. For 7bit/8bit/binary parts this is a view into the raw message, not a copy. */
  content: Buffer;
  /** IMAP section of the part, e.g. "2" or "1.3". */
  section: string;
}

export interface ParsedMessage {
  /** The MIME tree (byte offsets into the raw message; `lines` not counted unless options.countLines). */
  tree: MimePart;
  /** Header fields of the message: lower-case name → values in order, unfolded and RFC 2047-decoded. */
  headers: Map<string, string[]>;
  subject: string | null;
  from: Address[];
  sender: Address[];
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  date: Date | null;
  /** Message-ID as written (angle brackets kept), or null. */
  messageId: string | null;
  inReplyTo: string | null;
  /** Message IDs in References, in order, angle brackets kept. */
  references: string[];
  /** The text/plain parts that are not attachments, joined by a newline; LF line ends. Null when there is none. */
  text: string | null;
  /** The text/html parts that are not attachments, joined by a newline; LF line ends. Null when there is none. */
  html: string | null;
  /** Other text renderings offered inside multipart/alternative (e.g. text/watch-html), LF line ends. */
  alternatives: Array<{ contentType: string; content: string; section: string }>;
  attachments: Attachment[];
}

function normalizeNewlines(s: string): string {
  return s.indexOf('\r') === -1 ? s : s.replace(/\r\n?/g, '\n');
}

function stripAngles(v: string | null): string | null {
  if (!v) return null;
  const t = v.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() || null : t || null;
}

/**
 * Parses a message for reading. Which parts are text and which are attachments follows
 * mailparser: a text/plain or text/html part is body text unless its disposition is
 * "attachment"; every other leaf, and any attached message, is an attachment. Never throws
 * on malformed mail.
 */
export function parseMessage(input: Buffer | Uint8Array | string, options: ParseTreeOptions = {}): ParsedMessage {
  const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // Line counts are for IMAP's BODYSTRUCTURE; a reader does not need them.
  const tree = parseMimeTree(raw, { countLines: false, ...options });

  const headers = new Map<string, string[]>();
  for (const f of tree.headers) {
    const v = decodeWords(f.value);
    const list = headers.get(f.key);
    if (list) list.push(v);
    else headers.set(f.key, [v]);
  }
  const one = (key: string): string | null => {
    for (const f of tree.headers) if (f.key === key) return f.value;
    return null;
  };
  const addresses = (key: string): Address[] => {
    const out: Address[] = [];
    for (const f of tree.headers) if (f.key === key) out.push(...parseAddressList(f.value));
    return out;
  };

  const texts: string[] = [];
  const htmls: string[] = [];
  const alternatives: ParsedMessage['alternatives'] = [];
  const attachments: Attachment[] = [];
  const stack: Array<{ part: MimePart; alternative: boolean; related: boolean }> = [{ part: tree, alternative: false, related: false }];
  while (stack.length > 0) {
    const { part, alternative, related } = stack.pop()!;
    if (part.kind === 'multipart') {
      const alt = alternative || part.contentType.subtype === 'alternative';
      const rel = related || part.contentType.subtype === 'related';
      for (let i = part.children.length - 1; i >= 0; i--) stack.push({ part: part.children[i]!, alternative: alt, related: rel });
      continue;
    }
    const ct = part.contentType;
    const disposition = part.disposition?.type || null;
    if (part.kind === 'leaf' && disposition !== 'attachment' && ct.type === 'text') {
      if (ct.subtype === 'plain') {
        texts.push(normalizeNewlines(decodePartText(raw, part)));
        continue;
      }
      if (ct.subtype === 'html') {
        htmls.push(normalizeNewlines(decodePartText(raw, part)));
        continue;
      }
      if (alternative) {
        alternatives.push({ contentType: ct.mimeType, content: normalizeNewlines(decodePartText(raw, part)), section: part.section });
        continue;
      }
    }
    const content = part.kind === 'leaf' ? decodePartBody(raw, part) : raw.subarray(part.bodyStart, part.bodyEnd);
    const contentId = stripAngles(part.contentId);
    const filename = part.disposition?.params['filename'] ?? ct.params['name'] ?? null;
    attachments.push({
      filename: filename || null,
      contentType: ct.mimeType,
      contentId,
      disposition,
      related: related && contentId !== null,
      size: content.length,
      content,
      section: part.section || '1',
    });
  }

  const refs = one('references');
  return {
    tree,
    headers,
    subject: headers.get('subject')?.[0] ?? null,
    from: addresses('from'),
    sender: addresses('sender'),
    replyTo: addresses('reply-to'),
    to: addresses('to'),
    cc: addresses('cc'),
    bcc: addresses('bcc'),
    date: parseMailDate(one('date')),
    messageId: one('message-id') || null,
    inReplyTo: one('in-reply-to') || null,
    references: refs ? (refs.match(/<[^<>]*>/g) ?? refs.split(/\s+/).filter(Boolean)) : [],
    text: texts.length > 0 ? texts.join('\n') : null,
    html: htmls.length > 0 ? htmls.join('\n') : null,
    alternatives,
    attachments,
  };
}
