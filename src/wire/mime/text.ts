// Text out of parts: transfer decoding + charset decoding, and the decoded text that IMAP
// SEARCH and the full-text index look at.
import { Buffer } from 'node:buffer';
import { compile } from 'html-to-text';
import libmime from 'libmime';
import { decodeBytes } from './charset.js';
import { decodeWords } from './encoded-words.js';
import { decodeTransferEncoding } from './transfer-encoding.js';
import { bodyBytes } from './tree.js';
import type { MimePart } from './types.js';

/** The decoded bytes of a part's body (transfer encoding undone). A view into `raw` for 7bit/8bit/binary. */
export function decodePartBody(raw: Buffer, part: MimePart): Buffer {
  return decodeTransferEncoding(bodyBytes(raw, part), part.encoding);
}

/**
 * The text of a text/* part: transfer encoding and charset decoded (unknown charsets fall back
 * to UTF-8/windows-1252, nothing throws), format=flowed (RFC 3676) unwrapped. Line ends are
 * kept as they are in the part, except that flowed text comes back with LF.
 */
export function decodePartText(raw: Buffer, part: MimePart): string {
  const text = decodeBytes(decodePartBody(raw, part), part.contentType.params['charset']);
  const p = part.contentType.params;
  if ((p['format'] ?? '').toLowerCase() === 'flowed') return libmime.decodeFlowed(text, (p['delsp'] ?? '').toLowerCase() === 'yes');
  return text;
}

let htmlConverter: ((html: string) => string) | null = null;

/** Visible text of an HTML document (links without their URLs, no images), for search and for text made from HTML. */
export function htmlToText(html: string): string {
  htmlConverter ??= compile({
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'h4', options: { uppercase: false } },
      { selector: 'h5', options: { uppercase: false } },
      { selector: 'h6', options: { uppercase: false } },
    ],
  });
  return htmlConverter(html);
}

export interface SearchableText {
  /** Every top-level header field as "Name: decoded value", one per line. */
  headers: string;
  /** Decoded text of the text/* parts (HTML reduced to its visible text) and the headers of attached messages. */
  body: string;
}

function headerText(part: MimePart): string {
  let out = '';
  for (const f of part.headers) out += `${f.name}: ${decodeWords(f.value)}\n`;
  return out;
}

/**
 * Decoded header and body text for SEARCH TEXT/BODY and the full-text index. Inside a
 * multipart/alternative only one rendering is taken (text/plain when there is one), so the
 * same words are not indexed twice and HTML is only converted when it is all there is.
 */
export function searchableText(raw: Buffer, tree: MimePart): SearchableText {
  const body: string[] = [];
  const stack: MimePart[] = [tree];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (p.kind === 'multipart') {
      let children = p.children;
      if (p.contentType.subtype === 'alternative' && children.length > 1) {
        const plain = children.find((c) => c.kind === 'leaf' && c.contentType.mimeType === 'text/plain');
        if (plain) children = [plain];
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
      continue;
    }
    if (p.kind === 'message') {
      const inner = p.children[0];
      if (inner) {
        body.push(headerText(inner));
        stack.push(inner);
      }
      continue;
    }
    if (p.contentType.type !== 'text') continue;
    const text = decodePartText(raw, p);
    body.push(p.contentType.subtype === 'html' ? htmlToText(text) : text);
  }
  return { headers: headerText(tree), body: body.join('\n') };
}
