// SMTP / LMTP command codec (server side): one command line (without CRLF) in, a typed command
// or the reply that refuses it out. Pure: no I/O, no session state — whether a command or a
// parameter is allowed *now* (after EHLO? advertised?) is the session's question.
//
// RFC 5321 §4.1 (commands), RFC 2033 (LHLO), RFC 3207 (STARTTLS), RFC 4954 (AUTH, AUTH=),
// RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 3030 (BDAT, BINARYMIME), RFC 6531 (SMTPUTF8),
// RFC 3461 (DSN: RET, ENVID, NOTIFY, ORCPT).
import { isValidDomain, parseMailbox, parsePath, type EnvelopeAddress } from './address.js';
import { decodeXtext } from './xtext.js';

export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME';
export type NotifyOn = 'SUCCESS' | 'FAILURE' | 'DELAY';

export interface MailParams {
  /** RFC 1870 declared size, if given. */
  size: number | null;
  body: BodyType | null;
  smtputf8: boolean;
  /** RFC 3461 RET: return the full message or its headers in a failure DSN. */
  ret: 'FULL' | 'HDRS' | null;
  /** RFC 3461 ENVID, decoded from xtext. */
  envid: string | null;
  /** RFC 4954 §5 AUTH=: the decoded mailbox, '' for "<>", null when absent. */
  auth: string | null;
  /** Upper-case keywords as sent, for "was this extension used?" checks. */
  keywords: string[];
}

export interface RcptParams {
  /** RFC 3461 NOTIFY: 'NEVER' or a set of conditions; null when absent. */
  notify: 'NEVER' | NotifyOn[] | null;
  /** RFC 3461 ORCPT: address type and the decoded original address. */
  orcpt: { type: string; address: string } | null;
  keywords: string[];
}

export type SmtpCommand =
  | { verb: 'EHLO'; domain: string }
  | { verb: 'HELO'; domain: string }
  | { verb: 'LHLO'; domain: string }
  | { verb: 'MAIL'; from: EnvelopeAddress | null; params: MailParams }
  /** `postmaster` is true for "<Postmaster>" without a domain (RFC 5321 §4.1.1.3). */
  | { verb: 'RCPT'; to: EnvelopeAddress; postmaster: boolean; params: RcptParams }
  | { verb: 'DATA' }
  | { verb: 'BDAT'; size: number; last: boolean }
  | { verb: 'RSET' }
  | { verb: 'NOOP' }
  | { verb: 'QUIT' }
  | { verb: 'STARTTLS' }
  | { verb: 'VRFY'; argument: string }
  | { verb: 'EXPN'; argument: string }
  | { verb: 'HELP'; topic: string | null }
  | { verb: 'AUTH'; mechanism: string; initialResponse: string | null };

export type SmtpVerb = SmtpCommand['verb'];

export interface ReplySpec {
  code: number;
  /** RFC 3463 enhanced status code, e.g. "5.5.2". */
  enhanced: string;
  text: string;
}

export type SmtpParseResult =
  | { ok: true; command: SmtpCommand }
  | { ok: false; verb: SmtpVerb | null; reply: ReplySpec };

export const SMTP_VERBS: readonly SmtpVerb[] = [
  'EHLO', 'HELO', 'LHLO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'NOOP', 'QUIT', 'STARTTLS', 'VRFY', 'EXPN', 'HELP', 'AUTH',
];
const KNOWN = new Set<string>(SMTP_VERBS);

/** Largest BDAT chunk size we parse (the session enforces the message size limit). */
const MAX_BDAT_DIGITS = 15;

const syntax = (text: string, enhanced = '5.5.2'): ReplySpec => ({ code: 501, enhanced, text });

/**
 * Parses one command line. `line` must already be free of CR/LF (the session refuses bare CR
 * and LF before calling this); it may hold UTF-8 (RFC 6531), decoded by the caller.
 */
export function parseSmtpCommand(line: string): SmtpParseResult {
  if (line.includes('\0')) return { ok: false, verb: null, reply: { code: 500, enhanced: '5.5.2', text: 'Command contains a NUL byte.' } };
  if (line.length === 0) return { ok: false, verb: null, reply: { code: 500, enhanced: '5.5.2', text: 'Empty command.' } };
  const sp = line.indexOf(' ');
  const word = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
  const rest = sp < 0 ? '' : line.slice(sp + 1);
  if (!KNOWN.has(word)) {
    return { ok: false, verb: null, reply: { code: 500, enhanced: '5.5.2', text: `Command unrecognized: ${printable(word.slice(0, 24))}` } };
  }
  const verb = word as SmtpVerb;
  const fail = (reply: ReplySpec): SmtpParseResult => ({ ok: false, verb, reply });
  const noArgs = (command: SmtpCommand): SmtpParseResult =>
    rest.trim().length ? fail(syntax(`${verb} takes no arguments.`, '5.5.4')) : { ok: true, command };
  switch (verb) {
    case 'EHLO':
    case 'HELO':
    case 'LHLO': {
      const domain = rest.trim();
      if (!domain) return fail(syntax(`${verb} needs your host name.`, '5.5.4'));
      // RFC 5321 §4.1.1.1: a domain or an address literal. Clients send all sorts (bare words,
      // underscores); refusing them gains nothing, so only blanks and control bytes are refused.
      if (/[\s\x00-\x1f\x7f]/.test(domain)) return fail(syntax(`${verb} takes one host name.`, '5.5.4'));
      return { ok: true, command: { verb, domain } };
    }
    case 'MAIL': {
      if (!/^FROM:/i.test(rest)) return fail(syntax('Syntax: MAIL FROM:<address> [parameters]', '5.5.4'));
      const path = parsePath(rest.slice(5));
      if (!path.ok) return fail(syntax(path.reason, '5.1.7'));
      const params = parseMailParams(path.rest);
      if (!params.ok) return fail(params.reply);
      return { ok: true, command: { verb, from: path.mailbox, params: params.params } };
    }
    case 'RCPT': {
      if (!/^TO:/i.test(rest)) return fail(syntax('Syntax: RCPT TO:<address> [parameters]', '5.5.4'));
      const after = rest.slice(3).replace(/^ +/, '');
      let to: EnvelopeAddress;
      let postmaster = false;
      let paramText: string;
      const pm = /^<postmaster>(?= |$)/i.exec(after);
      if (pm) {
        postmaster = true;
        to = { local: 'postmaster', domain: '', address: 'postmaster', utf8: false };
        paramText = after.slice(pm[0].length).trimStart();
      } else {
        const path = parsePath(after);
        if (!path.ok) return fail(syntax(path.reason, '5.1.3'));
        if (path.mailbox === null) return fail(syntax('The recipient address is empty.', '5.1.3'));
        to = path.mailbox;
        paramText = path.rest;
      }
      const params = parseRcptParams(paramText);
      if (!params.ok) return fail(params.reply);
      return { ok: true, command: { verb, to, postmaster, params: params.params } };
    }
    case 'BDAT': {
      // RFC 3030 §2: BDAT chunk-size [SP end-marker]
      const m = /^(\d{1,15})(?: (LAST))?$/i.exec(rest);
      if (!m || m[1]!.length > MAX_BDAT_DIGITS) return fail(syntax('Syntax: BDAT size [LAST]', '5.5.4'));
      return { ok: true, command: { verb, size: Number(m[1]), last: m[2] !== undefined } };
    }
    case 'AUTH': {
      const args = rest.split(' ').filter((a) => a.length > 0);
      const mechanism = args[0]?.toUpperCase() ?? '';
      if (!mechanism || args.length > 2 || !/^[A-Z0-9_-]{1,20}$/.test(mechanism)) return fail(syntax('Syntax: AUTH mechanism [initial-response]', '5.5.4'));
      return { ok: true, command: { verb, mechanism, initialResponse: args[1] ?? null } };
    }
    case 'VRFY':
    case 'EXPN': {
      if (!rest.trim()) return fail(syntax(`${verb} needs an argument.`, '5.5.4'));
      return { ok: true, command: { verb, argument: rest.trim() } };
    }
    case 'HELP':
      return { ok: true, command: { verb, topic: rest.trim() || null } };
    case 'DATA': return noArgs({ verb });
    case 'RSET': return noArgs({ verb });
    case 'QUIT': return noArgs({ verb });
    case 'STARTTLS': return noArgs({ verb });
    // RFC 5321 §4.1.1.9: NOOP may carry a string, which is ignored.
    case 'NOOP': return { ok: true, command: { verb } };
  }
}

interface RawParam { keyword: string; value: string | null }

function splitParams(text: string): { ok: true; params: RawParam[] } | { ok: false; reply: ReplySpec } {
  const out: RawParam[] = [];
  const seen = new Set<string>();
  for (const part of text.split(' ')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const keyword = (eq < 0 ? part : part.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? null : part.slice(eq + 1);
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); esmtp-value = 1*(%d33-60 / %d62-126)
    // (UTF-8 allowed by RFC 6531 §3.3).
    if (!/^[A-Z0-9][A-Z0-9-]*$/.test(keyword)) return { ok: false, reply: syntax(`Malformed parameter "${printable(part.slice(0, 40))}".`, '5.5.4') };
    if (value !== null && (value.length === 0 || /[\x00-\x20=\x7f]/.test(value))) {
      return { ok: false, reply: syntax(`Malformed value for ${keyword}.`, '5.5.4') };
    }
    if (seen.has(keyword)) return { ok: false, reply: syntax(`${keyword} was given twice.`, '5.5.4') };
    seen.add(keyword);
    out.push({ keyword, value });
  }
  return { ok: true, params: out };
}

const unknownParam = (keyword: string): ReplySpec => ({ code: 555, enhanced: '5.5.4', text: `Unsupported parameter ${printable(keyword.slice(0, 40))}.` });

function parseMailParams(text: string): { ok: true; params: MailParams } | { ok: false; reply: ReplySpec } {
  const split = splitParams(text);
  if (!split.ok) return split;
  const p: MailParams = { size: null, body: null, smtputf8: false, ret: null, envid: null, auth: null, keywords: [] };
  for (const { keyword, value } of split.params) {
    p.keywords.push(keyword);
    switch (keyword) {
      case 'SIZE':
        if (value === null || !/^\d{1,20}$/.test(value)) return { ok: false, reply: syntax('SIZE needs a number of octets.', '5.5.4') };
        p.size = Number(value);
        break;
      case 'BODY': {
        const v = value?.toUpperCase();
        if (v !== '7BIT' && v !== '8BITMIME' && v !== 'BINARYMIME') return { ok: false, reply: syntax('BODY is 7BIT, 8BITMIME or BINARYMIME.', '5.5.4') };
        p.body = v;
        break;
      }
      case 'SMTPUTF8':
        if (value !== null) return { ok: false, reply: syntax('SMTPUTF8 takes no value.', '5.5.4') };
        p.smtputf8 = true;
        break;
      case 'RET': {
        const v = value?.toUpperCase();
        if (v !== 'FULL' && v !== 'HDRS') return { ok: false, reply: syntax('RET is FULL or HDRS.', '5.5.4') };
        p.ret = v;
        break;
      }
      case 'ENVID': {
        const v = value === null ? null : decodeXtext(value);
        if (v === null || v.length > 100) return { ok: false, reply: syntax('ENVID must be xtext of at most 100 characters.', '5.5.4') };
        p.envid = v;
        break;
      }
      case 'AUTH': {
        const v = value === null ? null : decodeXtext(value);
        if (v === null) return { ok: false, reply: syntax('AUTH= must be xtext.', '5.5.4') };
        p.auth = v === '<>' ? '' : v;
        break;
      }
      default:
        return { ok: false, reply: unknownParam(keyword) };
    }
  }
  return { ok: true, params: p };
}

function parseRcptParams(text: string): { ok: true; params: RcptParams } | { ok: false; reply: ReplySpec } {
  const split = splitParams(text);
  if (!split.ok) return split;
  const p: RcptParams = { notify: null, orcpt: null, keywords: [] };
  for (const { keyword, value } of split.params) {
    p.keywords.push(keyword);
    switch (keyword) {
      case 'NOTIFY': {
        // RFC 3461 §4.1: "NEVER" alone, or a comma list of SUCCESS, FAILURE, DELAY.
        const items = (value ?? '').toUpperCase().split(',');
        if (items.length === 1 && items[0] === 'NEVER') { p.notify = 'NEVER'; break; }
        const set = new Set<NotifyOn>();
        for (const item of items) {
          if (item !== 'SUCCESS' && item !== 'FAILURE' && item !== 'DELAY') return { ok: false, reply: syntax('NOTIFY is NEVER, or a list of SUCCESS, FAILURE and DELAY.', '5.5.4') };
          set.add(item);
        }
        p.notify = [...set];
        break;
      }
      case 'ORCPT': {
        // RFC 3461 §4.2: addr-type ";" xtext
        const semi = value?.indexOf(';') ?? -1;
        if (value === null || semi <= 0) return { ok: false, reply: syntax('ORCPT is addr-type;xtext, e.g. rfc822;user+40example.com.', '5.5.4') };
        const type = value.slice(0, semi);
        const address = decodeXtext(value.slice(semi + 1));
        if (!/^[A-Za-z0-9-]+$/.test(type) || address === null || address.length === 0) return { ok: false, reply: syntax('Malformed ORCPT.', '5.5.4') };
        p.orcpt = { type: type.toLowerCase() === 'rfc822' ? 'rfc822' : type, address };
        break;
      }
      default:
        return { ok: false, reply: unknownParam(keyword) };
    }
  }
  return { ok: true, params: p };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * The line as the protocol log may show it: AUTH initial responses are credentials (RFC 4954),
 * so only the mechanism is kept.
 */
export function redactSmtpLine(line: string): string {
  const m = /^(AUTH\s+\S+)\s+\S/i.exec(line);
  return m ? `${m[1]} ***` : line;
}

export { isValidDomain, parseMailbox };
