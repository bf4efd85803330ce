// Account administration (`postern user …`, `postern permission …`), shared by the CLI and
// the dev server. Defaults follow Exchange (DESIGN §2, issue #2): UPN = address, domain = the
// first label of the address's domain upper-cased, SAM name and alias = the local part.
import type { Account, AccountPatch, MailStore, SpecialUse } from '../store/types.js';
import { hashPassword, type PasswordHashPolicy } from '../auth/passwords.js';
import { deriveScramCredentials } from '../wire/sasl/server.js';

export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface NewUserOptions {
  address: string;
  password?: string;
  upn?: string;
  domain?: string;
  sam?: string;
  alias?: string;
  admin?: boolean;
  shared?: boolean;
}

export interface PasswordPolicy {
  hash: PasswordHashPolicy;
  scramIterations: number;
}

/** The folders every new account gets (RFC 6154 special-use). */
export const DEFAULT_FOLDERS: Array<[string, SpecialUse | null]> = [
  ['INBOX', null], ['Drafts', '\\Drafts'], ['Sent', '\\Sent'], ['Trash', '\\Trash'], ['Junk', '\\Junk'], ['Archive', '\\Archive'],
];

const ADDRESS = /^[^\s@\\/"<>()]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$|^[^\s@\\/"<>()]+@localhost$/;
const NAME_PART = /^[A-Za-z0-9._-]{1,64}$/;

export function validateAddress(address: string): string {
  const a = address.trim().toLowerCase();
  if (!ADDRESS.test(a)) throw new AdminError(`"${address}" is not an email address: write it as name@domain.example.`);
  return a;
}

export async function passwordFields(password: string, policy: PasswordPolicy): Promise<Pick<Account, 'passwordHash' | 'scram'>> {
  if (password.length === 0) throw new AdminError('The password is empty: give at least one character.');
  return {
    passwordHash: await hashPassword(password, policy.hash),
    scram: deriveScramCredentials(password, { iterations: policy.scramIterations }),
  };
}

export async function addUser(store: MailStore, options: NewUserOptions, policy: PasswordPolicy): Promise<Account> {
  const address = validateAddress(options.address);
  const [local, domainPart] = address.split('@') as [string, string];
  const sam = (options.sam ?? local).toLowerCase();
  const alias = (options.alias ?? local).toLowerCase();
  const domain = (options.domain ?? domainPart.split('.')[0]!).toUpperCase();
  for (const [what, v] of [['SAM name', sam], ['alias', alias], ['domain', domain]] as const) {
    if (!NAME_PART.test(v)) throw new AdminError(`The ${what} "${v}" may hold only letters, digits, ".", "_" and "-".`);
  }
  const upn = (options.upn ?? address).toLowerCase();
  if (!/^[^\s@\\/]+@[^\s@\\/]+$/.test(upn)) throw new AdminError(`The UPN "${upn}" must look like name@domain.`);
  if (await store.findAccountByAddress(address)) throw new AdminError(`${address} exists already: use "postern user set" to change it.`);
  if (await store.findAccountByUpn(upn)) throw new AdminError(`Another account already has the UPN ${upn}: give --upn a unique value.`);
  if (await store.findAccountByAlias(alias)) throw new AdminError(`Another account already has the alias ${alias}: give --alias a unique value.`);
  if ((await store.findAccountsBySam(sam, domain)).length) throw new AdminError(`Another account in domain ${domain} already has the SAM name ${sam}: give --sam a unique value.`);
  if (options.shared && options.password) throw new AdminError('A shared mailbox cannot log in, so it takes no password: drop --password-stdin or --shared.');
  const creds = options.password !== undefined ? await passwordFields(options.password, policy) : { passwordHash: null, scram: null };
  const account = await store.createAccount({
    address, upn, domain, sam, alias, ...creds,
    imapEnabled: true, popEnabled: true, smtpEnabled: true,
    admin: options.admin ?? false, disabled: false, shared: options.shared ?? false,
  });
  for (const [name, use] of DEFAULT_FOLDERS) {
    if (!(await store.getMailbox(account.id, name))) await store.createMailbox(account.id, name, use);
  }
  return account;
}

export interface UserChanges {
  imapEnabled?: boolean;
  popEnabled?: boolean;
  smtpEnabled?: boolean;
  disabled?: boolean;
  admin?: boolean;
  password?: string;
}

export async function setUser(store: MailStore, address: string, changes: UserChanges, policy: PasswordPolicy): Promise<Account> {
  const account = await requireAccount(store, address);
  const patch: AccountPatch = {};
  if (changes.imapEnabled !== undefined) patch.imapEnabled = changes.imapEnabled;
  if (changes.popEnabled !== undefined) patch.popEnabled = changes.popEnabled;
  if (changes.smtpEnabled !== undefined) patch.smtpEnabled = changes.smtpEnabled;
  if (changes.disabled !== undefined) patch.disabled = changes.disabled;
  if (changes.admin !== undefined) patch.admin = changes.admin;
  if (changes.password !== undefined) {
    if (account.shared) throw new AdminError(`${account.address} is a shared mailbox and cannot log in, so it takes no password.`);
    Object.assign(patch, await passwordFields(changes.password, policy));
  }
  if (Object.keys(patch).length === 0) throw new AdminError('Nothing to change: give at least one option, e.g. --pop-enabled false.');
  return store.updateAccount(account.id, patch);
}

export async function requireAccount(store: MailStore, address: string): Promise<Account> {
  const a = address.trim().toLowerCase();
  const account = (await store.findAccountByAddress(a)) ?? (await store.findAccountByUpn(a)) ?? (a.includes('@') ? null : await store.findAccountByAlias(a));
  if (!account) throw new AdminError(`No account ${address}: list them with "postern user list".`);
  return account;
}

export async function removeUser(store: MailStore, address: string): Promise<void> {
  const account = await requireAccount(store, address);
  await store.deleteAccount(account.id);
}

export async function grantFullAccess(store: MailStore, mailbox: string, user: string): Promise<void> {
  const target = await requireAccount(store, mailbox);
  const grantee = await requireAccount(store, user);
  if (target.id === grantee.id) throw new AdminError('An account always has full access to its own mailbox.');
  await store.addGrant({ accountId: target.id, granteeId: grantee.id, access: 'full' });
}

export async function revokeFullAccess(store: MailStore, mailbox: string, user: string): Promise<void> {
  const target = await requireAccount(store, mailbox);
  const grantee = await requireAccount(store, user);
  await store.removeGrant(target.id, grantee.id);
}

/** The public view of an account (`user list --json`): never hashes or keys. */
export function describeAccount(a: Account, grants: string[] = []): Record<string, unknown> {
  return {
    address: a.address, upn: a.upn, domain: a.domain, sam: a.sam, alias: a.alias,
    imapEnabled: a.imapEnabled, popEnabled: a.popEnabled, smtpEnabled: a.smtpEnabled,
    admin: a.admin, disabled: a.disabled, shared: a.shared, hasPassword: a.passwordHash !== null,
    fullAccessFor: grants, createdAt: a.createdAt.toISOString(),
  };
}
