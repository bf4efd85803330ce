// The scan: for each port, find the mode by trying, hold one conversation in it (greeting,
// capabilities before and after TLS, login), then run the TLS checks that need connections of
// their own, and turn everything into diagnoses. Ports run in parallel; every step has the
// same per-step timeout, so a silent or stalling peer costs one timeout, not a hang.
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { TLS_VERSIONS, type ClientConnection } from '../client/tls.js';
import { describeChain } from './certificate.js';
import { explainFailure, type TlsChannel, type Via } from './channel.js';
import {
  emsOf,
  probeAnonymous,
  probeForeignAlpn,
  probeResumption,
  probeServerSelfView,
  probeStartTlsInjection,
  probeVersion,
  viewOf,
  type VersionProbe,
} from './checks.js';
import { limiter, type PortContext, type ProbeContext } from './context.js';
import { describeImplicit, describePlain, detectModes, type ImplicitOutcome, type PlainOutcome } from './detect.js';
import { diagnosePort, diagnoseHost, type PortFacts } from './diagnose.js';
import { blankFtpChecks, probeFtpData } from './ftps.js';
import { openPlainSession } from './channel.js';
import { DRIVERS, sniffProtocol } from './protocol/index.js';
import type { Capabilities, ProtocolDriver, ProtocolId, ProtocolSession } from './protocol/types.js';
import { REPORT_SCHEMA_ID, type PortReport, type ProbeReport, type TlsDetails } from './report.js';
import { ServerFlightReader } from './tls-records.js';

export type ClientMode = 'plain' | 'starttls' | 'tls';

export interface ScanTarget {
  port: number;
  protocol?: ProtocolId;
  /** How the user's client connects to this port. */
  expectedMode?: ClientMode;
}

export interface ScanOptions {
  /** Ports to check (default: 25, 465, 587, 143, 993, 110, 995, 21, 990). */
  ports?: Array<number | ScanTarget>;
  /** Protocol for every port (default: by port convention, else from the greeting). */
  protocol?: ProtocolId;
  /** The mode the user's client uses; the probe still finds the real one and explains a mismatch. */
  mode?: ClientMode;
  /** Per-step timeout in ms (default 5000). */
  timeoutMs?: number;
  /** PEM CA certificate(s) to trust instead of the system store. */
  ca?: string | Buffer;
  /** The name certificates must carry (default: host). */
  servername?: string;
  /** Connect here instead of resolving host (like curl --resolve). */
  address?: string;
  /** Source address for probe connections (default for 127.x targets: 127.0.0.2). */
  localAddress?: string;
  user?: string;
  password?: string;
  /** Allow credentials on an unencrypted connection (never by default). */
  allowCleartextLogin?: boolean;
  /** Days before expiry that count as "near expiry" (default 30). */
  expiryWarningDays?: number;
  /** Simultaneous connections at most (default 24). */
  concurrency?: number;
  /** Fixed clock for certificate dates (tests). */
  now?: number;
}

export const DEFAULT_TARGETS: readonly Required<ScanTarget>[] = [
  { port: 25, protocol: 'smtp', expectedMode: 'starttls' },
  { port: 465, protocol: 'smtp', expectedMode: 'tls' },
  { port: 587, protocol: 'smtp', expectedMode: 'starttls' },
  { port: 143, protocol: 'imap', expectedMode: 'starttls' },
  { port: 993, protocol: 'imap', expectedMode: 'tls' },
  { port: 110, protocol: 'pop3', expectedMode: 'starttls' },
  { port: 995, protocol: 'pop3', expectedMode: 'tls' },
  { port: 21, protocol: 'ftp', expectedMode: 'starttls' },
  { port: 990, protocol: 'ftp', expectedMode: 'tls' },
];

const CONVENTIONS = new Map(DEFAULT_TARGETS.map((t) => [t.port, t]));

export async function scanHost(host: string, options: ScanOptions = {}): Promise<ProbeReport> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 5000;
  const explicitPorts = options.ports !== undefined;
  const targets: ScanTarget[] = (options.ports ?? DEFAULT_TARGETS).map((p) => {
    const t: ScanTarget = typeof p === 'number' ? { port: p } : { ...p };
    const conv = CONVENTIONS.get(t.port);
    const protocol = t.protocol ?? options.protocol ?? conv?.protocol;
    const expectedMode = t.expectedMode ?? options.mode ?? conv?.expectedMode;
    return { port: t.port, ...(protocol && { protocol }), ...(expectedMode && { expectedMode }) };
  });
  const servername = options.servername ?? host;
  const base: Omit<ProbeReport, 'ports' | 'diagnoses' | 'verdict' | 'exitCode' | 'durationMs'> = {
    schema: REPORT_SCHEMA_ID,
    host,
    address: null,
    servername,
    source: null,
    startedAt: new Date(started).toISOString(),
    options: {
      timeoutSeconds: timeoutMs / 1000,
      mode: options.mode ?? null,
      protocol: options.protocol ?? null,
      ca: options.ca !== undefined,
      login: options.user !== undefined && options.password !== undefined,
    },
  };
  let address: string;
  try {
    address = options.address ?? (await resolveAddress(host, timeoutMs));
  } catch (err) {
    const diagnoses = diagnoseHost({ host, address: null, ports: [], dnsError: (err as Error).message, loopback: false, localInterface: false, source: null, explicitPorts });
    return finish({ ...base, ports: [], diagnoses }, started);
  }
  const loopback = isLoopback(address);
  const localInterface = !loopback && isLocalInterface(address);
  let source = options.localAddress;
  let serverSelfSource: string | undefined;
  if (net.isIPv4(address) && loopback) {
    // Look like a remote client to the server (Dovecot treats a client on its own address as
    // secured), and compare with the view from the server's own address.
    source ??= address === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2';
    if (source !== address) serverSelfSource = address;
  }
  const ctx: ProbeContext = {
    host,
    address,
    servername,
    ...(source && { source }),
    ...(serverSelfSource && { serverSelfSource }),
    timeoutMs,
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.user !== undefined && { user: options.user }),
    ...(options.password !== undefined && { password: options.password }),
    allowCleartextLogin: options.allowCleartextLogin ?? false,
    now: options.now ?? started,
    expiryWarningDays: options.expiryWarningDays ?? 30,
    limit: limiter(options.concurrency ?? 24),
  };
  const ports = await Promise.all(targets.map((t) => scanPort({ ...ctx, port: t.port }, t, explicitPorts)));
  const diagnoses = diagnoseHost({ host, address, ports, loopback, localInterface, source: source ?? null, explicitPorts, ...(serverSelfSource && { serverSelfSource }) });
  return finish({ ...base, address, source: source ?? null, ports, diagnoses }, started);
}

function finish(partial: Omit<ProbeReport, 'verdict' | 'exitCode' | 'durationMs'>, started: number): ProbeReport {
  const all = [...partial.diagnoses, ...partial.ports.flatMap((p) => p.diagnoses)];
  const verdict = all.some((d) => d.severity === 'failure') ? 'failure' : all.some((d) => d.severity === 'warning') ? 'warning' : 'ok';
  return { ...partial, durationMs: Date.now() - started, verdict, exitCode: verdict === 'failure' ? 2 : verdict === 'warning' ? 1 : 0 };
}

/** The address to probe: IPv4 first (mail servers are most often reached that way), within
 * the step timeout — a resolver that hangs must not hang the probe. */
async function resolveAddress(host: string, timeoutMs: number): Promise<string> {
  if (net.isIP(host)) return host;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no DNS answer for ${host} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const all = await Promise.race([dns.lookup(host, { all: true }), timeout]);
    const v4 = all.find((a) => a.family === 4);
    return (v4 ?? all[0]!).address;
  } finally {
    clearTimeout(timer);
  }
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

function isLocalInterface(ip: string): boolean {
  return Object.values(os.networkInterfaces()).some((list) => list?.some((i) => i.address === ip));
}

function blankPort(t: ScanTarget): PortReport {
  const untested = { tested: false, detail: 'not tested' };
  return {
    port: t.port,
    protocol: t.protocol ?? null,
    expectedMode: t.expectedMode ?? null,
    status: 'open',
    mode: null,
    modeEvidence: { plaintext: 'not tried', implicitTls: 'not tried' },
    banner: null,
    beforeTls: null,
    afterTls: null,
    starttls: null,
    tls: null,
    versions: [],
    anonymousCiphers: { ...untested, accepted: null, cipher: null },
    ems: { ...untested, supported: null },
    resumption: {
      sessionId: { ...untested, issued: null, resumed: null },
      ticketTls12: { ...untested, issued: null, resumed: null },
      ticketTls13: { ...untested, issued: null, resumed: null },
    },
    alpn: { ...untested, offered: [], outcome: null, selected: null },
    starttlsInjection: { ...untested, vulnerable: null },
    trustedView: null,
    login: null,
    ftp: null,
    durationMs: 0,
    verdict: 'ok',
    diagnoses: [],
  };
}

/** Reads one line (the greeting's first) without a protocol, for sniffing; bounded. */
async function firstLine(conn: ClientConnection, timeoutMs: number): Promise<Buffer> {
  let buf = Buffer.alloc(0);
  return conn.read(
    { push: (c) => { buf = Buffer.concat([buf, c]); } },
    () => {
      const lf = buf.indexOf(0x0a);
      if (lf >= 0 || buf.length >= 4096) return buf;
      return undefined;
    },
    timeoutMs,
  );
}

/** Opens the protocol session on an established connection, sniffing the protocol from the
 * first line when the port number and the options do not say. */
async function sessionFor(conn: ClientConnection, protocol: ProtocolId | undefined, timeoutMs: number): Promise<{ driver: ProtocolDriver; session: ProtocolSession } | { unknown: string }> {
  if (protocol) {
    const driver = DRIVERS[protocol];
    return { driver, session: driver.open(conn, timeoutMs) };
  }
  const bytes = await firstLine(conn, timeoutMs);
  const sniffed = sniffProtocol(bytes.toString('latin1'));
  if (!sniffed) return { unknown: bytes.subarray(0, 200).toString('latin1').trim() };
  const driver = DRIVERS[sniffed];
  const session = driver.open(conn, timeoutMs);
  session.decoder.push(bytes);
  return { driver, session };
}

async function scanPort(ctx: PortContext, target: ScanTarget, explicit: boolean): Promise<PortReport> {
  const t0 = Date.now();
  const r = blankPort(target);
  const facts: PortFacts = { explicit, plain: null, implicit: null };
  try {
    await runPort(ctx, target, r, facts);
  } catch (err) {
    facts.unexpected = explainFailure(err);
  }
  r.diagnoses = diagnosePort(r, facts, ctx);
  r.durationMs = Date.now() - t0;
  const sev = r.diagnoses.map((d) => d.severity);
  r.verdict = sev.includes('failure') ? 'failure' : sev.includes('warning') ? 'warning' : r.status !== 'open' ? 'closed' : 'ok';
  return r;
}

async function runPort(ctx: PortContext, target: ScanTarget, r: PortReport, facts: PortFacts): Promise<void> {
  const { plain, implicit } = await detectModes(ctx, { tryPlain: true, tryImplicit: true });
  facts.plain = plain;
  facts.implicit = implicit;
  r.modeEvidence = { plaintext: describePlain(plain), implicitTls: describeImplicit(implicit) };
  const connectFailure = plain?.kind === 'connect-failed' ? plain.error : implicit?.kind === 'connect-failed' ? implicit.error : null;
  if (connectFailure && plain?.kind === 'connect-failed' && implicit?.kind === 'connect-failed') {
    r.status = connectFailure.code === 'refused' ? 'refused' : connectFailure.code === 'timeout' ? 'timeout' : connectFailure.code === 'unreachable' ? 'unreachable' : 'error';
    return;
  }
  const speaksPlain = plain?.kind === 'greeting';
  const speaksTls = implicit?.kind === 'tls' || implicit?.kind === 'tls-failed' || implicit?.kind === 'stalled';
  r.mode = speaksPlain && implicit?.kind === 'tls' ? 'dual' : speaksTls ? 'tls' : speaksPlain ? 'starttls' : plain?.kind === 'silent' && implicit?.kind === 'silent' ? 'silent' : 'unknown';

  let protocol = target.protocol;
  let tlsMain: TlsChannel | null = null;
  let starttlsVia = false;
  const openConns: ClientConnection[] = [];
  let beforeCaps: Capabilities | null = null;
  const creds = ctx.user !== undefined && ctx.password !== undefined ? { user: ctx.user, password: ctx.password } : null;

  try {
    // The plaintext conversation: greeting, capabilities, STARTTLS, capabilities again.
    if (plain?.kind === 'greeting') {
      openConns.push(plain.conn);
      try {
        const opened = await sessionFor(plain.conn, protocol, ctx.timeoutMs);
        if ('unknown' in opened) {
          facts.unknownGreeting = opened.unknown;
          r.banner = opened.unknown;
        } else {
          protocol = opened.driver.id;
          r.protocol = protocol;
          const { driver, session } = opened;
          const greeting = await session.greeting();
          r.banner = greeting.text;
          facts.greetingOk = greeting.ok;
          if (greeting.ok) {
            beforeCaps = await session.capabilities();
            r.beforeTls = viewOf(ctx.source, greeting.text, beforeCaps);
            r.starttls = { offered: beforeCaps.starttls, accepted: null, reply: null };
            if (beforeCaps.starttls !== false) {
              const ans = await session.startTls();
              r.starttls.accepted = ans.accepted;
              r.starttls.reply = ans.reply;
              if (ans.accepted) {
                starttlsVia = true;
                const reader = new ServerFlightReader();
                try {
                  const { discardedBytes } = await plain.conn.startTls(
                    { ...tlsOptions(ctx), onServerBytes: (c) => reader.push(c) },
                    session.decoder,
                  );
                  tlsMain = { conn: plain.conn, via: 'starttls', flight: reader.flight, session, discardedBytes };
                  const after = await session.capabilities();
                  r.afterTls = viewOf(ctx.source, null, after);
                  if (creds && !(implicit?.kind === 'tls')) await login(ctx, r, driver, session, plain.conn, after);
                } catch (err) {
                  facts.starttlsHandshakeError = { error: err, flight: reader.flight };
                }
              }
            }
            if (creds && !tlsMain && implicit?.kind !== 'tls') {
              if (ctx.allowCleartextLogin) await login(ctx, r, driver, session, plain.conn, beforeCaps);
              else r.login = { attempted: false, ok: null, method: null, detail: 'not tried: this port gave no TLS, and the probe sends credentials unencrypted only with --allow-cleartext-login' };
            }
          }
          await session.quit();
        }
      } catch (err) {
        facts.plainDialogError = err;
      }
      plain.conn.destroy();
    }

    // The implicit-TLS conversation: greeting and capabilities inside TLS.
    if (implicit?.kind === 'tls') {
      openConns.push(implicit.conn);
      tlsMain = { conn: implicit.conn, via: 'implicit', flight: implicit.flight, session: null, discardedBytes: null };
      try {
        const opened = await sessionFor(implicit.conn, protocol, ctx.timeoutMs);
        if ('unknown' in opened) {
          facts.unknownGreetingInTls = opened.unknown;
        } else {
          protocol = opened.driver.id;
          r.protocol = protocol;
          const greeting = await opened.session.greeting();
          facts.greetingOkInTls = greeting.ok;
          if (!r.banner) r.banner = greeting.text;
          const caps = await opened.session.capabilities();
          r.afterTls = viewOf(ctx.source, greeting.text, caps);
          if (creds) await login(ctx, r, opened.driver, opened.session, implicit.conn, caps);
          await opened.session.quit();
        }
      } catch (err) {
        facts.implicitDialogError = err;
      }
      implicit.conn.destroy();
    }
    if (tlsMain) r.tls = tlsDetails(tlsMain, ctx, facts);

    // Checks that need connections of their own (the conversation's connections are closed:
    // a server that serves one connection at a time must be free for them).
    const driver = protocol ? DRIVERS[protocol] : null;
    const via: Via | null = implicit && (implicit.kind === 'tls' || implicit.kind === 'tls-failed') ? 'implicit' : starttlsVia ? 'starttls' : null;
    const jobs: Promise<unknown>[] = [];
    // STARTTLS always has a driver; an implicit channel never speaks the protocol, so any will do.
    if (via) jobs.push(runTlsChecks(ctx, driver ?? DRIVERS.smtp, via, r));
    // Only where STARTTLS itself works, so a failure in the test is the answer to pipelining.
    if (driver && plain?.kind === 'greeting' && r.starttls?.offered && r.tls?.via === 'starttls') {
      jobs.push(probeStartTlsInjection(ctx, driver).then((x) => (r.starttlsInjection = x)));
    }
    if (driver && r.beforeTls && ctx.serverSelfSource) {
      jobs.push((async () => {
        if (driver.id === 'ftp') await ftpCleartextUser(ctx, driver, r);
        r.trustedView = await probeServerSelfView(ctx, driver, r.beforeTls!);
      })());
    } else if (driver?.id === 'ftp' && r.beforeTls) {
      jobs.push(ftpCleartextUser(ctx, driver, r));
    }
    if (driver?.id === 'ftp') {
      r.ftp ??= blankFtpChecks('not tested');
      if (creds && via) {
        jobs.push(probeFtpData(ctx, via, creds.user, creds.password, r.ftp));
      } else {
        const why = creds ? 'no working TLS' : 'needs --user and --password-stdin (data connections come after login)';
        r.ftp.resumedData.detail = r.ftp.freshData.detail = r.ftp.foreignData.detail = why;
      }
    }
    await Promise.all(jobs);
  } finally {
    for (const c of openConns) c.destroy();
  }
}

function tlsOptions(ctx: ProbeContext) {
  return {
    verify: 'report' as const,
    handshakeTimeoutMs: ctx.timeoutMs,
    ...(!net.isIP(ctx.servername) && { servername: ctx.servername }),
    ...(ctx.ca !== undefined && { ca: ctx.ca }),
  };
}

async function ftpCleartextUser(ctx: PortContext, driver: ProtocolDriver, r: PortReport): Promise<void> {
  r.ftp ??= blankFtpChecks('not tested');
  try {
    const plain = await ctx.limit(() => openPlainSession(ctx, driver));
    try {
      const u = await plain.session.probeCleartextUser!();
      r.ftp.cleartextUser = { tested: true, accepted: u.accepted, reply: u.reply };
      if (r.beforeTls) r.beforeTls.cleartextMethods = u.accepted ? ['USER'] : [];
    } finally {
      void plain.session.quit();
    }
  } catch (err) {
    r.ftp.cleartextUser = { tested: false, accepted: null, reply: explainFailure(err) };
  }
}

async function login(ctx: ProbeContext, r: PortReport, _driver: ProtocolDriver, session: ProtocolSession, conn: ClientConnection, caps: Capabilities): Promise<void> {
  const encrypted = conn.tls !== null;
  const cb = conn.tls?.version === 'TLSv1.3' ? conn.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding') : undefined;
  try {
    const out = await session.login(ctx.user!, ctx.password!, caps, {
      encrypted,
      allowCleartext: ctx.allowCleartextLogin,
      ...(cb && { channelBinding: { type: 'tls-exporter' as const, data: cb } }),
    });
    if ('skipped' in out) r.login = { attempted: false, ok: null, method: null, detail: out.skipped };
    else r.login = { attempted: true, ok: out.ok, method: out.method, detail: `${encrypted ? 'over TLS' : 'UNENCRYPTED'}: ${out.reply}` };
  } catch (err) {
    r.login = { attempted: true, ok: false, method: null, detail: explainFailure(err) };
  }
}

function tlsDetails(ch: TlsChannel, ctx: ProbeContext, facts: PortFacts): TlsDetails {
  const info = ch.conn.tls!;
  const chain = describeChain(info.peerChain, ctx.servername, ctx.now);
  if (chain) facts.leafIssuerMissing = chain.leafIssuerMissing;
  return {
    via: ch.via,
    version: info.version,
    cipher: info.cipher.name,
    cipherStandardName: info.cipher.standardName ?? null,
    keyExchange: info.keyExchange ? { type: info.keyExchange.type, name: info.keyExchange.name ?? null, bits: info.keyExchange.size } : null,
    alpn: info.alpn,
    certificate: chain
      ? {
          chain: chain.certificates,
          trusted: info.authorized,
          verifyError: info.authorizationError ?? null,
          hostname: {
            name: chain.nameMatch.name,
            matched: chain.nameMatch.matched,
            matchedBy: chain.nameMatch.matched ? chain.nameMatch.by : null,
            detail: chain.nameMatch.matched ? `matches ${chain.nameMatch.presented}` : chain.nameMatch.reason,
          },
        }
      : null,
    discardedBytesBeforeHandshake: ch.discardedBytes,
  };
}

async function runTlsChecks(ctx: PortContext, driver: ProtocolDriver, via: Via, r: PortReport): Promise<void> {
  const probes = new Map<string, VersionProbe>();
  const [versions, anon, alpn] = await Promise.all([
    Promise.all(TLS_VERSIONS.map(async (v) => {
      const p = await probeVersion(ctx, driver, via, v);
      probes.set(v, p);
      return p.result;
    })),
    probeAnonymous(ctx, driver, via),
    probeForeignAlpn(ctx, driver, via),
  ]);
  r.versions = versions;
  r.anonymousCiphers = anon;
  r.alpn = alpn;
  const f12 = probes.get('TLSv1.2')?.facts ?? null;
  const f13 = probes.get('TLSv1.3')?.facts ?? null;
  r.ems = emsOf(f12);
  r.resumption = await probeResumption(ctx, driver, via, f12, f13);
}

export type { PlainOutcome, ImplicitOutcome };
