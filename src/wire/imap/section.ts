// BODY[section] and BINARY[part] content (RFC 9051 §6.4.5) from a message's bytes and its MIME
// tree: an adapter over wire/mime's byte offsets, so nothing is re-parsed or copied until the
// response is written.
import { decodeTransferEncoding } from '../mime/transfer-encoding.js';
import { findPart } from '../mime/tree.js';
import type { HeaderField, MimePart } from '../mime/types.js';
import type { Section } from './fetch.js';

const CRLF = Buffer.from('\r\n');

// The lower-cased field names of a section, made once per FETCH command, not once per message.
const wantedSets = new WeakMap<readonly string[], Set<string>>();

function fieldsOf(raw: Buffer, headers: readonly HeaderField[], names: readonly string[], not: boolean): Buffer {
  let wanted = wantedSets.get(names);
  if (!wanted) wantedSets.set(names, (wanted = new Set(names.map((n) => n.toLowerCase()))));
  const parts: Buffer[] = [];
  for (const f of headers) {
    if (wanted.has(f.key) !== not) {
      let piece = raw.subarray(f.start, f.end);
      // The last field may end without a line break (a message that is all header).
      if (piece[piece.length - 1] !== 0x0a) piece = Buffer.concat([piece, CRLF]);
      parts.push(piece);
    }
  }
  parts.push(CRLF); // the blank line that ends a header (RFC 9051 §6.4.5 HEADER.FIELDS)
  return Buffer.concat(parts);
}

/** The message a HEADER/TEXT/HEADER.FIELDS section speaks of: the top level, or a message/rfc822 part's. */
function messageAt(tree: MimePart, part: readonly number[]): MimePart | null {
  if (part.length === 0) return tree;
  const p = findPart(tree, part);
  if (!p || p.kind !== 'message') return null;
  return p.children[0] ?? null;
}

/** The bytes of a BODY[section]; null when the section does not exist (sent as NIL). */
export function sectionBytes(raw: Buffer, tree: MimePart, section: Section): Buffer | null {
  const t = section.text;
  if (!t) {
    if (section.part.length === 0) return raw;
    const p = findPart(tree, section.part);
    return p ? raw.subarray(p.bodyStart, p.bodyEnd) : null;
  }
  if (t.kind === 'MIME') {
    const p = findPart(tree, section.part);
    return p ? raw.subarray(p.headerStart, p.bodyStart) : null;
  }
  const msg = messageAt(tree, section.part);
  if (!msg) return section.part.length > 0 && findPart(tree, section.part) ? Buffer.alloc(0) : null;
  switch (t.kind) {
    case 'HEADER': return raw.subarray(msg.headerStart, msg.bodyStart);
    case 'TEXT': return raw.subarray(msg.bodyStart, msg.bodyEnd);
    case 'HEADER.FIELDS': return fieldsOf(raw, msg.headers, t.fields, t.not);
  }
}

const KNOWN_CTE = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

/**
 * BINARY[part] (RFC 3516 §4.2): the part's content with its transfer encoding undone; null when
 * there is no such part, 'unknown-cte' when its encoding cannot be undone ([UNKNOWN-CTE]).
 */
export function binaryBytes(raw: Buffer, tree: MimePart, part: readonly number[]): Buffer | null | 'unknown-cte' {
  if (part.length === 0) return raw;
  const p = findPart(tree, part);
  if (!p) return null;
  if (p.kind !== 'leaf') return raw.subarray(p.bodyStart, p.bodyEnd);
  if (!KNOWN_CTE.has(p.encoding)) return 'unknown-cte';
  return decodeTransferEncoding(raw.subarray(p.bodyStart, p.bodyEnd), p.encoding);
}
