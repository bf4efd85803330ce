// FTPS data-connection checks (seed 000): PBSZ/PROT P, the PASV address, a data connection that
// resumes the control session, one that offers no session, and one that offers another control
// connection's session. The last two tell whether a stranger racing to the data port would be
// let in (RFC 4217 §10.2; vsftpd 3.0.3 accepts any session its ticket key made).
import net from 'node:net';
import { FtpClient, FtpError } from '../client/ftp.js';
import { explainFailure, type Via } from './channel.js';
import { probeTls, type PortContext } from './context.js';
import type { FtpChecks } from './report.js';

export function blankFtpChecks(detail: string): FtpChecks {
  return {
    cleartextUser: { tested: false, accepted: null, reply: null },
    protP: { tested: false, ok: null, reply: null },
    pasv: { tested: false, announced: null, controlAddress: null, problem: null },
    resumedData: { tested: false, ok: null, resumed: null, detail },
    freshData: { tested: false, accepted: null, detail },
    foreignData: { tested: false, accepted: null, detail },
  };
}

/** RFC 1918, RFC 6598 (CGNAT), loopback, link-local, and IPv6 ULA / link-local. */
export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
  }
  const l = ip.toLowerCase();
  return l === '::1' || l.startsWith('fc') || l.startsWith('fd') || l.startsWith('fe80');
}

const describeError = (err: unknown): string =>
  err instanceof FtpError && err.reply ? `${err.reply.code} ${err.reply.lines.join(' ')}`.trim() : explainFailure(err);

export async function probeFtpData(ctx: PortContext, via: Via, user: string, password: string, checks: FtpChecks): Promise<void> {
  const connect = (): Promise<FtpClient> =>
    FtpClient.connect({
      host: ctx.address,
      port: ctx.port,
      security: via === 'implicit' ? 'implicit' : 'explicit',
      tls: probeTls(ctx),
      timeoutMs: ctx.timeoutMs,
      passive: 'pasv',
      // A listing is small; a server streaming without end is cut off here.
      maxDataBytes: 1024 * 1024,
      connectTimeoutMs: ctx.timeoutMs,
      ...(ctx.source && { localAddress: ctx.source }),
    });
  let a: FtpClient | null = null;
  let b: FtpClient | null = null;
  let c: FtpClient | null = null;
  try {
    a = await ctx.limit(connect);
    try {
      await a.login(user, password);
    } catch (err) {
      const why = `login failed: ${describeError(err)}`;
      Object.assign(checks, { ...blankFtpChecks(why), cleartextUser: checks.cleartextUser });
      return;
    }
    checks.protP.tested = true;
    try {
      await a.protectData();
      checks.protP = { tested: true, ok: true, reply: '200 PBSZ 0 / PROT P accepted' };
    } catch (err) {
      checks.protP = { tested: true, ok: false, reply: describeError(err) };
      const why = 'PROT P refused, so data connections would be unencrypted';
      checks.resumedData.detail = checks.freshData.detail = checks.foreignData.detail = why;
      return;
    }

    // 1. The normal case: resume the control connection's session.
    try {
      await a.list();
      const d = a.lastData!;
      checks.resumedData = {
        tested: true,
        ok: true,
        resumed: d.tls?.sessionReused ?? null,
        detail: `LIST over ${d.tls?.version ?? 'TLS'} data connection, session ${d.tls?.sessionReused ? 'resumed' : 'NOT resumed'}`,
      };
    } catch (err) {
      checks.resumedData = { tested: true, ok: false, resumed: null, detail: `LIST with the control session failed: ${describeError(err)}` };
    }
    const d = a.lastData;
    if (d) {
      const control = a.connection.remoteAddress ?? ctx.address;
      let problem: string | null = null;
      if (d.announced.host && d.announced.host !== control) {
        problem = isPrivateAddress(d.announced.host) && !isPrivateAddress(control)
          ? `PASV names the private address ${d.announced.host}, but the server is reached at ${control}`
          : `PASV names ${d.announced.host}, but the control connection goes to ${control}`;
      }
      checks.pasv = { tested: true, announced: d.announced.host ? `${d.announced.host}:${d.announced.port}` : null, controlAddress: control, problem };
    }

    // 2. Another control connection's session.
    try {
      b = await ctx.limit(connect);
      await b.login(user, password);
      const foreign = await b.connection.waitForSession(Math.min(ctx.timeoutMs, 2000));
      if (!foreign) {
        checks.foreignData = { tested: false, accepted: null, detail: 'the second control connection yielded no session' };
      } else {
        try {
          await a.list(undefined, { session: foreign });
          const reused = a.lastData?.tls?.sessionReused === true;
          checks.foreignData = {
            tested: true,
            accepted: reused,
            detail: reused
              ? "LIST on control connection A over a data connection resuming control connection B's session was served"
              : 'the server ignored the other session and did a full handshake, then served the data connection',
          };
        } catch (err) {
          checks.foreignData = { tested: true, accepted: false, detail: `refused: ${describeError(err)}` };
        }
      }
    } catch (err) {
      checks.foreignData = { tested: false, accepted: null, detail: `second control connection failed: ${describeError(err)}` };
    }
    // 3. A data connection with no session to resume, on a control connection of its own:
    // vsftpd ends the whole session after refusing a data connection.
    let ready = false;
    try {
      c = await ctx.limit(connect);
      await c.login(user, password);
      await c.protectData();
      ready = true;
      await c.list(undefined, { session: 'fresh' });
      checks.freshData = { tested: true, accepted: true, detail: 'LIST over a data connection with a new TLS session (no resumption) was served' };
    } catch (err) {
      checks.freshData = ready
        ? { tested: true, accepted: false, detail: `refused: ${describeError(err)}` }
        : { tested: false, accepted: null, detail: `third control connection failed: ${describeError(err)}` };
    }
  } catch (err) {
    const why = `control connection failed: ${describeError(err)}`;
    Object.assign(checks, { ...blankFtpChecks(why), cleartextUser: checks.cleartextUser });
  } finally {
    await Promise.all([a?.quit(), b?.quit(), c?.quit()]);
  }
}
