// Who may send what to whom: local domains, recipient resolution per service (submission, MX,
// LMTP), and the send-as check for authenticated senders (Exchange's Send As; RFC 6409 §6.1
// lets an MSA refuse a sender the user does not own).
import type { MailAccess } from '../../auth/mail-access.js';
import type { SendAsPolicy } from '../../config/schema.js';
import type { Account, MailStore } from '../../store/types.js';
import type { EnvelopeAddress } from '../../wire/smtp/address.js';
import type { RcptParams } from '../../wire/smtp/command.js';
import type { ServerContext } from '../common/context.js';
import { findRecipient } from '../delivery/local.js';
import { RelayDenied, SmtpError, UnknownRecipient } from './errors.js';
import type { AcceptedRecipient, SmtpMode } from './session.js';

/** How long the set of account domains is reused before it is read again. */
const DOMAIN_CACHE_MS = 5000;

interface DomainCache { at: number; domains: Set<string> }
const caches = new WeakMap<MailStore, DomainCache>();

/**
 * Domains we are the final destination for: `acceptedDomains`, our host name, and the domain
 * of every account (so adding a user in a new domain needs no second step).
 */
export async function localDomains(ctx: ServerContext): Promise<Set<string>> {
  let cache = caches.get(ctx.store);
  if (!cache || Date.now() - cache.at > DOMAIN_CACHE_MS) {
    const accounts = await ctx.store.listAccounts();
    const domains = new Set<string>();
    for (const a of accounts) {
      domains.add(a.address.slice(a.address.lastIndexOf('@') + 1));
      if (a.upn.includes('@')) domains.add(a.upn.slice(a.upn.lastIndexOf('@') + 1));
    }
    cache = { at: Date.now(), domains };
    caches.set(ctx.store, cache);
  }
  const out = new Set(cache.domains);
  for (const d of ctx.config().acceptedDomains) out.add(d);
  out.add(ctx.hostname.toLowerCase());
  return out;
}

/** Forgets the cached account domains (after adding accounts in tests or admin tools). */
export function forgetLocalDomains(store: MailStore): void {
  caches.delete(store);
}

/**
 * Decides one RCPT TO. Submission: local accounts get the mail directly, unknown addresses in
 * our own domains are refused, everything else goes to the smarthost (if there is one). MX:
 * only our domains, existing mailboxes. LMTP: existing mailboxes only.
 */
export async function resolveRecipient(ctx: ServerContext, mode: SmtpMode, to: EnvelopeAddress, postmaster: boolean, params: RcptParams): Promise<AcceptedRecipient> {
  const base = { notify: params.notify, orcpt: params.orcpt };
  // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain must be accepted: it is ours.
  const lookup = postmaster ? `postmaster@${ctx.hostname.toLowerCase()}` : to.address;
  const account = await findLocalAccount(ctx.store, lookup);
  if (account) return { ...base, address: lookup, account };
  if (postmaster) throw new SmtpError(550, '5.1.1', '<Postmaster>: no postmaster mailbox is set up here.');
  if (mode === 'lmtp') throw new UnknownRecipient(to.address);
  const local = (await localDomains(ctx)).has(to.domain);
  if (local) throw new UnknownRecipient(to.address);
  if (mode === 'smtp') throw new RelayDenied(to.address, 'this server is not the destination for that domain.');
  if (!ctx.config().relay || !ctx.outbound) throw new RelayDenied(to.address, 'no smarthost is configured for outgoing mail.');
  return { ...base, address: to.address, account: null };
}

async function findLocalAccount(store: MailStore, address: string): Promise<Account | null> {
  // Only full addresses (or UPNs) name a mailbox over SMTP; aliases are login nicknames.
  if (!address.includes('@')) return null;
  return findRecipient(store, address);
}

/**
 * May the logged-in user use `address` as a sender (MAIL FROM, From:)? own: the login's own
 * address or UPN, or the mailbox it logged in to (user\alias, already checked for FullAccess);
 * fullAccess: also any mailbox the user holds FullAccess on; any: everything.
 */
export async function maySendAs(access: MailAccess, address: string, policy: SendAsPolicy): Promise<boolean> {
  if (policy === 'any') return true;
  const a = address.toLowerCase();
  const own = (x: Account) => x.address === a || x.upn === a;
  if (own(access.identity) || own(access.owner)) return true;
  if (policy === 'own') return false;
  const target = await findLocalAccount(access.store, a);
  if (!target) return false;
  return access.store.hasGrant(target.id, access.identity.id, 'full');
}
