// ENVELOPE, BODY and BODYSTRUCTURE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) from wire/mime's parsed
// tree. This is the adapter between the MIME layer and IMAP's wire forms: values are sent as
// written in the message (encoded words kept, as Dovecot does), type names lower-case.
import { envelopeAddressTuple, parseEnvelope, type EnvelopeAddress } from '../mime/envelope.js';
import type { MimePart } from '../mime/types.js';
import { nstring, string, type Chunk } from './response.js';

function addressList(list: EnvelopeAddress[] | null, utf8: boolean, out: Chunk[]): void {
  if (!list) {
    out.push('NIL');
    return;
  }
  out.push('(');
  for (const a of list) {
    const [name, adl, mailbox, host] = envelopeAddressTuple(a);
    out.push('(', ...nstring(name, utf8), ' ', ...nstring(adl, utf8), ' ', ...nstring(mailbox, utf8), ' ', ...nstring(host, utf8), ')');
  }
  out.push(')');
}

/** The ENVELOPE of a message (or of a message/rfc822 part's inner message). */
export function envelopeChunks(part: MimePart, utf8: boolean, out: Chunk[] = []): Chunk[] {
  const e = parseEnvelope(part);
  out.push('(', ...nstring(e.date, utf8), ' ', ...nstring(e.subject, utf8), ' ');
  addressList(e.from, utf8, out);
  out.push(' ');
  addressList(e.sender, utf8, out);
  out.push(' ');
  addressList(e.replyTo, utf8, out);
  out.push(' ');
  addressList(e.to, utf8, out);
  out.push(' ');
  addressList(e.cc, utf8, out);
  out.push(' ');
  addressList(e.bcc, utf8, out);
  out.push(' ', ...nstring(e.inReplyTo, utf8), ' ', ...nstring(e.messageId, utf8), ')');
  return out;
}

function params(list: Array<[string, string]>, utf8: boolean, out: Chunk[]): void {
  if (list.length === 0) {
    out.push('NIL');
    return;
  }
  out.push('(');
  list.forEach(([k, v], i) => {
    if (i > 0) out.push(' ');
    out.push(...string(k, utf8), ' ', ...string(v, utf8));
  });
  out.push(')');
}

/**
 * Parameters as Dovecot lists them: RFC 2231 extended ones ("name*") after the plain ones, in
 * message order otherwise.
 */
function ordered(params: Array<[string, string]>): Array<[string, string]> {
  if (!params.some(([k]) => k.endsWith('*'))) return params;
  return [...params.filter(([k]) => !k.endsWith('*')), ...params.filter(([k]) => k.endsWith('*'))];
}

function contentTypeParams(part: MimePart): Array<[string, string]> {
  const params = ordered(part.contentType.rawParams);
  // RFC 2045 §5.2: a text part's charset defaults to us-ascii; Dovecot names it, last.
  if (part.contentType.type === 'text' && !params.some(([k]) => k === 'charset' || k === 'charset*')) {
    return [...params, ['charset', 'us-ascii']];
  }
  return params;
}

function disposition(part: MimePart, utf8: boolean, out: Chunk[]): void {
  const d = part.disposition;
  if (!d || !d.type) {
    out.push('NIL');
    return;
  }
  out.push('(', ...string(d.type, utf8), ' ');
  params(ordered(d.rawParams), utf8, out);
  out.push(')');
}

function language(part: MimePart, utf8: boolean, out: Chunk[]): void {
  const l = part.language;
  if (!l || l.length === 0) out.push('NIL');
  else if (l.length === 1) out.push(...string(l[0]!, utf8));
  else {
    out.push('(');
    l.forEach((tag, i) => out.push(...(i ? [' '] : []), ...string(tag, utf8)));
    out.push(')');
  }
}

const EMPTY_TEXT = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0';

/**
 * BODYSTRUCTURE (`extensible`) or BODY of a part. Written without recursion on the JS stack
 * beyond the tree's depth, which the MIME parser bounds (DEFAULT_MAX_DEPTH).
 */
export function bodyStructureChunks(part: MimePart, extensible: boolean, utf8: boolean, out: Chunk[] = []): Chunk[] {
  const ct = part.contentType;
  if (part.kind === 'multipart') {
    out.push('(');
    if (part.children.length === 0) {
      // A multipart needs at least one part (RFC 9051 §9 body-type-mpart); Dovecot sends an empty text part.
      out.push(EMPTY_TEXT, extensible ? ' NIL NIL NIL NIL)' : ')');
    }
    for (const child of part.children) bodyStructureChunks(child, extensible, utf8, out);
    out.push(' ', ...string(ct.subtype, utf8));
    if (extensible) {
      out.push(' ');
      params(ordered(ct.rawParams), utf8, out);
      out.push(' ');
      disposition(part, utf8, out);
      out.push(' ');
      language(part, utf8, out);
      out.push(' ', ...nstring(part.location, utf8));
    }
    out.push(')');
    return out;
  }
  out.push('(', ...string(ct.type, utf8), ' ', ...string(ct.subtype, utf8), ' ');
  params(contentTypeParams(part), utf8, out);
  out.push(' ', ...nstring(part.contentId, utf8), ' ', ...nstring(part.description, utf8), ' ', ...string(part.encoding, utf8), ` ${part.size}`);
  if (part.kind === 'message' && part.children[0]) {
    const inner = part.children[0];
    out.push(' ');
    envelopeChunks(inner, utf8, out);
    out.push(' ');
    bodyStructureChunks(inner, extensible, utf8, out);
    out.push(` ${part.lines ?? 0}`);
  } else if (ct.type === 'message' && (ct.subtype === 'rfc822' || ct.subtype === 'global')) {
    // Left unparsed (too deep, or transfer-encoded against RFC 2046 §5.2.1), it must still have
    // the body-type-msg shape clients expect: an empty envelope and an empty body.
    out.push(' (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ', EMPTY_TEXT, extensible ? ' NIL NIL NIL NIL)' : ')', ` ${part.lines ?? 0}`);
  } else if (ct.type === 'text') {
    out.push(` ${part.lines ?? 0}`);
  }
  if (extensible) {
    out.push(' ', ...nstring(part.md5, utf8), ' ');
    disposition(part, utf8, out);
    out.push(' ');
    language(part, utf8, out);
    out.push(' ', ...nstring(part.location, utf8));
  }
  out.push(')');
  return out;
}
