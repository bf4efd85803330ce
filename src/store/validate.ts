// Input validation and normalisation shared by every MailStore implementation, so that the
// SQLite and PostgreSQL stores refuse and rewrite exactly the same inputs.
import type { AccountPatch, Flag, FlagOperation, NewAccount, ScramCredentials, SpecialUse } from './types.js';
import { StoreError } from './types.js';

/** The hierarchy delimiter of every mailbox name the store keeps. */
export const MAILBOX_DELIMITER = '/';

/** Largest UID and UIDVALIDITY: both are nz-number, a 32-bit unsigned (RFC 9051 §9). */
export const MAX_UINT32 = 4294967295;

// ---- mailbox names -------------------------------------------------------------------------

/**
 * Validates a mailbox name and returns its stored spelling. INBOX is case-insensitive
 * (RFC 9051 §5.1), so any spelling of it — also as the first level of a child such as
 * "inbox/Receipts" — is stored as "INBOX"; every other name is case-sensitive and kept as given.
 */
export function normalizeMailboxName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new StoreError('INVALID', 'A mailbox name cannot be empty.');
  }
  if (/[\0\r\n]/.test(name)) {
    throw new StoreError('INVALID', 'A mailbox name cannot contain NUL, CR or LF.');
  }
  const levels = name.split(MAILBOX_DELIMITER);
  if (levels.some((level) => level.length === 0)) {
    throw new StoreError('INVALID', `The mailbox name "${name}" has an empty hierarchy level.`);
  }
  if (levels[0]!.toUpperCase() === 'INBOX') levels[0] = 'INBOX';
  return levels.join(MAILBOX_DELIMITER);
}

export function isInbox(normalizedName: string): boolean {
  return normalizedName === 'INBOX';
}

/**
 * The new full name of `name` when `from` is renamed to `to`, or null when `name` is neither
 * `from` nor one of its descendants.
 */
export function renamedName(name: string, from: string, to: string): string | null {
  if (name === from) return to;
  if (name.startsWith(from + MAILBOX_DELIMITER)) return to + name.slice(from.length);
  return null;
}

export const SPECIAL_USES: readonly SpecialUse[] = [
  '\\Drafts', '\\Sent', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged',
];

export function checkSpecialUse(value: SpecialUse | null | undefined): SpecialUse | null {
  if (value === undefined || value === null) return null;
  if (!SPECIAL_USES.includes(value)) {
    throw new StoreError('INVALID', `"${String(value)}" is not a special-use attribute (RFC 6154 §2).`);
  }
  return value;
}

// ---- flags -------------------------------------------------------------------------------

/**
 * The system flags a client may store (RFC 9051 §2.3.2). ABNF strings are case-insensitive
 * (RFC 5234 §2.3), so "\seen" is "\Seen"; we store the canonical spelling. Other backslash
 * names are flag-extensions a server must not generate, and \Recent is session state (RFC 3501
 * §2.3.2), so neither can be stored.
 */
const SYSTEM_FLAGS = new Map(
  ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'].map((f) => [f.toLowerCase(), f]),
);

// flag-keyword = atom (RFC 9051 §9): printable US-ASCII without atom-specials
// ( "(" / ")" / "{" / SP / CTL / "%" / "*" / DQUOTE / "\" / "]" ).
const KEYWORD = /^[!#$&'+,\-./0-9:;<=>?@A-Z[^_`a-z|}~]+$/;

/** Returns the flags canonicalised, unique and sorted, or raises INVALID. */
export function normalizeFlags(flags: readonly Flag[] | undefined): Flag[] {
  if (flags === undefined) return [];
  if (!Array.isArray(flags)) throw new StoreError('INVALID', 'Flags must be a list.');
  const out = new Set<Flag>();
  for (const flag of flags) {
    if (typeof flag !== 'string') throw new StoreError('INVALID', 'A flag must be a string.');
    if (flag.startsWith('\\')) {
      const system = SYSTEM_FLAGS.get(flag.toLowerCase());
      if (!system) throw new StoreError('INVALID', `"${flag}" is not a flag that can be stored.`);
      out.add(system);
    } else if (KEYWORD.test(flag)) {
      out.add(flag);
    } else {
      throw new StoreError('INVALID', `"${flag}" is not a valid flag keyword (RFC 9051 §9 atom).`);
    }
  }
  return [...out].sort();
}

/** The flags a message has after `op` with already-normalised `flags`; sorted and unique. */
export function applyFlagOperation(current: readonly Flag[], op: FlagOperation, flags: readonly Flag[]): Flag[] {
  switch (op) {
    case 'set':
      return [...flags];
    case 'add':
      return [...new Set([...current, ...flags])].sort();
    case 'remove': {
      const drop = new Set(flags);
      return current.filter((f) => !drop.has(f));
    }
    default:
      throw new StoreError('INVALID', `Unknown flag operation "${String(op)}".`);
  }
}

export function sameFlags(a: readonly Flag[], b: readonly Flag[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

export function checkFlagOperation(op: FlagOperation): void {
  if (op !== 'set' && op !== 'add' && op !== 'remove') {
    throw new StoreError('INVALID', `Unknown flag operation "${String(op)}".`);
  }
}

// ---- UIDs, modseqs, blobs, dates ----------------------------------------------------------

/** UIDs deduplicated and ascending; each must be an nz-number (RFC 9051 §9). */
export function normalizeUids(uids: readonly number[]): number[] {
  if (!Array.isArray(uids)) throw new StoreError('INVALID', 'UIDs must be a list.');
  for (const uid of uids) {
    if (!Number.isInteger(uid) || uid < 1 || uid > MAX_UINT32) {
      throw new StoreError('INVALID', `${String(uid)} is not a valid UID.`);
    }
  }
  return [...new Set(uids)].sort((a, b) => a - b);
}

export function checkModseq(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreError('INVALID', `${what} must be a non-negative integer.`);
  }
}

export function checkId(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new StoreError('INVALID', `${what} must be a positive integer.`);
  }
}

const BLOB_ID = /^[0-9a-f]{64}$/;

export function checkBlobId(blobId: string): void {
  if (typeof blobId !== 'string' || !BLOB_ID.test(blobId)) {
    throw new StoreError('INVALID', 'A blob id is the lower-case hex SHA-256 of the message.');
  }
}

export function checkRaw(raw: Buffer): void {
  if (!Buffer.isBuffer(raw)) throw new StoreError('INVALID', 'A message must be given as a Buffer.');
}

export function checkInternalDate(date: Date | undefined): Date {
  if (date === undefined) return new Date();
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new StoreError('INVALID', 'The internal date is not a valid date.');
  }
  return date;
}

// ---- accounts ------------------------------------------------------------------------------

// Login names are split on "\" and "/" and told apart by "@" (DESIGN §2, login names), so the
// parts they are made of must not contain those characters, or a login would be ambiguous.
const CONTROL = /[\x00-\x1f\x7f]/;

function identity(value: unknown, field: string, rule: 'address' | 'part'): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new StoreError('INVALID', `The ${field} cannot be empty.`);
  }
  if (CONTROL.test(value) || /\s/.test(value)) {
    throw new StoreError('INVALID', `The ${field} cannot contain spaces or control characters.`);
  }
  if (/[\\/]/.test(value)) {
    throw new StoreError('INVALID', `The ${field} cannot contain "\\" or "/".`);
  }
  if (rule === 'address') {
    const at = value.indexOf('@');
    if (at <= 0 || at !== value.lastIndexOf('@') || at === value.length - 1) {
      throw new StoreError('INVALID', `The ${field} "${value}" must have the form name@domain.`);
    }
  } else if (value.includes('@')) {
    throw new StoreError('INVALID', `The ${field} cannot contain "@".`);
  }
  return value;
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new StoreError('INVALID', `${field} must be true or false.`);
  return value;
}

function scram(value: unknown): ScramCredentials | null {
  if (value === null) return null;
  const s = value as ScramCredentials;
  if (typeof s !== 'object' || !Buffer.isBuffer(s.salt) || !Buffer.isBuffer(s.storedKey) ||
      !Buffer.isBuffer(s.serverKey) || !Number.isInteger(s.iterations) || s.iterations < 1) {
    throw new StoreError('INVALID', 'SCRAM credentials need salt, storedKey and serverKey buffers and iterations ≥ 1.');
  }
  return { salt: s.salt, iterations: s.iterations, storedKey: s.storedKey, serverKey: s.serverKey };
}

function passwordHash(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length === 0) {
    throw new StoreError('INVALID', 'A password hash must be a non-empty string or null.');
  }
  return value;
}

/** Validates a new account and returns it with each name in its stored case. */
export function normalizeNewAccount(input: NewAccount): NewAccount {
  if (typeof input !== 'object' || input === null) throw new StoreError('INVALID', 'An account is required.');
  return {
    address: identity(input.address, 'address', 'address').toLowerCase(),
    upn: identity(input.upn, 'UPN', 'address').toLowerCase(),
    domain: identity(input.domain, 'domain', 'part').toUpperCase(),
    sam: identity(input.sam, 'SAM account name', 'part').toLowerCase(),
    alias: identity(input.alias, 'alias', 'part').toLowerCase(),
    passwordHash: passwordHash(input.passwordHash),
    scram: scram(input.scram),
    imapEnabled: bool(input.imapEnabled, 'imapEnabled'),
    popEnabled: bool(input.popEnabled, 'popEnabled'),
    smtpEnabled: bool(input.smtpEnabled, 'smtpEnabled'),
    admin: bool(input.admin, 'admin'),
    disabled: bool(input.disabled, 'disabled'),
    shared: bool(input.shared, 'shared'),
  };
}

/** Validates a patch; only the keys present are returned. */
export function normalizeAccountPatch(patch: AccountPatch): AccountPatch {
  if (typeof patch !== 'object' || patch === null) throw new StoreError('INVALID', 'A patch is required.');
  if ('address' in patch || 'id' in patch || 'createdAt' in patch) {
    throw new StoreError('INVALID', 'The address, id and creation time of an account cannot be changed.');
  }
  const out: AccountPatch = {};
  if (patch.upn !== undefined) out.upn = identity(patch.upn, 'UPN', 'address').toLowerCase();
  if (patch.domain !== undefined) out.domain = identity(patch.domain, 'domain', 'part').toUpperCase();
  if (patch.sam !== undefined) out.sam = identity(patch.sam, 'SAM account name', 'part').toLowerCase();
  if (patch.alias !== undefined) out.alias = identity(patch.alias, 'alias', 'part').toLowerCase();
  if (patch.passwordHash !== undefined) out.passwordHash = passwordHash(patch.passwordHash);
  if (patch.scram !== undefined) out.scram = scram(patch.scram);
  for (const key of ['imapEnabled', 'popEnabled', 'smtpEnabled', 'admin', 'disabled', 'shared'] as const) {
    if (patch[key] !== undefined) out[key] = bool(patch[key], key);
  }
  return out;
}

/** Lookup keys are compared case-insensitively: every stored name is in one case. */
export function lookupKey(value: string): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

export function lookupDomain(value: string): string {
  return typeof value === 'string' ? value.toUpperCase() : '';
}

/** Which unique field a duplicate violated, in words for the error message. */
export function duplicateMessage(field: string): string {
  switch (field) {
    case 'address': return 'An account with this address already exists.';
    case 'upn': return 'An account with this UPN already exists.';
    case 'alias': return 'An account with this alias already exists.';
    case 'sam': return 'An account with this SAM account name already exists in the domain.';
    default: return 'An account with these names already exists.';
  }
}
