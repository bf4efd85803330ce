// One authentication module for every protocol: login-name resolution (seed 003), password
// and SCRAM verification, delegation (FullAccess), per-user protocol switches, admin bar,
// constant failure delay, lockout per user+IP, and a verified-credential cache.
import { createHmac, randomBytes } from 'node:crypto';
import type { Account, MailStore, ScramCredentials } from '../store/types.js';
import type { MailAccessProtocol } from '../config/schema.js';
import { parseLoginName, type LoginName } from './login-name.js';
import { decoyHash, verifyPassword, type PasswordHashPolicy } from './passwords.js';
import { LockoutTracker } from './lockout.js';
import { issueMailAccess, type MailAccess } from './mail-access.js';

export interface AuthenticatorOptions {
  defaultDomain?: string;
  failureDelayMs: number;
  lockout: { threshold: number; windowMs: number; durationMs: number };
  allowAdminMailAccess: boolean;
  credentialCacheTtlMs: number;
  passwordHash: PasswordHashPolicy;
}

export type AuthFailureCode =
  | 'invalid-credentials'   // unknown user, wrong password, invalid name, shared or disabled account
  | 'locked-out'            // too many failures from this address
  | 'protocol-disabled'     // PopEnabled/ImapEnabled/SmtpEnabled false
  | 'admin-barred'          // admin accounts may not use POP3/IMAP
  | 'no-access'             // delegation target exists but no FullAccess grant
  | 'temporary';            // the store failed

export interface AuthFailure { code: AuthFailureCode; message: string }
export type AuthOutcome = { ok: true; access: MailAccess } | { ok: false; failure: AuthFailure };

export interface LoginContext {
  protocol: MailAccessProtocol;
  remoteIp: string;
}

const GENERIC = 'Authentication failed.';

export class Authenticator {
  private readonly lockout: LockoutTracker;
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, number>();
  private decoy: Promise<string> | null = null;

  constructor(private readonly store: MailStore, private options: AuthenticatorOptions) {
    this.lockout = new LockoutTracker(() => this.options.lockout);
  }

  /** Settings changed in postern.yaml apply to the next login. */
  updateOptions(options: AuthenticatorOptions): void {
    this.options = options;
  }

  /**
   * USER/PASS, IMAP LOGIN, SASL PLAIN and LOGIN. `authzid` is SASL's authorization identity:
   * the standard spelling of `user\alias` delegation (an address, UPN or alias).
   */
  async loginWithPassword(loginName: string, password: string, authzid: string | null, ctx: LoginContext): Promise<AuthOutcome> {
    const started = Date.now();
    const lockKey = `${loginName.toLowerCase()}|${ctx.remoteIp}`;
    try {
      if (this.lockout.isLocked(lockKey)) return await this.fail(started, 'locked-out', 'Too many failed logins from your address; try again later.');
      const resolved = await this.resolve(loginName, authzid);
      if (!resolved) {
        await verifyPassword(password, await this.decoyHashFor()); // same cost as a real miss
        this.lockout.recordFailure(lockKey);
        return await this.fail(started, 'invalid-credentials', GENERIC);
      }
      const { identity } = resolved;
      const ok = identity.passwordHash !== null && (this.cached(identity, password) || await verifyPassword(password, identity.passwordHash));
      if (!ok) {
        this.lockout.recordFailure(lockKey);
        return await this.fail(started, 'invalid-credentials', GENERIC);
      }
      this.remember(identity, password);
      this.lockout.recordSuccess(lockKey);
      return await this.authorize(started, resolved, ctx);
    } catch (err) {
      return this.fail(started, 'temporary', `Temporary failure: ${(err as Error).message}`);
    }
  }

  /** SCRAM step 1: the stored keys for a login name (null: unknown, and the exchange goes on with decoys). */
  async scramCredentialsFor(loginName: string, authzid: string | null): Promise<ScramCredentials | null> {
    const resolved = await this.resolve(loginName, authzid).catch(() => null);
    return resolved?.identity.scram ?? null;
  }

  /** SCRAM step 2: the mechanism verified (or refuted) the client's proof. */
  async completeChallengeResponse(loginName: string, authzid: string | null, proofOk: boolean, ctx: LoginContext): Promise<AuthOutcome> {
    const started = Date.now();
    const lockKey = `${loginName.toLowerCase()}|${ctx.remoteIp}`;
    try {
      if (this.lockout.isLocked(lockKey)) return await this.fail(started, 'locked-out', 'Too many failed logins from your address; try again later.');
      const resolved = proofOk ? await this.resolve(loginName, authzid) : null;
      if (!resolved) {
        this.lockout.recordFailure(lockKey);
        return await this.fail(started, 'invalid-credentials', GENERIC);
      }
      this.lockout.recordSuccess(lockKey);
      return await this.authorize(started, resolved, ctx);
    } catch (err) {
      return this.fail(started, 'temporary', `Temporary failure: ${(err as Error).message}`);
    }
  }

  /** Finds the login identity and the mailbox to open; null for anything that cannot log in. */
  private async resolve(loginName: string, authzid: string | null): Promise<{ identity: Account; target: Account | null; targetName: string | null } | null> {
    const parsed = parseLoginName(loginName);
    if (parsed.form === 'invalid') return null;
    const identity = await this.findIdentity(parsed);
    if (!identity || identity.shared || identity.disabled) return null;
    let targetName: string | null = null;
    if (parsed.form === 'domain-sam-alias' || parsed.form === 'upn-alias') targetName = parsed.alias;
    if (authzid) {
      const az = authzid.toLowerCase();
      const selfNames = [identity.address, identity.upn, identity.alias, loginName.toLowerCase()];
      if (!selfNames.includes(az)) {
        if (targetName !== null) return null; // two different delegation targets
        targetName = az;
      }
    }
    let target: Account | null = null;
    if (targetName !== null) {
      target = targetName.includes('@')
        ? (await this.store.findAccountByAddress(targetName)) ?? (await this.store.findAccountByUpn(targetName))
        : await this.store.findAccountByAlias(targetName);
      if (target?.id === identity.id) target = null;
    }
    return { identity, target, targetName };
  }

  private async findIdentity(name: LoginName): Promise<Account | null> {
    switch (name.form) {
      case 'sam': {
        // Seed 003: a SAM-name login skips disabled accounts, and must be unambiguous.
        const found = (await this.store.findAccountsBySam(name.sam, this.options.defaultDomain?.toUpperCase() ?? null))
          .filter((a) => !a.disabled && !a.shared);
        return found.length === 1 ? found[0]! : null;
      }
      case 'domain-sam':
      case 'domain-sam-alias': {
        const found = (await this.store.findAccountsBySam(name.sam, name.domain)).filter((a) => !a.disabled && !a.shared);
        return found.length === 1 ? found[0]! : null;
      }
      case 'upn':
      case 'upn-alias':
        return this.store.findAccountByUpn(name.upn);
      case 'domain-upn': {
        const a = await this.store.findAccountByUpn(name.upn);
        return a && a.domain === name.domain ? a : null;
      }
    }
  }

  /** The password was right: now the account's switches and the delegation grant decide. */
  private async authorize(started: number, r: { identity: Account; target: Account | null; targetName: string | null }, ctx: LoginContext): Promise<AuthOutcome> {
    const { identity } = r;
    if (r.targetName !== null && !r.target) return this.fail(started, 'no-access', `No mailbox "${r.targetName}" that you may open.`);
    const owner = r.target ?? identity;
    if (identity.admin && !this.options.allowAdminMailAccess && ctx.protocol !== 'submission') {
      return this.fail(started, 'admin-barred', `Administrator accounts may not use ${protocolLabel(ctx.protocol)}.`);
    }
    for (const a of owner === identity ? [identity] : [identity, owner]) {
      if (!protocolEnabled(a, ctx.protocol)) {
        return this.fail(started, 'protocol-disabled', `${protocolLabel(ctx.protocol)} access is disabled for ${a.address}; ask your administrator.`);
      }
    }
    if (owner !== identity && !(await this.store.hasGrant(owner.id, identity.id, 'full'))) {
      return this.fail(started, 'no-access', `No mailbox "${r.targetName}" that you may open.`);
    }
    return { ok: true, access: issueMailAccess(identity, owner, this.store) };
  }

  private async fail(started: number, code: AuthFailureCode, message: string): Promise<AuthOutcome> {
    const wait = this.options.failureDelayMs - (Date.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return { ok: false, failure: { code, message } };
  }

  private cacheEntryKey(identity: Account, password: string): string {
    return createHmac('sha256', this.cacheKey).update(`${identity.id}\0${identity.passwordHash}\0${password}`).digest('base64');
  }

  private cached(identity: Account, password: string): boolean {
    if (this.options.credentialCacheTtlMs <= 0) return false;
    const key = this.cacheEntryKey(identity, password);
    const until = this.verified.get(key);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.verified.delete(key);
      return false;
    }
    return true;
  }

  private remember(identity: Account, password: string): void {
    if (this.options.credentialCacheTtlMs <= 0) return;
    if (this.verified.size > 50_000) this.verified.clear();
    this.verified.set(this.cacheEntryKey(identity, password), Date.now() + this.options.credentialCacheTtlMs);
  }

  private decoyHashFor(): Promise<string> {
    this.decoy ??= decoyHash(this.options.passwordHash);
    return this.decoy;
  }
}

function protocolEnabled(a: Account, p: MailAccessProtocol): boolean {
  return p === 'imap' ? a.imapEnabled : p === 'pop3' ? a.popEnabled : a.smtpEnabled;
}

function protocolLabel(p: MailAccessProtocol): string {
  return p === 'imap' ? 'IMAP' : p === 'pop3' ? 'POP3' : 'SMTP';
}
