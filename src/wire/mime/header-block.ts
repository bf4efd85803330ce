// The header block of a message or MIME part (RFC 5322 §2.2, RFC 2045 §3): field lines up
// to the first empty line. Tolerant of LF-only line ends, lines without a colon (skipped),
// blanks before the colon (obs-syntax, RFC 5322 §4.5), 8-bit bytes (RFC 6532 UTF-8, or
// legacy latin1) and a header that runs into a boundary or the end of the data.
import { Buffer, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import type { HeaderField } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const EIGHT_BIT = /[\x80-\xff]/;
const LINE_BREAKS = /\r\n|\r|\n/g;

function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** Where the body starts: past the empty line, or at the boundary line / end that cut the header short. */
  bodyStart: number;
}

/**
 * Reads header fields from `start`. `isBoundaryLine(pos)` is asked about lines that begin
 * with "--": a boundary of an enclosing multipart ends the header early (the part then has
 * an empty body), which is how truncated parts are kept from swallowing their siblings.
 */
export function scanHeaderBlock(raw: Buffer, start: number, end: number, isBoundaryLine?: (pos: number) => boolean): HeaderBlock {
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = start;
  let bodyStart = end;
  while (pos < end) {
    const c = raw[pos]!;
    if (c === LF) {
      bodyStart = pos + 1;
      break;
    }
    if (c === CR && (pos + 1 >= end || raw[pos + 1] === LF)) {
      bodyStart = Math.min(pos + 2, end);
      break;
    }
    if (c === 0x2d && isBoundaryLine && raw[pos + 1] === 0x2d && isBoundaryLine(pos)) {
      bodyStart = pos;
      break;
    }
    const nl = raw.indexOf(LF, pos);
    const next = nl === -1 || nl >= end ? end : nl + 1;
    if ((c === 0x20 || c === 0x09) && starts.length > 0) ends[ends.length - 1] = next; // folded continuation
    else if (c !== 0x20 && c !== 0x09) {
      starts.push(pos);
      ends.push(next);
    }
    pos = next;
  }
  if (starts.length === 0) return { fields: [], bodyStart };

  const blockStart = starts[0]!;
  const text = raw.toString('latin1', blockStart, ends[ends.length - 1]!);
  const eightBit = EIGHT_BIT.test(text);
  const fields: HeaderField[] = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]! - blockStart;
    const e = ends[i]! - blockStart;
    const colon = text.indexOf(':', s);
    if (colon === -1 || colon >= e) continue; // no colon: not a field (an mbox "From " line, junk)
    const name = text.slice(s, colon).trim();
    // A field name is printable ASCII without blanks (RFC 5322 §3.6.8); "From x Fri 12:00" is not one.
    if (!isFieldName(name)) continue;
    let ve = e;
    if (ve > colon + 1 && text.charCodeAt(ve - 1) === LF) ve--;
    if (ve > colon + 1 && text.charCodeAt(ve - 1) === CR) ve--;
    const rawValue = text.slice(colon + 1, ve);
    let value: string;
    if (eightBit && EIGHT_BIT.test(rawValue)) {
      const bytes = raw.subarray(blockStart + colon + 1, blockStart + ve);
      value = isUtf8(bytes) ? bytes.toString('utf8') : iconv.decode(bytes, 'windows-1252');
    } else value = rawValue;
    if (value.indexOf('\n') !== -1 || value.indexOf('\r') !== -1) value = value.replace(LINE_BREAKS, '');
    fields.push({ name, key: name.toLowerCase(), raw: rawValue, value: value.trim(), start: starts[i]!, end: ends[i]! });
  }
  return { fields, bodyStart };
}

/** First field with this (lower-case) name, or undefined. */
export function findField(fields: readonly HeaderField[], key: string): HeaderField | undefined {
  for (const f of fields) if (f.key === key) return f;
  return undefined;
}
