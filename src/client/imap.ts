// IMAP client (RFC 9051 / RFC 3501; STARTTLS; SASL-IR RFC 4959; LITERAL+ RFC 7888; UIDPLUS
// RFC 4315; CONDSTORE/QRESYNC RFC 7162; MOVE RFC 6851; ESEARCH RFC 4731; SPECIAL-USE RFC 6154; IDLE
// RFC 2177; ENABLE/UTF8=ACCEPT RFC 5161/6855; BINARY RFC 3516).
//
//   const imap = await ImapClient.connect({ host: 'imap.example.com' });   // 993, implicit TLS
//   await imap.login('alice@example.com', password);
//   await imap.select('INBOX');
//   for await (const m of imap.fetch('1:*', { envelope: true, flags: true })) console.log(m.uid, m.envelope?.subject);
//   await imap.logout();
//
// One command runs at a time, in call order. A fetch iterator holds the connection while it
// is consumed; a command issued meanwhile (even from inside the for-await loop) is queued and
// the iterator reads the rest of its answer ahead into memory so the command can run — queued,
// never deadlocked. idle() holds the connection between events and gives it up (DONE) as soon
// as another command is waiting.
import { EventEmitter } from 'node:events';
import { MailBuilder } from '../wire/mime/builder.js';
import {
  ImapResponseReader,
  isList,
  valueBigInt,
  valueNumber,
  valueText,
  type ImapReadStep,
  type ImapResponse,
  type ResponseCode,
} from '../wire/imap/client-response.js';
import { CommandBuilder, appendDate, appendSearch, flagList, formatSequence, type SearchCriteria, type SequenceInput } from '../wire/imap/client-command.js';
import {
  expandNumberSet,
  fetchItems,
  parseAppendUid,
  parseCopyUid,
  parseEsearch,
  parseFetchAttributes,
  parseListEntry,
  parseNamespace,
  parseStatus,
  parseVanished,
  type CopyUid,
  type ListEntry,
  type MailboxStatus,
  type Namespaces,
} from '../wire/imap/client-fetch.js';
import { encodeMailboxName } from '../wire/imap/mutf7.js';
import { MailClientError, type MailClientErrorCode } from './errors.js';
import { PROFILES, resolveEndpoint } from './options.js';
import { Transport } from './transport.js';
import { Serial } from './serial.js';
import { authFailed, chooseMechanism, cleartextRefused, makeExchange, oauthLogin, runExchange, type MechanismContext, type SaslChannel, type SaslServerStep, type TokenSource } from './sasl-login.js';
import { FetchIterator, type FetchPlan } from './imap-fetch.js';
import { IdleIterator } from './imap-idle.js';
import type { TlsInfo } from './tls.js';
import type {
  AppendOptions,
  AppendResult,
  CallOptions,
  FetchOptions,
  FetchQuery,
  FetchedMessage,
  IdleOptions,
  ImapClientOptions,
  ImapEvent,
  LoginOptions,
  MailboxInfo,
  SelectOptions,
  StoreOptions,
  StoreResult,
} from './imap-types.js';

const PROFILE = PROFILES.imap;

type Status = Extract<ImapResponse, { kind: 'status' }>;
type Untagged = Extract<ImapResponse, { kind: 'data' }> | Status;
type ReadyStep = Exclude<ImapReadStep, { kind: 'need-more' | 'error' }>;
export type StreamStep = Extract<ImapReadStep, { kind: 'literal-start' | 'literal-data' | 'literal-end' }>;

/** How a running command sees the responses that belong to it. */
export interface ExecHandlers {
  /** Return true when the response was used up (no global handling). May wait (flow control). */
  untagged?: (r: Untagged) => boolean | Promise<boolean>;
  stream?: (step: StreamStep) => void | Promise<void>;
  /** "+ …" continuation; only for AUTHENTICATE and IDLE. */
  continuation?: (text: string) => void | Promise<void>;
  /** Reads without a deadline until `armDeadline` is called (IDLE). */
  noDeadline?: boolean;
  waitingFor?: string;
}

type SessionState = 'not-authenticated' | 'authenticated' | 'selected';

type Credentials =
  | { kind: 'password'; user: string; password: string; options: LoginOptions }
  | { kind: 'oauth'; user: string; token: TokenSource; options: LoginOptions };

export declare interface ImapClient {
  on(event: 'exists', listener: (e: Extract<ImapEvent, { type: 'exists' }>) => void): this;
  on(event: 'expunge', listener: (e: Extract<ImapEvent, { type: 'expunge' }>) => void): this;
  on(event: 'vanished', listener: (e: Extract<ImapEvent, { type: 'vanished' }>) => void): this;
  on(event: 'flags', listener: (e: Extract<ImapEvent, { type: 'flags' }>) => void): this;
  on(event: 'alert', listener: (e: Extract<ImapEvent, { type: 'alert' }>) => void): this;
  /** The connection ended; `error` says why when it was not logout()/close(). */
  on(event: 'close', listener: (error?: MailClientError) => void): this;
}

export class ImapClient extends EventEmitter {
  private t!: Transport;
  private reader!: ImapResponseReader;
  private readonly serial = new Serial();
  private tagCounter = 0;
  private caps = new Set<string>();
  private enabled = new Set<string>();
  private state: SessionState = 'not-authenticated';
  private current: MailboxInfo | null = null;
  private selectOptions: SelectOptions | null = null;
  private credentials: Credentials | null = null;
  private byeText: string | null = null;
  /** Events are not reported while SELECT reads the mailbox's initial state. */
  private quiet = false;
  /** idle() iterators listening for events. */
  readonly eventSinks = new Set<(e: ImapEvent) => void>();
  /** logout() or close() was called: the 'close' event carries no error. */
  private ending = false;
  /** The greeting's text. */
  greeting = '';

  private constructor(private readonly options: ImapClientOptions) {
    super();
  }

  static async connect(options: ImapClientOptions): Promise<ImapClient> {
    const client = new ImapClient(options);
    await client.open(options.signal);
    return client;
  }

  private async open(signal?: AbortSignal): Promise<void> {
    const endpoint = resolveEndpoint(PROFILE, this.options);
    const t = await Transport.open(PROFILE, endpoint, { ...this.options, ...(signal ? { signal } : {}) });
    this.t = t;
    this.reader = new ImapResponseReader({ ...(this.options.maxLiteralBytes !== undefined && { maxLiteralBytes: this.options.maxLiteralBytes }) });
    this.caps = new Set();
    this.enabled = new Set();
    this.state = 'not-authenticated';
    this.byeText = null;
    this.ending = false;
    t.onClose((err) => {
      if (this.t !== t) return;
      const why = this.byeText !== null && err.code === 'connection-closed' ? new MailClientError('connection-closed', `${t.where()} ended the session: ${this.byeText}`, t.details({ response: this.byeText })) : err;
      this.emit('close', this.ending ? undefined : why);
    });
    try {
      await this.handshake(signal);
    } catch (err) {
      t.fail(err instanceof MailClientError ? err : new MailClientError('protocol-error', String(err), t.details()));
      throw err;
    }
  }

  private async handshake(signal?: AbortSignal): Promise<void> {
    const step = await this.t.readGreeting(this.reader, () => this.poll(), 'A0 LOGOUT\r\n', signal);
    if (step.kind !== 'response' || step.response.kind !== 'status' || step.response.tag !== '*') {
      throw this.protocolError('something other than a greeting');
    }
    const g = step.response;
    this.t.logServer(logText(step.text));
    this.greeting = g.text;
    if (g.status === 'BYE') {
      throw new MailClientError('greeting-refused', `${this.t.where()} refused the session: ${g.text}`, this.t.details({ response: g.text }));
    }
    if (g.status !== 'OK' && g.status !== 'PREAUTH') throw this.protocolError(`a greeting with status ${g.status}`);
    if (g.code?.name === 'CAPABILITY') this.setCaps(g.code);
    const plan = this.t.endpoint.plan;
    if (g.status === 'PREAUTH') {
      if (plan === 'starttls') {
        // RFC 9051 §7.1.4: STARTTLS is impossible after PREAUTH; a client that needs TLS closes.
        throw new MailClientError('starttls-not-offered', `${this.t.where()} pre-authenticated the session in plaintext (PREAUTH), so STARTTLS cannot follow and security '${this.t.endpoint.security}' requires it; use security: 'tls' (port 993)`, this.t.details());
      }
      this.state = 'authenticated';
    }
    if (this.caps.size === 0) await this.capabilityLocked(signal);
    if (plan !== 'starttls') return;
    if (!this.caps.has('STARTTLS')) {
      throw new MailClientError(
        'starttls-not-offered',
        `${this.t.where()} does not offer STARTTLS, and security '${this.t.endpoint.security}' requires it — no silent downgrade to plaintext; use security: 'tls' (port 993) or 'none' to accept an unencrypted session`,
        this.t.details(),
      );
    }
    const r = await this.execLocked(new CommandBuilder('STARTTLS'), { ...(signal && { signal }) }, {});
    if (r.status !== 'OK') {
      throw new MailClientError('starttls-refused', `${this.t.where()} offered STARTTLS and then refused it: ${r.status} ${r.text}`, this.t.details({ command: 'STARTTLS', response: r.text }));
    }
    await this.t.upgrade(this.reader, signal);
    // RFC 9051 §6.2.1: capabilities from before TLS are forgotten and asked for again.
    this.caps = new Set();
    await this.capabilityLocked(signal);
  }

  // ---- state ----

  /** Upper-cased capability names ("IDLE", "AUTH=PLAIN", "LITERAL+"). */
  get capabilities(): ReadonlySet<string> {
    return this.caps;
  }

  has(capability: string): boolean {
    return this.caps.has(capability.toUpperCase());
  }

  /** The selected mailbox, kept current by EXISTS/EXPUNGE/VANISHED. */
  get mailbox(): MailboxInfo | null {
    return this.current;
  }

  get authenticated(): boolean {
    return this.state !== 'not-authenticated';
  }

  get secure(): boolean {
    return this.t.encrypted;
  }

  get tls(): TlsInfo | null {
    return this.t.tlsInfo;
  }

  get discardedBeforeTls(): number {
    return this.t.discardedBeforeTls;
  }

  get closed(): boolean {
    return this.t.closed;
  }

  /** UTF-8 mailbox names and strings are on (ENABLE UTF8=ACCEPT). */
  get utf8(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  // ---- login ----

  /**
   * Logs in with the strongest mechanism offered: SCRAM (-PLUS with TLS 1.3), then PLAIN, then
   * the LOGIN command; cleartext only over TLS or with allowCleartextPassword.
   */
  async login(user: string, password: string, options: LoginOptions = {}): Promise<void> {
    await this.serial.run(() => this.doLogin({ kind: 'password', user, password, options }), options.signal);
  }

  /** OAuth 2.0 (OAUTHBEARER or XOAUTH2); a function token source is asked again when the
   * server says the token expired. */
  async loginOAuth2(user: string, token: TokenSource, options: LoginOptions = {}): Promise<void> {
    await this.serial.run(() => this.doLogin({ kind: 'oauth', user, token, options }), options.signal);
  }

  private async doLogin(creds: Credentials): Promise<void> {
    if (this.state !== 'not-authenticated') throw this.invalid('already logged in');
    const { options } = creds;
    const ctx = this.mechanismContext();
    const offered = [...this.caps].filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5));
    const wanted = options.mechanism?.toUpperCase();
    let tagged: Status;
    const last: { status: Status | null } = { status: null };
    const keep = (s: Status): void => {
      last.status = s;
    };
    if (creds.kind === 'oauth') {
      const mechanism = chooseMechanism(offered, ctx, 'oauth', wanted);
      await oauthLogin(creds.token, (tok) => runExchange(this.saslChannel(options, keep), makeExchange(mechanism, { username: creds.user, token: tok, host: this.t.endpoint.host, port: this.t.endpoint.port }, ctx)), ctx, creds.user);
      tagged = last.status!;
    } else {
      const loginCommand = !this.caps.has('LOGINDISABLED');
      let mechanism: string | null = null;
      if (wanted !== 'LOGIN') {
        try {
          mechanism = chooseMechanism(offered, ctx, 'password', wanted);
        } catch (err) {
          if (wanted || !loginCommand || !(err instanceof MailClientError)) throw err;
          if (err.code === 'cleartext-refused') throw cleartextRefused([...offered.filter((m) => /^(PLAIN|LOGIN)$/.test(m)), 'the LOGIN command'], ctx);
        }
      } else if (!loginCommand) {
        throw new MailClientError('no-mechanism', `${this.t.where()} disables the LOGIN command here (LOGINDISABLED)`, this.t.details());
      }
      if (mechanism) {
        const exchange = makeExchange(mechanism, { username: creds.user, password: creds.password, ...(options.authzid !== undefined && { authzid: options.authzid }) }, ctx);
        const result = await runExchange(this.saslChannel(options, keep), exchange);
        if (!result.ok) throw authFailed(result, ctx, creds.user);
        tagged = last.status!;
      } else {
        if (!ctx.encrypted && !ctx.allowCleartext) throw cleartextRefused(['the LOGIN command'], ctx);
        const cmd = new CommandBuilder('LOGIN').string(creds.user, { utf8: this.utf8 }).string(creds.password, { sensitive: true, utf8: this.utf8 });
        tagged = await this.execLocked(cmd, options, {});
        if (tagged.status !== 'OK') {
          throw authFailed({ ok: false, text: tagged.text, mechanism: 'LOGIN', serverError: null, details: { status: tagged.status as 'NO' | 'BAD', ...(tagged.code && { responseCode: tagged.code.name }) } }, ctx, creds.user);
        }
      }
    }
    this.state = 'authenticated';
    this.credentials = creds;
    this.t.event(`logged in as ${creds.user}`);
    // RFC 9051 §6.2.2: capabilities may change after login; the OK may carry them.
    if (tagged?.code?.name === 'CAPABILITY') this.setCaps(tagged.code);
    else await this.capabilityLocked(options.signal);
    if ((this.options.enableUtf8 ?? true) && this.caps.has('UTF8=ACCEPT') && this.caps.has('ENABLE')) {
      await this.enableLocked(['UTF8=ACCEPT'], options);
    }
  }

  private mechanismContext(): MechanismContext {
    return {
      encrypted: this.t.encrypted,
      allowCleartext: this.options.allowCleartextPassword === true,
      channelBinding: this.t.channelBinding(),
      where: this.t.where(),
      details: this.t.details(),
    };
  }

  /** AUTHENTICATE as a SaslChannel (RFC 9051 §6.2.2, SASL-IR RFC 4959). */
  private saslChannel(options: CallOptions, onTagged: (s: Status) => void): SaslChannel {
    let tag = '';
    return {
      initialResponse: this.caps.has('SASL-IR'),
      start: (mechanism, initial) => {
        tag = this.nextTag();
        this.t.send(`${tag} AUTHENTICATE ${mechanism}${initial === null ? '' : ` ${initial}`}\r\n`, `${tag} AUTHENTICATE ${mechanism}${initial === null ? '' : ' ***'}`);
      },
      respond: (line) => this.t.send(`${line}\r\n`, line === '*' ? '*' : '***'),
      next: async (): Promise<SaslServerStep> => {
        for (;;) {
          const step = await this.readStep(options, 'the answer to AUTHENTICATE');
          if (step.kind !== 'response') throw this.protocolError('a literal during AUTHENTICATE');
          const r = step.response;
          if (r.kind === 'continuation') {
            this.t.logServer('+ ***');
            return { kind: 'challenge', data: Buffer.from(r.text.trim(), 'base64') };
          }
          this.t.logServer(step.text);
          if (r.kind === 'status' && r.tag === tag) {
            onTagged(r);
            return { kind: 'done', ok: r.status === 'OK', text: `${r.status}${r.code ? ` [${r.code.name}]` : ''} ${r.text}`, details: { status: r.status === 'OK' ? undefined : (r.status as 'NO' | 'BAD'), ...(r.code && { responseCode: r.code.name }) } };
          }
          this.handleUntagged(r as Untagged);
        }
      },
    };
  }

  // ---- basic commands ----

  /** CAPABILITY: refreshes the list. */
  async capability(signal?: AbortSignal): Promise<ReadonlySet<string>> {
    return this.serial.run(() => this.capabilityLocked(signal), signal);
  }

  private async capabilityLocked(signal?: AbortSignal): Promise<ReadonlySet<string>> {
    const r = await this.execLocked(new CommandBuilder('CAPABILITY'), { ...(signal && { signal }) }, {});
    this.check('CAPABILITY', r);
    return this.caps;
  }

  async noop(options: CallOptions = {}): Promise<void> {
    await this.simple(new CommandBuilder('NOOP'), options);
  }

  /** ENABLE (RFC 5161); returns what the server enabled. */
  async enable(extensions: string[], options: CallOptions = {}): Promise<string[]> {
    return this.serial.run(() => this.enableLocked(extensions, options), options.signal);
  }

  private async enableLocked(extensions: string[], options: CallOptions): Promise<string[]> {
    const got: string[] = [];
    const cmd = new CommandBuilder('ENABLE');
    for (const e of extensions) cmd.atom(e);
    const r = await this.execLocked(cmd, options, {
      untagged: (u) => {
        if (u.kind === 'data' && u.name === 'ENABLED') {
          for (const v of u.values) if (typeof v === 'string') got.push(v.toUpperCase());
          return true;
        }
        return false;
      },
    });
    this.check('ENABLE', r);
    for (const g of got) this.enabled.add(g);
    return got;
  }

  /** NAMESPACE (RFC 2342), or the personal namespace "" when the server has none. */
  async namespace(options: CallOptions = {}): Promise<Namespaces> {
    this.requireAuth();
    if (!this.caps.has('NAMESPACE')) {
      const root = await this.list('', { ...options, reference: '' });
      return { personal: [{ prefix: '', delimiter: root[0]?.delimiter ?? null }], otherUsers: [], shared: [] };
    }
    let ns: Namespaces = { personal: [], otherUsers: [], shared: [] };
    const r = await this.exec(new CommandBuilder('NAMESPACE'), options, {
      untagged: (u) => (u.kind === 'data' && u.name === 'NAMESPACE' ? ((ns = parseNamespace(u.values)), true) : false),
    });
    this.check('NAMESPACE', r);
    return ns;
  }

  /**
   * LIST: mailboxes matching `pattern` ("*" all, "%" one level). With statusItems and
   * LIST-STATUS (RFC 5819) each entry carries its STATUS.
   */
  async list(pattern = '*', options: CallOptions & { reference?: string; statusItems?: Array<keyof MailboxStatus> } = {}): Promise<ListEntry[]> {
    this.requireAuth();
    const utf8 = this.utf8;
    const cmd = new CommandBuilder('LIST').string(options.reference ?? '', { utf8 }).string(utf8 ? pattern : encodeIfNeeded(pattern), { utf8 });
    const withStatus = options.statusItems && options.statusItems.length > 0 && this.caps.has('LIST-STATUS');
    if (withStatus) cmd.text(` RETURN (STATUS (${statusAtoms(options.statusItems!, this.caps).join(' ')}))`);
    const out: ListEntry[] = [];
    const byPath = new Map<string, ListEntry>();
    const r = await this.exec(cmd, options, {
      untagged: (u) => {
        if (u.kind === 'data' && u.name === 'LIST') {
          const e = parseListEntry(u.values, utf8);
          if (e) {
            out.push(e);
            byPath.set(e.path, e);
          }
          return true;
        }
        if (u.kind === 'data' && u.name === 'STATUS') {
          const s = parseStatus(u.values);
          const e = s && byPath.get(utf8 ? Buffer.from(s.path, 'latin1').toString('utf8') : s.path);
          if (e && s) e.status = s.status;
          return true;
        }
        return false;
      },
    });
    this.check('LIST', r);
    return out;
  }

  /** STATUS of a mailbox without selecting it. */
  async status(mailbox: string, items?: Array<keyof MailboxStatus>, options: CallOptions = {}): Promise<MailboxStatus> {
    this.requireAuth();
    const want = items ?? (['messages', 'uidNext', 'uidValidity', 'unseen', ...(this.caps.has('CONDSTORE') ? ['highestModseq' as const] : [])] as Array<keyof MailboxStatus>);
    const cmd = new CommandBuilder('STATUS').mailbox(mailbox, this.utf8).text(` (${statusAtoms(want, this.caps).join(' ')})`);
    let status: MailboxStatus = {};
    const r = await this.exec(cmd, options, {
      untagged: (u) => {
        if (u.kind !== 'data' || u.name !== 'STATUS') return false;
        const s = parseStatus(u.values);
        if (s) status = s.status;
        return true;
      },
    });
    this.check(`STATUS ${mailbox}`, r);
    return status;
  }

  /** SELECT (or EXAMINE with readOnly). */
  async select(mailbox: string, options: SelectOptions = {}): Promise<MailboxInfo> {
    return this.serial.run(() => this.doSelect(mailbox, options), options.signal);
  }

  async examine(mailbox: string, options: Omit<SelectOptions, 'readOnly'> = {}): Promise<MailboxInfo> {
    return this.select(mailbox, { ...options, readOnly: true });
  }

  private async doSelect(mailbox: string, options: SelectOptions): Promise<MailboxInfo> {
    this.requireAuth();
    const utf8 = this.utf8;
    const cmd = new CommandBuilder(options.readOnly ? 'EXAMINE' : 'SELECT').mailbox(mailbox, utf8);
    const q = options.qresync;
    if (q) {
      if (!this.caps.has('QRESYNC')) throw new MailClientError('extension-unsupported', `${this.t.where()} does not offer QRESYNC (RFC 7162); select without it and compare UIDs and flags yourself`, this.t.details());
      if (!Number.isSafeInteger(q.uidValidity) || q.uidValidity <= 0 || q.modseq <= 0n) throw new TypeError('qresync needs the uidValidity and a modseq (> 0) of the last visit');
      // RFC 7162 §3.2.3: QRESYNC must be enabled before it is used.
      if (!this.enabled.has('QRESYNC')) await this.enableLocked(['QRESYNC'], options);
      cmd.text(` (QRESYNC (${q.uidValidity} ${q.modseq}${q.knownUids !== undefined ? ` ${formatSequence(q.knownUids)}` : ''}))`);
    } else if (options.condstore && this.caps.has('CONDSTORE')) cmd.text(' (CONDSTORE)');
    const info: MailboxInfo = {
      path: mailbox.toUpperCase() === 'INBOX' ? 'INBOX' : utf8 ? mailbox : encodeIfNeeded(mailbox),
      name: mailbox,
      readOnly: options.readOnly ?? false,
      exists: 0,
      recent: 0,
      flags: [],
      permanentFlags: [],
      uidValidity: 0,
    };
    this.current = info;
    this.state = 'selected';
    this.quiet = true;
    let r: Status;
    const vanished: number[] = [];
    const changed: Array<{ uid: number; flags: string[]; modseq?: bigint }> = [];
    try {
      r = await this.execLocked(cmd, options, q ? {
        // The resync data of RFC 7162 §3.2.5.2: VANISHED (EARLIER), then FETCH UID FLAGS MODSEQ.
        untagged: (u) => {
          if (u.kind !== 'data') return false;
          if (u.name === 'VANISHED') {
            vanished.push(...parseVanished(u.values).uids);
            return true;
          }
          if (u.name === 'FETCH') {
            const a = parseFetchAttributes(fetchItems(u.values[0] ?? null));
            if (a.uid !== undefined) changed.push({ uid: a.uid, flags: a.flags ?? [], ...(a.modseq !== undefined && { modseq: a.modseq }) });
            return true;
          }
          return false;
        },
      } : {});
    } finally {
      this.quiet = false;
    }
    if (r.status !== 'OK') {
      this.current = null;
      this.state = 'authenticated';
      throw this.failure(`${options.readOnly ? 'EXAMINE' : 'SELECT'} ${mailbox}`, r);
    }
    if (q && info.uidValidity === q.uidValidity) info.resync = { vanished, changed };
    if (r.code?.name === 'READ-ONLY') info.readOnly = true;
    if (r.code?.name === 'READ-WRITE') info.readOnly = false;
    this.selectOptions = { ...(options.readOnly !== undefined && { readOnly: options.readOnly }), ...(options.condstore !== undefined && { condstore: options.condstore }) };
    return info;
  }

  /** Leaves the selected mailbox: UNSELECT (RFC 3691) keeps \\Deleted messages; with
   * { expunge: true } CLOSE removes them first. */
  async closeMailbox(options: CallOptions & { expunge?: boolean } = {}): Promise<void> {
    this.requireSelected();
    if (options.expunge) await this.simple(new CommandBuilder('CLOSE'), options);
    else if (this.caps.has('UNSELECT')) await this.simple(new CommandBuilder('UNSELECT'), options);
    else {
      // Without UNSELECT, CLOSE would expunge; a failed EXAMINE deselects instead (RFC 3691 §1).
      await this.exec(new CommandBuilder('EXAMINE').string(`postern-no-such-mailbox-${Date.now()}`), options, {});
    }
    this.current = null;
    this.state = 'authenticated';
  }

  async create(mailbox: string, options: CallOptions = {}): Promise<void> {
    this.requireAuth();
    await this.simple(new CommandBuilder('CREATE').mailbox(mailbox, this.utf8), options);
  }

  async delete(mailbox: string, options: CallOptions = {}): Promise<void> {
    this.requireAuth();
    await this.simple(new CommandBuilder('DELETE').mailbox(mailbox, this.utf8), options);
  }

  async rename(from: string, to: string, options: CallOptions = {}): Promise<void> {
    this.requireAuth();
    await this.simple(new CommandBuilder('RENAME').mailbox(from, this.utf8).mailbox(to, this.utf8), options);
  }

  async subscribe(mailbox: string, options: CallOptions = {}): Promise<void> {
    this.requireAuth();
    await this.simple(new CommandBuilder('SUBSCRIBE').mailbox(mailbox, this.utf8), options);
  }

  async unsubscribe(mailbox: string, options: CallOptions = {}): Promise<void> {
    this.requireAuth();
    await this.simple(new CommandBuilder('UNSUBSCRIBE').mailbox(mailbox, this.utf8), options);
  }

  // ---- messages ----

  /**
   * FETCH as an async iterator. `range` holds UIDs unless options.uid is false. Messages come
   * as the server sends them; with source: 'stream' each body is a Readable fed from the socket.
   */
  fetch(range: SequenceInput, query: FetchQuery, options: FetchOptions = {}): AsyncIterableIterator<FetchedMessage> {
    this.requireSelected();
    return new FetchIterator(this, this.fetchPlan(range, query, options), options);
  }

  /** All of fetch() in an array (for small ranges). */
  async fetchAll(range: SequenceInput, query: FetchQuery, options: FetchOptions = {}): Promise<FetchedMessage[]> {
    const out: FetchedMessage[] = [];
    for await (const m of this.fetch(range, query, options)) out.push(m);
    return out;
  }

  /** One message by UID (or sequence number with uid: false), or null when it is gone. */
  async fetchOne(id: number, query: FetchQuery, options: FetchOptions = {}): Promise<FetchedMessage | null> {
    for await (const m of this.fetch(id, query, options)) return m;
    return null;
  }

  /**
   * A message or one of its parts as a stream, straight from the socket. With decode and the
   * BINARY extension (RFC 3516) the server undoes the transfer encoding; otherwise the bytes
   * are as stored (base64/quoted-printable parts still encoded).
   */
  async download(uid: number, part = '', options: CallOptions & { decode?: boolean; uid?: boolean } = {}): Promise<{ uid: number; content: import('node:stream').Readable; binary: boolean }> {
    this.requireSelected();
    const binary = (options.decode ?? false) && this.caps.has('BINARY') && part !== '';
    const plan = this.fetchPlan(uid, {}, { ...options, uid: options.uid ?? true });
    plan.stream = { section: part, binary };
    const it = new FetchIterator(this, plan, options);
    const first = await it.next();
    if (first.done || !first.value.sourceStream) {
      await it.return();
      throw new MailClientError('command-failed', `message ${uid} is not in ${this.current?.name ?? 'the mailbox'}${part ? ` or has no part ${part}` : ''}`, this.t.details({ command: 'FETCH' }));
    }
    // Let the command finish in the background once the stream is read.
    void it.return();
    return { uid: first.value.uid, content: first.value.sourceStream, binary };
  }

  private fetchPlan(range: SequenceInput, query: FetchQuery, options: FetchOptions): FetchPlan {
    const uid = options.uid ?? true;
    const items: string[] = ['UID'];
    if (query.flags) items.push('FLAGS');
    if (query.internalDate) items.push('INTERNALDATE');
    if (query.size) items.push('RFC822.SIZE');
    if (query.envelope) items.push('ENVELOPE');
    if (query.bodyStructure) items.push('BODYSTRUCTURE');
    if (query.modseq && this.caps.has('CONDSTORE')) items.push('MODSEQ');
    if (query.emailId && this.caps.has('OBJECTID')) items.push('EMAILID');
    if (query.threadId && this.caps.has('OBJECTID')) items.push('THREADID');
    const body = query.markSeen ? 'BODY' : 'BODY.PEEK';
    if (query.headers) items.push(query.headers === true ? `${body}[HEADER]` : `${body}[HEADER.FIELDS (${query.headers.map(headerName).join(' ')})]`);
    for (const p of query.bodyParts ?? []) items.push(`${body}[${sectionSpec(p)}]`);
    let stream: FetchPlan['stream'] = null;
    if (query.source) {
      // The body goes last, so the items before it are known when its stream starts.
      if (query.source === 'stream') stream = { section: '', binary: false };
      else if (typeof query.source === 'object' && (query.source.start || query.source.maxLength !== undefined)) {
        // RFC 9051 §6.4.5: a partial fetch names its first octet and how many.
        items.push(`${body}[]<${query.source.start ?? 0}.${query.source.maxLength ?? 4294967295}>`);
      } else items.push(`${body}[]`);
    }
    return { uid, range: formatSequence(range), items, body, stream, changedSince: options.changedSince, wantsHeaders: query.headers };
  }

  /** SEARCH: matching UIDs (or sequence numbers with uid: false), ascending. */
  async search(criteria: SearchCriteria, options: CallOptions & { uid?: boolean } = {}): Promise<number[]> {
    this.requireSelected();
    const uid = options.uid ?? true;
    const utf8 = this.utf8;
    const cmd = new CommandBuilder(uid ? 'UID SEARCH' : 'SEARCH');
    const esearch = this.caps.has('ESEARCH') || this.caps.has('IMAP4REV2');
    if (esearch) cmd.text(' RETURN (ALL)');
    // Build the keys aside to learn whether CHARSET is needed, then splice them in.
    const keys = new CommandBuilder('');
    const needsCharset = appendSearch(keys, criteria, utf8);
    if (needsCharset) cmd.text(' CHARSET UTF-8');
    for (const p of keys.parts) {
      if (p.kind === 'text') cmd.text(p.text);
      else cmd.parts.push(p);
    }
    let found: number[] = [];
    const r = await this.exec(cmd, options, {
      untagged: (u) => {
        if (u.kind !== 'data') return false;
        if (u.name === 'SEARCH') {
          for (const v of u.values) {
            const n = valueNumber(v);
            if (!Number.isNaN(n)) found.push(n);
          }
          return true;
        }
        if (u.name === 'ESEARCH') {
          const e = parseEsearch(u.values);
          found = e.all ?? [];
          return true;
        }
        return false;
      },
    });
    this.check('SEARCH', r);
    return [...new Set(found)].sort((a, b) => a - b);
  }

  /** STORE flags: mode 'add' (+FLAGS), 'remove' (-FLAGS) or 'set' (FLAGS). */
  async store(range: SequenceInput, flags: string[], mode: 'add' | 'remove' | 'set', options: StoreOptions = {}): Promise<StoreResult> {
    this.requireSelected();
    const uid = options.uid ?? true;
    const silent = options.silent ?? true;
    const cmd = new CommandBuilder(uid ? 'UID STORE' : 'STORE').atom(formatSequence(range));
    if (options.unchangedSince !== undefined && this.caps.has('CONDSTORE')) cmd.text(` (UNCHANGEDSINCE ${options.unchangedSince})`);
    cmd.atom(`${mode === 'add' ? '+' : mode === 'remove' ? '-' : ''}FLAGS${silent ? '.SILENT' : ''}`).text(` ${flagList(flags)}`);
    const result: StoreResult = { updated: [], modified: [] };
    const r = await this.exec(cmd, options, {
      untagged: (u) => {
        if (u.kind !== 'data' || u.name !== 'FETCH' || u.number === undefined) return false;
        const a = parseFetchAttributes(fetchItems(u.values[0] ?? null));
        if (a.flags) result.updated.push({ seq: u.number, flags: a.flags, ...(a.uid !== undefined && { uid: a.uid }), ...(a.modseq !== undefined && { modseq: a.modseq }) });
        return true;
      },
    });
    this.check('STORE', r);
    if (r.code?.name === 'MODIFIED') result.modified = expandNumberSet(r.code.text);
    return result;
  }

  addFlags(range: SequenceInput, flags: string[], options: StoreOptions = {}): Promise<StoreResult> {
    return this.store(range, flags, 'add', options);
  }

  removeFlags(range: SequenceInput, flags: string[], options: StoreOptions = {}): Promise<StoreResult> {
    return this.store(range, flags, 'remove', options);
  }

  setFlags(range: SequenceInput, flags: string[], options: StoreOptions = {}): Promise<StoreResult> {
    return this.store(range, flags, 'set', options);
  }

  /** COPY; with UIDPLUS returns which UIDs the copies got. */
  async copy(range: SequenceInput, destination: string, options: CallOptions & { uid?: boolean } = {}): Promise<CopyUid | null> {
    this.requireSelected();
    const uid = options.uid ?? true;
    const cmd = new CommandBuilder(uid ? 'UID COPY' : 'COPY').atom(formatSequence(range)).mailbox(destination, this.utf8);
    const r = await this.exec(cmd, options, {});
    this.check(`COPY to ${destination}`, r);
    return r.code?.name === 'COPYUID' ? parseCopyUid(r.code.values) : null;
  }

  /**
   * MOVE (RFC 6851); without it COPY, then \Deleted and UID EXPUNGE of just those messages
   * (UIDPLUS) — never a plain EXPUNGE, which would also remove other deleted messages.
   */
  async move(range: SequenceInput, destination: string, options: CallOptions & { uid?: boolean } = {}): Promise<CopyUid | null> {
    this.requireSelected();
    const uid = options.uid ?? true;
    if (this.caps.has('MOVE')) {
      let copyUid: CopyUid | null = null;
      const cmd = new CommandBuilder(uid ? 'UID MOVE' : 'MOVE').atom(formatSequence(range)).mailbox(destination, this.utf8);
      const r = await this.exec(cmd, options, {
        untagged: (u) => {
          // RFC 6851 §4.3: COPYUID comes in an untagged OK before the expunges.
          if (u.kind === 'status' && u.code?.name === 'COPYUID') copyUid = parseCopyUid(u.code.values);
          return false;
        },
      });
      this.check(`MOVE to ${destination}`, r);
      if (r.code?.name === 'COPYUID') copyUid = parseCopyUid(r.code.values);
      return copyUid;
    }
    if (!this.caps.has('UIDPLUS') || !uid) {
      throw new MailClientError('extension-unsupported', `${this.t.where()} has neither MOVE nor UIDPLUS, so a move would have to expunge every \\Deleted message in the mailbox; copy() and delete explicitly instead`, this.t.details());
    }
    const copied = await this.copy(range, destination, options);
    await this.store(range, ['\\Deleted'], 'add', options);
    await this.expunge(range, options);
    return copied;
  }

  /** EXPUNGE; with a range, UID EXPUNGE (UIDPLUS) of just those. Returns the expunged
   * sequence numbers (or UIDs, when the server reports VANISHED). */
  async expunge(range?: SequenceInput, options: CallOptions = {}): Promise<number[]> {
    this.requireSelected();
    let cmd: CommandBuilder;
    if (range !== undefined) {
      if (!this.caps.has('UIDPLUS')) throw new MailClientError('extension-unsupported', `${this.t.where()} does not offer UIDPLUS, so it cannot expunge only some messages`, this.t.details());
      cmd = new CommandBuilder('UID EXPUNGE').atom(formatSequence(range));
    } else cmd = new CommandBuilder('EXPUNGE');
    const gone: number[] = [];
    const r = await this.exec(cmd, options, {
      untagged: (u) => {
        if (u.kind === 'data' && u.name === 'EXPUNGE' && u.number !== undefined) gone.push(u.number);
        if (u.kind === 'data' && u.name === 'VANISHED') gone.push(...parseVanished(u.values).uids);
        return false;
      },
    });
    this.check('EXPUNGE', r);
    return gone;
  }

  /** APPEND a message (Buffer, text or MailBuilder); LITERAL+ when offered. */
  async append(mailbox: string, message: Buffer | string | MailBuilder, options: AppendOptions = {}): Promise<AppendResult> {
    this.requireAuth();
    const data = message instanceof MailBuilder ? await message.build() : typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    const cmd = new CommandBuilder('APPEND').mailbox(mailbox, this.utf8);
    if (options.flags && options.flags.length > 0) cmd.text(` ${flagList(options.flags)}`);
    if (options.internalDate) cmd.text(` ${appendDate(options.internalDate)}`);
    cmd.literal(data);
    const r = await this.exec(cmd, options, {});
    this.check(`APPEND to ${mailbox}`, r);
    if (r.code?.name === 'APPENDUID') {
      const a = parseAppendUid(r.code.values);
      if (a) return { uidValidity: a.uidValidity, uid: a.uids[0]! };
    }
    return {};
  }

  /**
   * IDLE as an async iterator of mailbox events (EXISTS, EXPUNGE, FLAGS, VANISHED), with
   * reconnect and backoff when the connection drops. Commands issued meanwhile interrupt the
   * IDLE (DONE) and it resumes when the loop asks for the next event.
   */
  idle(options: IdleOptions = {}): AsyncIterableIterator<ImapEvent> {
    this.requireAuth();
    return new IdleIterator(this, options);
  }

  /** LOGOUT and close. */
  async logout(options: CallOptions = {}): Promise<void> {
    if (this.t.closed) return;
    this.ending = true;
    try {
      await this.serial.run(async () => {
        await this.execLocked(new CommandBuilder('LOGOUT'), { ...options, timeoutMs: options.timeoutMs ?? Math.min(this.t.timeoutMs, 5_000) }, {});
      }, options.signal);
    } catch (err) {
      if (!(err instanceof MailClientError && err.code === 'connection-closed')) throw err;
    } finally {
      this.state = 'not-authenticated';
      this.current = null;
      this.t.close();
    }
  }

  /** Drops the connection at once; pending calls fail with 'connection-closed'. */
  close(): void {
    this.ending = true;
    this.serial.rejectAll(new MailClientError('connection-closed', 'the client was closed', this.t.details()));
    this.t.fail(new MailClientError('connection-closed', `the connection to ${this.t.where()} was closed by close()`, this.t.details()));
  }

  /**
   * Opens a new connection with the same options, logs in with the same credentials and
   * selects the same mailbox. Used by idle(); calls queued meanwhile run on the new connection.
   */
  async reconnect(signal?: AbortSignal): Promise<void> {
    await this.serial.run(async () => {
      this.t.fail(new MailClientError('connection-closed', `the connection to ${this.t.where()} was replaced by reconnect()`, this.t.details()));
      const mailbox = this.current;
      const selectOptions = this.selectOptions;
      this.current = null;
      await this.open(signal);
      if (this.credentials) await this.doLogin({ ...this.credentials, options: { ...this.credentials.options, ...(signal && { signal }) } });
      if (mailbox) await this.doSelect(mailbox.name, { ...selectOptions, ...(signal && { signal }) });
    }, signal);
  }

  // ---- the engine ----

  /** @internal the lock, for iterators */
  get lock(): Serial {
    return this.serial;
  }

  /** @internal */
  get transport(): Transport {
    return this.t;
  }

  /** @internal */
  get responseReader(): ImapResponseReader {
    return this.reader;
  }

  private nextTag(): string {
    this.tagCounter++;
    return `A${this.tagCounter}`;
  }

  private async simple(cmd: CommandBuilder, options: CallOptions): Promise<void> {
    const r = await this.exec(cmd, options, {});
    this.check(cmd.name, r);
  }

  /** Runs one command under the lock. */
  exec(cmd: CommandBuilder, options: CallOptions, handlers: ExecHandlers): Promise<Status> {
    return this.serial.run(() => this.execLocked(cmd, options, handlers), options.signal);
  }

  /** @internal Runs one command; the caller holds the lock. */
  async execLocked(cmd: CommandBuilder, options: CallOptions, handlers: ExecHandlers): Promise<Status> {
    const tag = await this.sendCommand(cmd, options);
    if (typeof tag !== 'string') return tag; // refused before the end (a literal was turned down)
    return this.readTagged(tag, cmd.name, options, handlers);
  }

  /** @internal Writes a command, handling synchronising literals; returns its tag (or the
   * tagged refusal that came instead of a "+" for a literal). */
  async sendCommand(cmd: CommandBuilder, options: CallOptions): Promise<string | Status> {
    if (this.t.closed) throw this.closedError(`about to send ${cmd.name}`);
    const tag = this.nextTag();
    this.t.logClient(cmd.logText(tag));
    let pending = `${tag} `;
    for (const part of cmd.parts) {
      if (part.kind === 'text') {
        pending += part.text;
        continue;
      }
      const size = part.data.length;
      // RFC 7888: LITERAL+ any size, LITERAL- up to 4096 octets, without waiting for "+".
      const nonSync = this.caps.has('LITERAL+') || (this.caps.has('LITERAL-') && size <= 4096);
      this.t.send(`${pending}${part.binary ? '~' : ''}{${size}${nonSync ? '+' : ''}}\r\n`, null);
      pending = '';
      if (!nonSync) {
        const answer = await this.waitContinuation(tag, cmd.name, options);
        if (answer !== true) return answer;
      }
      await this.t.sendStream([part.data], options.signal);
    }
    this.t.send(`${pending}\r\n`, null);
    return tag;
  }

  private async waitContinuation(tag: string, name: string, options: CallOptions): Promise<true | Status> {
    for (;;) {
      const step = await this.readStep(options, `the server's go-ahead for a literal in ${name}`);
      if (step.kind !== 'response') throw this.protocolError('a literal where a go-ahead was due');
      const r = step.response;
      this.t.logServer(step.text);
      if (r.kind === 'continuation') return true;
      if (r.kind === 'status' && r.tag === tag) return r; // e.g. NO [TOOBIG]
      this.handleUntagged(r as Untagged);
    }
  }

  /** @internal Reads responses until the tagged one for `tag`. */
  async readTagged(tag: string, name: string, options: CallOptions, handlers: ExecHandlers): Promise<Status> {
    const waitingFor = handlers.waitingFor ?? `the answer to ${name}`;
    for (;;) {
      const step = await this.readStep(handlers.noDeadline ? { ...options, timeoutMs: 2 ** 31 - 1 } : options, waitingFor);
      if (step.kind !== 'response') {
        if (!handlers.stream) throw this.protocolError('an unexpected literal stream');
        await handlers.stream(step);
        continue;
      }
      const r = step.response;
      if (this.t.logging) this.t.logServer(logText(step.text));
      if (r.kind === 'continuation') {
        if (!handlers.continuation) throw this.protocolError(`an unexpected "+ ${r.text}" during ${name}`);
        await handlers.continuation(r.text);
        continue;
      }
      if (r.kind === 'status' && r.tag !== '*') {
        if (r.tag !== tag) {
          this.t.event(`ignored a tagged answer for unknown tag ${r.tag}`);
          continue;
        }
        this.handleCode(r.code);
        return r;
      }
      const consumed = handlers.untagged ? await handlers.untagged(r) : false;
      if (!consumed) this.handleUntagged(r);
    }
  }

  /** @internal */
  async readStep(options: CallOptions, waitingFor: string): Promise<ReadyStep> {
    try {
      return await this.t.read(this.reader, () => this.poll(), { waitingFor, signal: options.signal, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) });
    } catch (err) {
      if (this.byeText !== null && err instanceof MailClientError && err.code === 'connection-closed') {
        throw new MailClientError('connection-closed', `${this.t.where()} ended the session: ${this.byeText}`, this.t.details({ response: this.byeText, cause: err }));
      }
      throw err;
    }
  }

  private poll(): ReadyStep | undefined {
    const s = this.reader.next();
    if (s.kind === 'error') throw s.error;
    return s.kind === 'need-more' ? undefined : s;
  }

  /** Untagged data and status every command may see (RFC 9051 §7). */
  handleUntagged(r: Untagged): void {
    if (r.kind === 'status') {
      if (r.status === 'BYE') this.byeText = r.text;
      this.handleCode(r.code);
      if (r.code?.name === 'ALERT' || (r.status === 'BYE' && this.eventSinks.size > 0)) this.emitEvent({ type: 'alert', text: r.text });
      return;
    }
    const box = this.current;
    switch (r.name) {
      case 'CAPABILITY':
        this.caps = new Set(r.values.filter((v): v is string => typeof v === 'string').map((v) => v.toUpperCase()));
        return;
      case 'ENABLED':
        for (const v of r.values) if (typeof v === 'string') this.enabled.add(v.toUpperCase());
        return;
      case 'FLAGS':
        if (box && isList(r.values[0])) box.flags = r.values[0].map((f) => valueText(f) ?? '').filter(Boolean);
        return;
      case 'EXISTS':
        if (box && r.number !== undefined) {
          const previous = box.exists;
          box.exists = r.number;
          if (r.number !== previous) this.emitEvent({ type: 'exists', count: r.number, previous });
        }
        return;
      case 'RECENT':
        if (box && r.number !== undefined) box.recent = r.number;
        return;
      case 'EXPUNGE':
        if (box && r.number !== undefined) {
          box.exists = Math.max(0, box.exists - 1);
          this.emitEvent({ type: 'expunge', seq: r.number });
        }
        return;
      case 'VANISHED': {
        const v = parseVanished(r.values);
        if (box && !v.earlier) box.exists = Math.max(0, box.exists - v.uids.length);
        this.emitEvent({ type: 'vanished', uids: v.uids, earlier: v.earlier });
        return;
      }
      case 'FETCH': {
        if (r.number === undefined) return;
        const a = parseFetchAttributes(fetchItems(r.values[0] ?? null));
        if (a.flags) this.emitEvent({ type: 'flags', seq: r.number, flags: a.flags, ...(a.uid !== undefined && { uid: a.uid }), ...(a.modseq !== undefined && { modseq: a.modseq }) });
        return;
      }
    }
  }

  private handleCode(code: ResponseCode | undefined): void {
    if (!code) return;
    const box = this.current;
    switch (code.name) {
      case 'CAPABILITY':
        this.setCaps(code);
        return;
      case 'UIDVALIDITY':
        if (box) box.uidValidity = valueNumber(code.values[0]);
        return;
      case 'UIDNEXT':
        if (box) box.uidNext = valueNumber(code.values[0]);
        return;
      case 'UNSEEN':
        if (box) box.unseen = valueNumber(code.values[0]);
        return;
      case 'PERMANENTFLAGS':
        if (box && isList(code.values[0])) box.permanentFlags = code.values[0].map((f) => valueText(f) ?? '').filter(Boolean);
        return;
      case 'HIGHESTMODSEQ': {
        const m = valueBigInt(code.values[0]);
        if (box && m !== undefined) box.highestModseq = m;
        return;
      }
      case 'NOMODSEQ':
        if (box) box.noModseq = true;
        return;
      case 'MAILBOXID':
        if (box && isList(code.values[0])) box.mailboxId = valueText(code.values[0][0]) ?? '';
        return;
    }
  }

  private setCaps(code: ResponseCode): void {
    this.caps = new Set(code.values.filter((v): v is string => typeof v === 'string').map((v) => v.toUpperCase()));
  }

  private emitEvent(e: ImapEvent): void {
    if (this.quiet) return;
    for (const sink of this.eventSinks) sink(e);
    this.emit(e.type, e);
  }

  // ---- errors and checks ----

  /** @internal */
  check(what: string, r: Status): void {
    if (r.status !== 'OK') throw this.failure(what, r);
  }

  /** @internal */
  failure(what: string, r: Status): MailClientError {
    const code = r.code ? ` [${r.code.name}${r.code.text ? ` ${r.code.text}` : ''}]` : '';
    let hint = '';
    if (r.code?.name === 'TRYCREATE') hint = ' — the mailbox does not exist; create() it first';
    if (r.code?.name === 'TOOBIG') hint = ' — the server refuses a message this large';
    if (r.code?.name === 'OVERQUOTA') hint = ' — the mailbox is over its quota';
    const kind: MailClientErrorCode = 'command-failed';
    return new MailClientError(kind, `${this.t.where()} refused ${what}: ${r.status}${code} ${r.text}${hint}`, this.t.details({ command: what, response: r.text, status: r.status as 'NO' | 'BAD', ...(r.code && { responseCode: r.code.name }) }));
  }

  /** @internal */
  protocolError(what: string): MailClientError {
    const e = new MailClientError('protocol-error', `${this.t.where()} sent ${what}`, this.t.details());
    this.t.fail(e);
    return e;
  }

  private closedError(doing: string): MailClientError {
    return this.t.closedError(doing);
  }

  private invalid(text: string): MailClientError {
    return new MailClientError('invalid-state', text, this.t.details());
  }

  private requireAuth(): void {
    if (this.t.closed) throw this.closedError('about to send a command');
    if (this.state === 'not-authenticated') throw this.invalid('log in first (login() or loginOAuth2())');
  }

  private requireSelected(): void {
    this.requireAuth();
    if (this.state !== 'selected') throw this.invalid('select a mailbox first (select() or examine())');
  }
}

/** A response line for the log: read as UTF-8 (the reader keeps bytes as latin1), cut short. */
function logText(text: string): string {
  const t = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  return Buffer.from(t, 'latin1').toString('utf8');
}

function statusAtoms(items: Array<keyof MailboxStatus>, caps: ReadonlySet<string>): string[] {
  const map: Record<keyof MailboxStatus, string | null> = {
    messages: 'MESSAGES',
    recent: 'RECENT',
    uidNext: 'UIDNEXT',
    uidValidity: 'UIDVALIDITY',
    unseen: 'UNSEEN',
    deleted: caps.has('IMAP4REV2') ? 'DELETED' : null,
    size: caps.has('STATUS=SIZE') || caps.has('IMAP4REV2') ? 'SIZE' : null,
    highestModseq: caps.has('CONDSTORE') ? 'HIGHESTMODSEQ' : null,
  };
  return items.map((i) => map[i]).filter((x): x is string => x !== null);
}

/** A LIST pattern or name in modified UTF-7 (wildcards and the delimiter pass through). */
function encodeIfNeeded(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x25\x27-\x7e]*$/.test(name)) return name;
  return encodeMailboxNameKeepingWildcards(name);
}

function encodeMailboxNameKeepingWildcards(name: string): string {
  return name.split(/([*%])/).map((p) => (p === '*' || p === '%' ? p : encodeMailbox(p))).join('');
}

function encodeMailbox(s: string): string {
  return s === '' ? '' : encodeMailboxName(s);
}

function headerName(h: string): string {
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(h)) throw new TypeError(`"${h}" is not a header field name`);
  return h.toUpperCase();
}

function sectionSpec(p: string): string {
  if (!/^(\d+(\.\d+)*)?(\.?(HEADER|TEXT|MIME))?$/i.test(p) || p === '') throw new TypeError(`"${p}" is not a body part (e.g. "1", "1.2", "2.HEADER", "TEXT")`);
  return p.toUpperCase();
}
