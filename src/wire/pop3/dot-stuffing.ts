// RFC 1939 §3 byte-stuffing for RETR/TOP: every line that begins with "." gets another ".",
// line endings become CRLF, and the body ends with CRLF so the terminating ".\r\n" stands on
// its own line. One pass with indexOf keeps large messages fast.

export function dotStuff(message: Buffer): Buffer {
  // Slices are cut only where something changes (a dotted line start or a bare LF), so a
  // CRLF message with no leading dots goes out as itself, uncopied.
  const parts: Buffer[] = [];
  let start = 0;
  const n = message.length;
  if (n > 0 && message[0] === 0x2e) parts.push(DOT);
  for (let lf = message.indexOf(0x0a); lf >= 0; lf = message.indexOf(0x0a, lf + 1)) {
    const bare = lf === 0 || message[lf - 1] !== 0x0d;
    const dotNext = lf + 1 < n && message[lf + 1] === 0x2e;
    if (!bare && !dotNext) continue;
    parts.push(message.subarray(start, bare ? lf : lf + 1));
    if (bare) parts.push(CRLF);
    if (dotNext) parts.push(DOT);
    start = lf + 1;
  }
  const endsWithLf = n > 0 && message[n - 1] === 0x0a;
  if (parts.length === 0 && (endsWithLf || n === 0)) return message;
  if (start < n) parts.push(message.subarray(start));
  if (!endsWithLf && n > 0) parts.push(CRLF);
  return Buffer.concat(parts);
}

/**
 * True when dotStuff(message) is the message itself: CRLF line endings only, no line that
 * begins with ".", and a final CRLF (or no bytes at all). Stores compute it once at delivery,
 * so RETR of such a message sends the stored bytes without scanning them again.
 */
export function isDotTransparent(message: Buffer): boolean {
  const n = message.length;
  if (n === 0) return true;
  if (message[0] === 0x2e || message[n - 1] !== 0x0a) return false;
  for (let lf = message.indexOf(0x0a); lf >= 0; lf = message.indexOf(0x0a, lf + 1)) {
    if (lf === 0 || message[lf - 1] !== 0x0d) return false;
    if (lf + 1 < n && message[lf + 1] === 0x2e) return false;
  }
  return true;
}

/** The header, the blank line, and the first `lines` lines of the body (TOP msg n). */
export function topOfMessage(message: Buffer, lines: number): Buffer {
  let headerEnd = findHeaderEnd(message);
  if (headerEnd < 0) return message; // no body: all of it is header
  let pos = headerEnd;
  for (let i = 0; i < lines && pos < message.length; i++) {
    const lf = message.indexOf(0x0a, pos);
    if (lf < 0) { pos = message.length; break; }
    pos = lf + 1;
  }
  headerEnd = pos;
  return message.subarray(0, headerEnd);
}

/** Offset just past the blank line that ends the header, or -1. */
export function findHeaderEnd(message: Buffer): number {
  let pos = 0;
  for (;;) {
    const lf = message.indexOf(0x0a, pos);
    if (lf < 0) return -1;
    const lineLen = lf - pos - (lf > pos && message[lf - 1] === 0x0d ? 1 : 0);
    if (lineLen === 0) return lf + 1;
    pos = lf + 1;
  }
}

const DOT = Buffer.from('.');
const CRLF = Buffer.from('\r\n');
