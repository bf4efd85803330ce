// The MIME tree with byte offsets (RFC 2045/2046), built in one left-to-right pass with an
// explicit stack of open boundaries — no recursion, so nesting cannot blow the call stack,
// and every byte is searched once (Buffer.indexOf for "\n--"), so time is linear in the size.
// Parts keep offsets into the raw message, never copies of bodies.
import { Buffer } from 'node:buffer';
import { scanHeaderBlock } from './header-block.js';
import { parseParameterized } from './params.js';
import type { ContentDisposition, ContentType, HeaderField, MimePart, ParseTreeOptions } from './types.js';

export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_PARTS = 10_000;
// Structured fields (Content-Type …) longer than this are cut before parsing: no legitimate
// parameter list is that long, and it bounds the work on a hostile 50 MB header.
const MAX_STRUCTURED = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const DASH_LINE = Buffer.from('\n--', 'latin1');

interface Frame {
  part: MimePart;
  boundary: Buffer;
  count: number;
}

interface PartState {
  part: MimePart;
  needLines: boolean;
}

function countLF(raw: Buffer, start: number, end: number): number {
  let n = 0;
  let p = raw.indexOf(LF, start);
  while (p !== -1 && p < end) {
    n++;
    p = raw.indexOf(LF, p + 1);
  }
  return n;
}

function structured(f: HeaderField): string {
  return f.value.length > MAX_STRUCTURED ? f.value.slice(0, MAX_STRUCTURED) : f.value;
}

function parseContentType(f: HeaderField | undefined, digestParent: boolean): ContentType {
  if (!f) {
    const params = Object.create(null) as Record<string, string>;
    return digestParent
      ? { type: 'message', subtype: 'rfc822', mimeType: 'message/rfc822', params, rawParams: [], defaulted: true }
      : { type: 'text', subtype: 'plain', mimeType: 'text/plain', params, rawParams: [], defaulted: true };
  }
  const p = parseParameterized(structured(f));
  const slash = p.value.indexOf('/');
  let type = (slash === -1 ? p.value : p.value.slice(0, slash)).trim().toLowerCase();
  let subtype = slash === -1 ? '' : p.value.slice(slash + 1).trim().toLowerCase();
  // RFC 2045 §5.2: a syntactically invalid Content-Type means text/plain (the parameters,
  // often a charset, are still the best information there is).
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(type) || !/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(subtype)) {
    type = 'text';
    subtype = 'plain';
  }
  return { type, subtype, mimeType: `${type}/${subtype}`, params: p.params, rawParams: p.rawParams, defaulted: false };
}

function parseDisposition(f: HeaderField | undefined): ContentDisposition | null {
  if (!f) return null;
  const p = parseParameterized(structured(f));
  return { type: p.value.toLowerCase(), params: p.params, rawParams: p.rawParams };
}

/**
 * Parses the MIME structure of a message. Never throws on malformed input: missing or
 * mismatched boundaries, LF-only line ends, a missing close delimiter, junk before the first
 * boundary, header lines without a colon and 8-bit headers all give a best-effort tree.
 */
export function parseMimeTree(input: Buffer | Uint8Array | string, options: ParseTreeOptions = {}): MimePart {
  const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const maxDepth = Math.max(0, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  const maxParts = Math.max(1, options.maxParts ?? DEFAULT_MAX_PARTS);
  const countLines = options.countLines ?? true;
  const end = raw.length;
  const frames: Frame[] = [];
  const open: PartState[] = [];
  let partCount = 0;

  /** Index of the frame whose boundary starts the line at `pos` ("--" + boundary), longest match, innermost on ties (as Dovecot does). */
  const matchFrame = (pos: number): number => {
    let best = -1;
    let bestLen = -1;
    const at = pos + 2;
    for (let i = frames.length - 1; i >= 0; i--) {
      const b = frames[i]!.boundary;
      if (b.length > bestLen && at + b.length <= end && raw.compare(b, 0, b.length, at, at + b.length) === 0) {
        best = i;
        bestLen = b.length;
      }
    }
    return best;
  };
  const isBoundaryLine = (pos: number): boolean => matchFrame(pos) !== -1;

  const openEntity = (headerStart: number, depth: number, section: string, parent: PartState | null, digestParent: boolean): PartState => {
    const block = scanHeaderBlock(raw, headerStart, end, frames.length > 0 ? isBoundaryLine : undefined);
    let ctField: HeaderField | undefined;
    let cteField: HeaderField | undefined;
    let cdField: HeaderField | undefined;
    let cid: HeaderField | undefined;
    let desc: HeaderField | undefined;
    let lang: HeaderField | undefined;
    let loc: HeaderField | undefined;
    let md5: HeaderField | undefined;
    for (const f of block.fields) {
      const k = f.key;
      if (k.length < 10 || k.charCodeAt(0) !== 0x63 /* c */ || !k.startsWith('content-')) continue;
      switch (k) {
        case 'content-type': ctField ??= f; break;
        case 'content-transfer-encoding': cteField ??= f; break;
        case 'content-disposition': cdField ??= f; break;
        case 'content-id': cid ??= f; break;
        case 'content-description': desc ??= f; break;
        case 'content-language': lang ??= f; break;
        case 'content-location': loc ??= f; break;
        case 'content-md5': md5 ??= f; break;
      }
    }
    const contentType = parseContentType(ctField, digestParent);
    const encoding = cteField ? (cteField.value.split(/[\s;(]/)[0] ?? '').toLowerCase() || '7bit' : '7bit';
    const part: MimePart = {
      section,
      kind: 'leaf',
      depth,
      headerStart,
      bodyStart: block.bodyStart,
      bodyEnd: end,
      headers: block.fields,
      contentType,
      disposition: parseDisposition(cdField),
      contentId: cid ? cid.value || null : null,
      description: desc ? desc.value : null,
      encoding,
      language: lang ? lang.value.split(/[\s,]+/).filter(Boolean) : null,
      location: loc ? loc.value.replace(/\s+/g, '') || null : null,
      md5: md5 ? md5.value || null : null,
      size: 0,
      lines: null,
      children: [],
    };
    partCount++;
    const needLines = countLines && (contentType.type === 'text' || contentType.type === 'message' || (parent?.needLines ?? false));
    const state: PartState = { part, needLines };
    open.push(state);

    if (contentType.type === 'multipart') {
      const boundary = contentType.params['boundary'];
      if (!boundary) part.unparsed = 'no-boundary';
      else if (depth >= maxDepth) part.unparsed = 'depth';
      else {
        part.kind = 'multipart';
        frames.push({ part, boundary: Buffer.from(boundary, 'utf8'), count: 0 });
      }
    } else if (contentType.mimeType === 'message/rfc822' || contentType.mimeType === 'message/global') {
      if (encoding === 'base64' || encoding === 'quoted-printable') part.unparsed = 'encoded';
      else if (depth >= maxDepth) part.unparsed = 'depth';
      else if (partCount >= maxParts) part.unparsed = 'parts';
      else part.kind = 'message';
    }
    return state;
  };

  /** Opens an entity and, for message/rfc822, the message it encapsulates (iteratively). Returns the innermost opened. */
  const openChain = (headerStart: number, depth: number, section: string, parent: PartState | null, digestParent: boolean): PartState => {
    let state = openEntity(headerStart, depth, section, parent, digestParent);
    while (state.part.kind === 'message') {
      const child = openEntity(state.part.bodyStart, state.part.depth + 1, state.part.section, state, false);
      state.part.children.push(child.part);
      state = child;
    }
    return state;
  };

  const finish = (state: PartState, bodyEnd: number): void => {
    const p = state.part;
    p.bodyEnd = Math.max(p.bodyStart, Math.min(bodyEnd, end));
    p.size = p.bodyEnd - p.bodyStart;
    if (!state.needLines) return;
    if (p.children.length === 0) {
      p.lines = countLF(raw, p.bodyStart, p.bodyEnd);
      return;
    }
    // Sum the children (already finished) and count only the gaps between them, so bytes
    // inside nested message/rfc822 parts are counted once however deep they sit.
    let lines = 0;
    let pos = p.bodyStart;
    for (const c of p.children) {
      // children of a part that needs lines need them too, so c.lines is set
      lines += countLF(raw, pos, c.bodyStart) + (c.lines ?? 0);
      pos = c.bodyEnd;
    }
    lines += countLF(raw, pos, p.bodyEnd);
    p.lines = lines;
  };

  openChain(0, 0, '', null, false);
  const root = open[0]!;
  let searchFrom = Math.max(0, open[open.length - 1]!.part.bodyStart - 1);

  while (frames.length > 0) {
    const hit = raw.indexOf(DASH_LINE, searchFrom);
    if (hit === -1) break;
    const lineStart = hit + 1;
    const k = matchFrame(lineStart);
    if (k === -1) {
      searchFrom = lineStart;
      continue;
    }
    const frame = frames[k]!;
    const afterBoundary = lineStart + 2 + frame.boundary.length;
    const close = raw[afterBoundary] === 0x2d && raw[afterBoundary + 1] === 0x2d;
    const nl = raw.indexOf(LF, lineStart);
    const nextLine = nl === -1 ? end : nl + 1;
    if (!close && partCount >= maxParts) {
      // Too many parts: this delimiter is body text of the part that is open.
      frame.part.unparsed ??= 'parts';
      searchFrom = lineStart;
      continue;
    }
    // The CRLF (or LF) before the delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    const bodyEnd = hit > 0 && raw[hit - 1] === CR ? hit - 1 : hit;
    while (open.length > 0 && open[open.length - 1]!.part !== frame.part) finish(open.pop()!, bodyEnd);
    frames.length = k + 1; // inner multiparts that never closed end here
    if (close) {
      frames.pop(); // what follows is the epilogue, part of frame.part's body
      searchFrom = nextLine - 1;
      continue;
    }
    frame.count++;
    const owner = open[open.length - 1]!; // frame.part's own state
    const section = frame.part.section ? `${frame.part.section}.${frame.count}` : String(frame.count);
    const headIndex = open.length;
    const child = openChain(nextLine, frame.part.depth + 1, section, owner, frame.part.contentType.subtype === 'digest');
    frame.part.children.push(open[headIndex]!.part);
    searchFrom = Math.max(nextLine - 1, child.part.bodyStart - 1);
  }
  while (open.length > 0) finish(open.pop()!, end);
  return root.part;
}

/**
 * Resolves an IMAP section number list (RFC 3501 §6.4.5) to a part: `[]` is the whole
 * message; in a multipart, n is its n-th child; in a non-multipart message, 1 is its body
 * (the message's own part); after a message/rfc822 part, numbers address the parts of the
 * encapsulated message. Returns null when there is no such part.
 */
export function findPart(tree: MimePart, section: readonly number[]): MimePart | null {
  let cur = tree;
  let inMessage = true; // `cur` is a message whose parts the next number addresses
  for (const n of section) {
    if (!Number.isInteger(n) || n < 1) return null;
    if (!inMessage) {
      if (cur.kind === 'message') {
        const inner = cur.children[0];
        if (!inner) return null;
        cur = inner;
      } else if (cur.kind !== 'multipart') return null;
    }
    if (cur.kind === 'multipart') {
      const next = cur.children[n - 1];
      if (!next) return null;
      cur = next;
    } else if (n !== 1) return null;
    inMessage = false;
  }
  return cur;
}

/** The header bytes of a part (a view into `raw`). */
export function headerBytes(raw: Buffer, part: MimePart): Buffer {
  return raw.subarray(part.headerStart, part.bodyStart);
}

/** The (still transfer-encoded) body bytes of a part (a view into `raw`). */
export function bodyBytes(raw: Buffer, part: MimePart): Buffer {
  return raw.subarray(part.bodyStart, part.bodyEnd);
}

/** Visits every part, parents before children, without recursion. */
export function walkParts(tree: MimePart, visit: (part: MimePart, parent: MimePart | null) => void): void {
  const stack: Array<[MimePart, MimePart | null]> = [[tree, null]];
  while (stack.length > 0) {
    const [p, parent] = stack.pop()!;
    visit(p, parent);
    for (let i = p.children.length - 1; i >= 0; i--) stack.push([p.children[i]!, p]);
  }
}
