/**
 * The four SCRAM messages (RFC 5802 §7) as a pure codec shared by our client and our server.
 * Parsers take the decoded text exactly as received, because the AuthMessage is built from the
 * received bytes, not from a re-formatted copy.
 */
import { decodeBase64Strict, decodeUtf8 } from './bytes.js';
import { escapeSaslName, unescapeSaslName } from './scram-names.js';

export type ScramCodecError =
  /** Does not follow the RFC 5802 §7 grammar. */
  | 'malformed'
  /** Carries the mandatory extension "m=" (RFC 5802 §5.1: MUST fail when not understood). */
  | 'extension';

export type CodecResult<T> = { ok: true; value: T } | { ok: false; error: ScramCodecError; message: string };

function fail<T>(message: string, error: ScramCodecError = 'malformed'): CodecResult<T> {
  return { ok: false, error, message };
}

/** Upper bound for one SCRAM message; real ones are a few hundred bytes. */
export const MAX_SCRAM_MESSAGE = 8192;

/** SCRAM messages are UTF-8 text without NUL (RFC 5802 §7 value-char excludes %x00). */
export function decodeScramText(bytes: Buffer): CodecResult<string> {
  if (bytes.length === 0) return fail('empty SCRAM message');
  if (bytes.length > MAX_SCRAM_MESSAGE) return fail('SCRAM message too long');
  const text = decodeUtf8(bytes);
  if (text === null) return fail('SCRAM message is not valid UTF-8');
  if (text.includes('\0')) return fail('SCRAM message contains a NUL byte');
  return { ok: true, value: text };
}

// printable = %x21-2B / %x2D-7E ;; Printable ASCII except ","
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
export function isValidNonce(nonce: string): boolean {
  return PRINTABLE.test(nonce);
}

interface Attribute {
  name: string;
  value: string;
}

/** attr-val *("," attr-val) with attr-val = ALPHA "=" 1*value-char. */
function splitAttributes(text: string, what: string): CodecResult<Attribute[]> {
  const attrs: Attribute[] = [];
  for (const part of text.split(',')) {
    const m = /^([A-Za-z])=(.+)$/s.exec(part);
    if (!m) return fail(`${what}: "${part.slice(0, 20)}" is not an attribute=value pair`);
    attrs.push({ name: m[1] as string, value: m[2] as string });
  }
  return { ok: true, value: attrs };
}

/** Attributes must come in this order; any after them are optional extensions and ignored. */
function expectOrder(attrs: Attribute[], names: string[], what: string): CodecResult<string[]> {
  // RFC 5802 §5.1 "m": reserved for mandatory extensions; an unknown one MUST fail the exchange.
  if (attrs[0]?.name === 'm') return fail(`${what} carries the mandatory extension "m=", which is not supported`, 'extension');
  const values: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const attr = attrs[i];
    if (attr === undefined) return fail(`${what} is missing the "${names[i]}=" attribute`);
    if (attr.name !== names[i]) return fail(`${what}: expected "${names[i]}=" but found "${attr.name}="`);
    values.push(attr.value);
  }
  return { ok: true, value: values };
}

// ---------------------------------------------------------------- gs2 header (RFC 5802 §7)

export type CbFlag = 'n' | 'y' | 'p';

export interface Gs2Header {
  /** n: client does not support channel binding; y: supports it but thinks the server does not; p: uses it. */
  cbFlag: CbFlag;
  /** The cb-name after "p=", else null. */
  cbName: string | null;
  /** The unescaped authorization identity, '' when absent. */
  authzid: string;
  /** The header exactly as sent, trailing comma included: the channel-binding input starts with it. */
  text: string;
}

export function formatGs2Header(cbFlag: CbFlag, cbName: string | null, authzid: string): string {
  const flag = cbFlag === 'p' ? `p=${cbName ?? ''}` : cbFlag;
  return `${flag},${authzid === '' ? '' : `a=${escapeSaslName(authzid)}`},`;
}

/** Splits "gs2-header client-first-message-bare" and parses the header. */
export function parseGs2Header(message: string): CodecResult<{ header: Gs2Header; rest: string }> {
  const first = message.indexOf(',');
  const second = first < 0 ? -1 : message.indexOf(',', first + 1);
  if (second < 0) return fail('client-first-message has no gs2 header');
  const flag = message.slice(0, first);
  const authz = message.slice(first + 1, second);
  let cbFlag: CbFlag;
  let cbName: string | null = null;
  if (flag === 'n' || flag === 'y') {
    cbFlag = flag;
  } else if (/^p=[A-Za-z0-9.-]+$/.test(flag)) {
    // cb-name = 1*(ALPHA / DIGIT / "." / "-")
    cbFlag = 'p';
    cbName = flag.slice(2);
  } else {
    return fail('gs2 header must start with "n", "y" or "p=<channel binding type>"');
  }
  let authzid = '';
  if (authz !== '') {
    if (!authz.startsWith('a=') || authz.length === 2) return fail('gs2 header: the authorization identity must be "a=<name>"');
    const name = unescapeSaslName(authz.slice(2));
    if (name === null) return fail('gs2 header: the authorization identity has a bad "=" escape');
    authzid = name;
  }
  return {
    ok: true,
    value: { header: { cbFlag, cbName, authzid, text: message.slice(0, second + 1) }, rest: message.slice(second + 1) },
  };
}

// ---------------------------------------------------------------- client-first-message

export interface ClientFirstMessage {
  gs2: Gs2Header;
  /** client-first-message-bare exactly as sent (part of AuthMessage). */
  bare: string;
  /** The unescaped, not yet SASLprep'd username. */
  username: string;
  nonce: string;
}

export function formatClientFirstBare(username: string, nonce: string): string {
  return `n=${escapeSaslName(username)},r=${nonce}`;
}

export function parseClientFirst(message: string): CodecResult<ClientFirstMessage> {
  const gs2 = parseGs2Header(message);
  if (!gs2.ok) return gs2;
  const bare = gs2.value.rest;
  const attrs = splitAttributes(bare, 'client-first-message');
  if (!attrs.ok) return attrs;
  const values = expectOrder(attrs.value, ['n', 'r'], 'client-first-message');
  if (!values.ok) return values;
  const [rawUser, nonce] = values.value as [string, string];
  const username = unescapeSaslName(rawUser);
  if (username === null) return fail('username has a "=" not followed by "2C" or "3D"');
  if (!isValidNonce(nonce)) return fail('client nonce contains characters outside printable ASCII');
  return { ok: true, value: { gs2: gs2.value.header, bare, username, nonce } };
}

// ---------------------------------------------------------------- server-first-message

export interface ServerFirstMessage {
  /** The combined client + server nonce. */
  nonce: string;
  salt: Buffer;
  iterations: number;
}

export function formatServerFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
}

export function parseServerFirst(message: string): CodecResult<ServerFirstMessage> {
  const attrs = splitAttributes(message, 'server-first-message');
  if (!attrs.ok) return attrs;
  const values = expectOrder(attrs.value, ['r', 's', 'i'], 'server-first-message');
  if (!values.ok) return values;
  const [nonce, salt64, iter] = values.value as [string, string, string];
  if (!isValidNonce(nonce)) return fail('server nonce contains characters outside printable ASCII');
  const salt = decodeBase64Strict(salt64);
  if (salt === null || salt.length === 0) return fail('server-first-message: salt is not valid base64');
  if (!/^[1-9][0-9]{0,9}$/.test(iter)) return fail('server-first-message: iteration count is not a positive number');
  return { ok: true, value: { nonce, salt, iterations: Number(iter) } };
}

// ---------------------------------------------------------------- client-final-message

export interface ClientFinalMessage {
  /** client-final-message-without-proof exactly as sent (part of AuthMessage). */
  withoutProof: string;
  /** Decoded "c=": gs2 header (+ channel-binding data with p=). */
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
}

export function formatClientFinalWithoutProof(cbInput: Buffer, nonce: string): string {
  return `c=${cbInput.toString('base64')},r=${nonce}`;
}

export function parseClientFinal(message: string): CodecResult<ClientFinalMessage> {
  const attrs = splitAttributes(message, 'client-final-message');
  if (!attrs.ok) return attrs;
  const values = expectOrder(attrs.value, ['c', 'r'], 'client-final-message');
  if (!values.ok) return values;
  const last = attrs.value[attrs.value.length - 1];
  // client-final-message = client-final-message-without-proof "," proof: the proof comes last.
  if (attrs.value.length < 3 || last?.name !== 'p') return fail('client-final-message must end with the proof "p="');
  const [cb64, nonce] = values.value as [string, string];
  const channelBinding = decodeBase64Strict(cb64);
  if (channelBinding === null) return fail('client-final-message: channel binding "c=" is not valid base64');
  const proof = decodeBase64Strict(last.value);
  if (proof === null) return fail('client-final-message: proof "p=" is not valid base64');
  const withoutProof = message.slice(0, message.length - last.value.length - 3);
  return { ok: true, value: { withoutProof, channelBinding, nonce, proof } };
}

// ---------------------------------------------------------------- server-final-message

export type ServerFinalMessage = { kind: 'verifier'; signature: Buffer } | { kind: 'error'; error: string };

/** RFC 5802 §7 server-error-value names, as the server sends them in "e=". */
export type ScramServerErrorValue =
  | 'invalid-encoding'
  | 'extensions-not-supported'
  | 'invalid-proof'
  | 'channel-bindings-dont-match'
  | 'server-does-support-channel-binding'
  | 'channel-binding-not-supported'
  | 'unsupported-channel-binding-type'
  | 'unknown-user'
  | 'invalid-username-encoding'
  | 'no-resources'
  | 'other-error';

export function formatServerFinal(signature: Buffer): string {
  return `v=${signature.toString('base64')}`;
}

export function formatServerError(value: ScramServerErrorValue): string {
  return `e=${value}`;
}

export function parseServerFinal(message: string): CodecResult<ServerFinalMessage> {
  const attrs = splitAttributes(message, 'server-final-message');
  if (!attrs.ok) return attrs;
  const first = attrs.value[0] as Attribute;
  if (first.name === 'e') return { ok: true, value: { kind: 'error', error: first.value } };
  if (first.name === 'm') return fail('server-final-message carries the mandatory extension "m="', 'extension');
  if (first.name !== 'v') return fail('server-final-message must start with "v=" or "e="');
  const signature = decodeBase64Strict(first.value);
  if (signature === null) return fail('server-final-message: signature "v=" is not valid base64');
  return { ok: true, value: { kind: 'verifier', signature } };
}
