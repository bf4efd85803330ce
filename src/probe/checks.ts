// The TLS checks that each need connections of their own: every protocol version alone, the
// anonymous ciphers, a foreign ALPN offer, session resumption (by ID, by TLS 1.2 ticket, by
// TLS 1.3 ticket), STARTTLS command injection, and the trusted-network comparison.
import type { TlsInfo, TlsVersion } from '../client/tls.js';
import { ChannelError, explainFailure, openPlainSession, openTlsChannel, type TlsChannel, type Via } from './channel.js';
import type { PortContext } from './context.js';
import { readSessionFields, SSL_SESS_FLAG_EXTMS } from './der.js';
import type { Capabilities, ProtocolDriver } from './protocol/types.js';
import type { PortReport, VersionResult, View } from './report.js';
import type { ServerFlight } from './tls-records.js';

/** What a version probe keeps after closing its connection at once (serial servers such as
 * openssl s_server serve nothing else while a connection stays open). */
export interface VersionChannelFacts {
  tls: TlsInfo;
  flight: ServerFlight;
  /** The session to resume: TLS 1.2 at the handshake, TLS 1.3 from the NewSessionTicket. */
  session?: Buffer;
}

export interface VersionProbe {
  result: VersionResult;
  facts: VersionChannelFacts | null;
}

/** One handshake pinned to `version`, with the legacy versions' ciphers allowed. */
export async function probeVersion(ctx: PortContext, driver: ProtocolDriver, via: Via, version: TlsVersion): Promise<VersionProbe> {
  const legacy = version === 'TLSv1' || version === 'TLSv1.1';
  let channel: TlsChannel;
  try {
    channel = await ctx.limit(() =>
      openTlsChannel(ctx, driver, via, { minVersion: version, maxVersion: version, ...(legacy && { ciphers: 'DEFAULT:@SECLEVEL=0' }) }),
    );
  } catch (err) {
    if (err instanceof ChannelError && err.stage !== 'handshake') {
      return { result: { version, accepted: null, cipher: null, detail: `not tested: ${explainFailure(err)}` }, facts: null };
    }
    return { result: { version, accepted: false, cipher: null, detail: `refused: ${explainFailure(err)}` }, facts: null };
  }
  try {
    const tls = channel.conn.tls!;
    // TLS 1.3 tickets come after the handshake; servers send them at once, so a short wait does.
    const session = version === 'TLSv1.3' ? await channel.conn.waitForSession(Math.min(ctx.timeoutMs, 1000)) : tls.session;
    return {
      result: { version, accepted: true, cipher: tls.cipher.name, detail: `accepted (${tls.cipher.name})` },
      facts: { tls, flight: channel.flight, ...(session && { session }) },
    };
  } finally {
    channel.conn.destroy();
  }
}

export interface EmsResult {
  tested: boolean;
  supported: boolean | null;
  detail: string;
}

/** Extended Master Secret from a TLS 1.2 channel: the ServerHello's extension 23 (RFC 7627
 * §5.1), cross-checked with the EXTMS flag OpenSSL stores in the session. */
export function emsOf(channel: VersionChannelFacts | null): EmsResult {
  if (!channel) return { tested: false, supported: null, detail: 'TLS 1.2 not accepted, so EMS does not apply' };
  const hello = channel.flight.serverHello;
  const session = channel.tls.session;
  const flags = session ? readSessionFields(session)?.flags : undefined;
  const fromFlags = flags === undefined ? null : (flags & SSL_SESS_FLAG_EXTMS) !== 0n;
  if (!hello) {
    return { tested: fromFlags !== null, supported: fromFlags, detail: fromFlags === null ? 'ServerHello not seen' : `session flag EXTMS=${fromFlags ? 1 : 0}` };
  }
  const ext = hello.extensions.join(', ');
  const agree = fromFlags === null || fromFlags === hello.extendedMasterSecret ? '' : ' (session flags disagree!)';
  return {
    tested: true,
    supported: hello.extendedMasterSecret,
    detail: `TLS 1.2 ServerHello extensions [${ext}] ${hello.extendedMasterSecret ? 'include' : 'lack'} extended_master_secret (23)${fromFlags !== null ? `; session flag EXTMS=${fromFlags ? 1 : 0}` : ''}${agree}`,
  };
}

type Resumption = PortReport['resumption'];

/** Resumption with the TLS 1.2 ticket and the TLS 1.3 ticket the version probes got, and by
 * session ID on two connections that refuse tickets (RFC 5077 §3.4 / RFC 8446 §2.2). */
export async function probeResumption(
  ctx: PortContext,
  driver: ProtocolDriver,
  via: Via,
  tls12: VersionChannelFacts | null,
  tls13: VersionChannelFacts | null,
): Promise<Resumption> {
  const untested = (detail: string) => ({ tested: false, issued: null, resumed: null, detail });
  const out: Resumption = {
    sessionId: untested('TLS 1.2 not accepted'),
    ticketTls12: untested('TLS 1.2 not accepted'),
    ticketTls13: untested('TLS 1.3 not accepted'),
  };
  const resume = async (version: TlsVersion, session: Buffer, noTickets = false): Promise<boolean | string> => {
    try {
      const ch = await ctx.limit(() => openTlsChannel(ctx, driver, via, { minVersion: version, maxVersion: version, session, noTickets }));
      const reused = ch.conn.tls!.sessionReused;
      ch.conn.destroy();
      return reused;
    } catch (err) {
      return explainFailure(err);
    }
  };
  const jobs: Promise<void>[] = [];
  if (tls12) {
    const info = tls12.tls;
    const issued = Boolean(info.ticket) || tls12.flight.serverHello?.sessionTicket === true;
    if (!issued || !info.session) {
      out.ticketTls12 = { tested: true, issued: false, resumed: null, detail: 'no TLS 1.2 session ticket issued' };
    } else {
      jobs.push(resume('TLSv1.2', info.session).then((r) => {
        out.ticketTls12 = typeof r === 'string'
          ? { tested: true, issued: true, resumed: null, detail: `resumption attempt failed: ${r}` }
          : { tested: true, issued: true, resumed: r, detail: r ? 'ticket accepted: session resumed' : 'ticket issued but the next connection got a full handshake' };
      }));
    }
    jobs.push((async () => {
      try {
        const first = await ctx.limit(() => openTlsChannel(ctx, driver, via, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', noTickets: true }));
        const sidLen = first.flight.serverHello?.sessionIdLength ?? readSessionFields(first.conn.tls?.session ?? Buffer.alloc(0))?.sessionIdLength ?? 0;
        const session = first.conn.tls?.session;
        first.conn.destroy();
        if (!session || sidLen === 0) {
          out.sessionId = { tested: true, issued: false, resumed: null, detail: 'the server gives no session ID (no session cache)' };
          return;
        }
        const r = await resume('TLSv1.2', session, true);
        out.sessionId = typeof r === 'string'
          ? { tested: true, issued: true, resumed: null, detail: `resumption attempt failed: ${r}` }
          : { tested: true, issued: true, resumed: r, detail: r ? 'session ID accepted: session resumed' : 'session ID issued but not resumed' };
      } catch (err) {
        out.sessionId = { tested: true, issued: null, resumed: null, detail: explainFailure(err) };
      }
    })());
  }
  if (tls13) {
    jobs.push((async () => {
      const session = tls13.session;
      const hasTicket = session ? readSessionFields(session)?.hasTicket === true : false;
      if (!session || !hasTicket) {
        out.ticketTls13 = { tested: true, issued: false, resumed: null, detail: 'no TLS 1.3 NewSessionTicket received' };
        return;
      }
      const r = await resume('TLSv1.3', session);
      out.ticketTls13 = typeof r === 'string'
        ? { tested: true, issued: true, resumed: null, detail: `resumption attempt failed: ${r}` }
        : { tested: true, issued: true, resumed: r, detail: r ? 'ticket accepted: session resumed (PSK)' : 'ticket issued but the next connection got a full handshake' };
    })());
  }
  await Promise.all(jobs);
  return out;
}

export interface AnonymousResult {
  tested: boolean;
  accepted: boolean | null;
  cipher: string | null;
  detail: string;
}

/** Offers only anonymous (aNULL) suites, TLS 1.2 at most: a server that accepts one lets any
 * man in the middle in without a certificate. */
export async function probeAnonymous(ctx: PortContext, driver: ProtocolDriver, via: Via): Promise<AnonymousResult> {
  try {
    const ch = await ctx.limit(() => openTlsChannel(ctx, driver, via, { maxVersion: 'TLSv1.2', ciphers: 'aNULL:@SECLEVEL=0' }));
    const cipher = ch.conn.tls!.cipher.name;
    ch.conn.destroy();
    return { tested: true, accepted: true, cipher, detail: `accepted anonymous cipher ${cipher}` };
  } catch (err) {
    if (err instanceof ChannelError && err.stage !== 'handshake') return { tested: false, accepted: null, cipher: null, detail: explainFailure(err) };
    return { tested: true, accepted: false, cipher: null, detail: `refused: ${explainFailure(err)}` };
  }
}

type AlpnResult = PortReport['alpn'];

/** Offers only HTTP's ALPN IDs, as a browser lured to this port would (ALPACA, 2021): the
 * server should refuse (no_application_protocol, RFC 7301 §3.2) or at least not pick one. */
export async function probeForeignAlpn(ctx: PortContext, driver: ProtocolDriver, via: Via): Promise<AlpnResult> {
  const offered = ['h2', 'http/1.1'];
  try {
    const ch = await ctx.limit(() => openTlsChannel(ctx, driver, via, { alpn: offered }));
    const selected = ch.conn.tls!.alpn;
    ch.conn.destroy();
    if (selected) {
      return { tested: true, offered, outcome: 'selected', selected, detail: `offered ${offered.join(', ')} on a ${driver.id.toUpperCase()} port; the server selected "${selected}"` };
    }
    return { tested: true, offered, outcome: 'ignored', selected: null, detail: `offered ${offered.join(', ')}; the server ignored ALPN and completed the handshake` };
  } catch (err) {
    const alert = err instanceof ChannelError ? err.flight.alerts.find((a) => a.description === 120) : undefined;
    const code = err instanceof ChannelError ? (err.cause as { opensslCode?: string })?.opensslCode : undefined;
    if (alert || code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') {
      return { tested: true, offered, outcome: 'refused', selected: null, detail: `offered ${offered.join(', ')}; refused with alert no_application_protocol (120)` };
    }
    return { tested: true, offered, outcome: 'error', selected: null, detail: `offered ${offered.join(', ')}; handshake failed: ${explainFailure(err)}` };
  }
}

type InjectionResult = PortReport['starttlsInjection'];

/**
 * STARTTLS command injection (CVE-2011-0411 class, RFC 3207 §4.2): send STARTTLS and a second
 * command in one packet. A sound server drops the second command with the plaintext buffer; a
 * vulnerable one answers it after the handshake, inside TLS, where we never sent it.
 */
export async function probeStartTlsInjection(ctx: PortContext, driver: ProtocolDriver): Promise<InjectionResult> {
  let plain;
  try {
    plain = await ctx.limit(() => openPlainSession(ctx, driver));
  } catch (err) {
    return { tested: false, vulnerable: null, detail: explainFailure(err) };
  }
  const { conn, session } = plain;
  try {
    if (driver.capabilitiesBeforeStartTls) await session.capabilities();
    const answer = await session.startTlsPipelined();
    if (!answer.accepted) {
      return { tested: true, vulnerable: false, detail: `the server refused ${driver.starttlsCommand} with a command pipelined behind it: ${answer.reply}` };
    }
    let discardedBytes: number;
    try {
      ({ discardedBytes } = await conn.startTls({ verify: 'report', handshakeTimeoutMs: ctx.timeoutMs, ...(ctx.ca !== undefined && { ca: ctx.ca }) }, session.decoder));
    } catch (err) {
      // The plain STARTTLS of the main conversation worked, so this failure is the server's
      // answer to the pipelining: Dovecot, for one, drops such connections. Safe.
      return { tested: true, vulnerable: false, detail: `the server accepted ${driver.starttlsCommand} but then ended the connection instead of running the pipelined ${session.pipelinedCommand}: ${explainFailure(err)}` };
    }
    const wait = Math.min(1000, Math.max(200, Math.floor(ctx.timeoutMs / 4)));
    const injected = await session.unsolicited(wait);
    if (injected) {
      return {
        tested: true,
        vulnerable: true,
        detail: `sent "${driver.starttlsCommand}\\r\\n${session.pipelinedCommand}\\r\\n" in one write; after the handshake, without sending anything over TLS, the server answered "${injected}"`,
      };
    }
    const pre = discardedBytes > 0 ? ` (it answered the pipelined command in plaintext before TLS: ${discardedBytes} bytes, dropped)` : '';
    return { tested: true, vulnerable: false, detail: `the pipelined ${session.pipelinedCommand} got no answer inside TLS within ${wait} ms${pre}` };
  } catch (err) {
    return { tested: true, vulnerable: null, detail: `test did not complete: ${explainFailure(err)}` };
  } finally {
    conn.destroy();
  }
}

export function viewOf(source: string | undefined, greeting: string | null, caps: Capabilities | null): View {
  return {
    source: source ?? null,
    greeting,
    capabilities: caps?.list ?? [],
    authMechanisms: caps?.authMechanisms ?? [],
    cleartextMethods: caps ? caps.cleartextMethods : null,
    starttls: caps ? caps.starttls : null,
  };
}

/** The pre-TLS view from the server's own address (Dovecot's login_trusted_networks and
 * "secured" rule, Postfix's mynetworks): what a local admin sees, which may be laxer. */
export async function probeServerSelfView(ctx: PortContext, driver: ProtocolDriver, remote: View): Promise<PortReport['trustedView']> {
  const selfSource = ctx.serverSelfSource!;
  let self: View | null = null;
  const differences: string[] = [];
  try {
    const plain = await ctx.limit(() => openPlainSession(ctx, driver, selfSource));
    try {
      const caps = await plain.session.capabilities();
      self = viewOf(selfSource, plain.greeting.text, caps);
      if (driver.id === 'ftp' && plain.session.probeCleartextUser) {
        const u = await plain.session.probeCleartextUser();
        self.cleartextMethods = u.accepted ? ['USER'] : [];
      }
    } finally {
      void plain.session.quit();
    }
  } catch (err) {
    differences.push(`could not connect from ${selfSource}: ${explainFailure(err)}`);
    return { serverSelfSource: selfSource, remoteSource: remote.source ?? 'default', serverSelf: null, differences };
  }
  const fmt = (xs: string[] | null): string => (xs === null ? 'unknown' : xs.length ? xs.join(', ') : 'none');
  if (fmt(self.cleartextMethods) !== fmt(remote.cleartextMethods)) {
    differences.push(`cleartext login before TLS: ${fmt(self.cleartextMethods)} from ${selfSource}, ${fmt(remote.cleartextMethods)} from ${remote.source}`);
  }
  if (fmt(self.authMechanisms) !== fmt(remote.authMechanisms)) {
    differences.push(`SASL mechanisms before TLS: ${fmt(self.authMechanisms)} from ${selfSource}, ${fmt(remote.authMechanisms)} from ${remote.source}`);
  }
  if (self.starttls !== remote.starttls) {
    differences.push(`STARTTLS offered: ${self.starttls} from ${selfSource}, ${remote.starttls} from ${remote.source}`);
  }
  return { serverSelfSource: selfSource, remoteSource: remote.source ?? 'default', serverSelf: self, differences };
}
