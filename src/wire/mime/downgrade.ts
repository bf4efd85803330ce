// RFC 6152 §3: 8-bit mail relayed to a server that does not offer 8BITMIME must be converted
// to 7 bits (or returned to its sender). Each leaf part whose body holds 8-bit octets is
// re-encoded — text as quoted-printable (readable, line breaks kept), anything else as base64 —
// and its Content-Transfer-Encoding is set; multipart and message containers are walked, never
// encoded (RFC 2045 §6.4), and lose an "8bit" label. Headers cannot be converted this way
// (8-bit header text needs SMTPUTF8), so a message with one is refused, as is 8-bit text in a
// multipart's preamble or epilogue. The bytes of every other part are left exactly as they were.
import { isAscii, isUtf8 } from 'node:buffer';
import { parseMimeTree } from './tree.js';
import { encodeBase64Lines, encodeQuotedPrintable } from './transfer-encoding.js';
import type { MimePart } from './types.js';

export class DowngradeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DowngradeError';
  }
}

interface Edit { start: number; end: number; data: Buffer }

/** The message with only 7-bit octets, or the message itself when it has no 8-bit octet. */
export function downgradeTo7bit(raw: Buffer): Buffer {
  if (isAscii(raw)) return raw;
  const tree = parseMimeTree(raw, { countLines: false });
  const edits: Edit[] = [];

  const headerEnd = (p: MimePart): number => {
    // Just before the blank line that ends the header (where a new field goes).
    if (p.bodyStart >= 2 && raw[p.bodyStart - 1] === 0x0a && raw[p.bodyStart - 2] === 0x0d) return p.bodyStart - 2;
    if (p.bodyStart >= 1 && raw[p.bodyStart - 1] === 0x0a) return p.bodyStart - 1;
    return p.bodyStart;
  };
  const setEncoding = (p: MimePart, encoding: string) => {
    const line = Buffer.from(`Content-Transfer-Encoding: ${encoding}\r\n`, 'latin1');
    const fields = p.headers.filter((h) => h.key === 'content-transfer-encoding');
    if (fields.length === 0) {
      const at = headerEnd(p);
      edits.push({ start: at, end: at, data: line });
      return;
    }
    edits.push({ start: fields[0]!.start, end: fields[0]!.end, data: line });
    for (const extra of fields.slice(1)) edits.push({ start: extra.start, end: extra.end, data: Buffer.alloc(0) });
  };

  const visit = (p: MimePart): void => {
    if (!isAscii(raw.subarray(p.headerStart, p.bodyStart))) {
      throw new DowngradeError('a header holds 8-bit text, which only SMTPUTF8 can carry');
    }
    if (p.kind !== 'leaf') {
      for (const child of p.children) visit(child);
      if (p.encoding === '8bit' || p.encoding === 'binary') setEncoding(p, '7bit');
      return;
    }
    const body = raw.subarray(p.bodyStart, p.bodyEnd);
    if (isAscii(body)) return;
    if (p.unparsed) throw new DowngradeError(`a ${p.contentType.mimeType} part too deep or too large to take apart holds 8-bit octets`);
    if (p.encoding !== '7bit' && p.encoding !== '8bit' && p.encoding !== 'binary') {
      throw new DowngradeError(`a part labelled ${p.encoding} holds 8-bit octets`);
    }
    const asText = p.contentType.type === 'text' && p.encoding !== 'binary';
    let encoded = asText ? encodeQuotedPrintable(body) : encodeBase64Lines(body);
    // Inside a multipart the line break before the next boundary belongs to the boundary.
    if (!asText && p.bodyEnd < raw.length) encoded = encoded.subarray(0, encoded.length - 2);
    edits.push({ start: p.bodyStart, end: p.bodyEnd, data: encoded });
    setEncoding(p, asText ? 'quoted-printable' : 'base64');
  };
  visit(tree);

  if (!tree.headers.some((h) => h.key === 'mime-version')) {
    // Mail without MIME: the new encoding only means something with MIME-Version, and the
    // default charset (us-ascii) would be wrong for what was 8-bit text.
    const at = headerEnd(tree);
    let fields = 'MIME-Version: 1.0\r\n';
    if (tree.contentType.defaulted) {
      const body = raw.subarray(tree.bodyStart, tree.bodyEnd);
      fields += `Content-Type: text/plain; charset=${isUtf8(body) ? 'utf-8' : 'unknown-8bit'}\r\n`;
    }
    edits.push({ start: at, end: at, data: Buffer.from(fields, 'latin1') });
  }

  const out = apply(raw, edits);
  if (!isAscii(out)) throw new DowngradeError('8-bit octets outside every MIME part (a preamble or epilogue)');
  return out;
}

function apply(raw: Buffer, edits: Edit[]): Buffer {
  // Stable by start: an insertion at a field's end comes before a replacement starting there.
  const sorted = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.start - b.start || a.end - b.end || a.i - b.i);
  const parts: Buffer[] = [];
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new Error('overlapping downgrade edits');
    parts.push(raw.subarray(pos, e.start), e.data);
    pos = e.end;
  }
  parts.push(raw.subarray(pos));
  return Buffer.concat(parts);
}
