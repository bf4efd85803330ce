// Which mode a port speaks, found by trying both at once (never by its number): one connection
// waits for a plaintext greeting, another sends a TLS ClientHello straight away.
//
// Wire signatures (issue #6): an implicit-TLS port stays silent on the plain connection (it
// waits for a ClientHello) and may drop it later with FIN or RST; a plaintext port answers the
// ClientHello with its banner, so the TLS attempt reads "220 ", "* OK" or "+OK" where a record
// header belongs.
import { ClientConnection, ConnectError, TlsHandshakeError } from '../client/tls.js';
import { probeTls, type PortContext } from './context.js';
import { ServerFlightReader, printableExcerpt, type ServerFlight } from './tls-records.js';

export type PlainOutcome =
  | { kind: 'greeting'; conn: ClientConnection; waitedMs: number }
  | { kind: 'silent'; waitedMs: number; cutShort: boolean }
  | { kind: 'closed'; how: 'fin' | 'reset' | 'error' | 'local'; waitedMs: number }
  | { kind: 'connect-failed'; error: ConnectError };

export type ImplicitOutcome =
  | { kind: 'tls'; conn: ClientConnection; flight: ServerFlight }
  /** The peer answered the ClientHello with non-TLS bytes (a plaintext banner). */
  | { kind: 'plaintext'; firstBytes: Buffer; flight: ServerFlight }
  /** TLS records came back but the handshake failed (version, cipher, alert). */
  | { kind: 'tls-failed'; error: unknown; flight: ServerFlight }
  | { kind: 'silent'; flight: ServerFlight }
  | { kind: 'stalled'; bytes: number; flight: ServerFlight }
  | { kind: 'closed'; how: 'closed' | 'reset'; flight: ServerFlight }
  | { kind: 'connect-failed'; error: ConnectError };

/** How long the plaintext attempt keeps listening once the TLS attempt has succeeded: enough
 * to catch a dual-mode port's greeting, short enough for the scan budget. */
export const SETTLE_MS = 1000;

const PLAIN_DELAY_MS = 50;

export async function detectModes(ctx: PortContext, options: { tryPlain: boolean; tryImplicit: boolean }): Promise<{ plain: PlainOutcome | null; implicit: ImplicitOutcome | null }> {
  let tlsSucceeded: () => void = () => undefined;
  const tlsOk = new Promise<void>((r) => (tlsSucceeded = r));
  const implicit = options.tryImplicit
    ? ctx.limit(() => tryImplicit(ctx)).then((o) => {
        if (o.kind === 'tls') tlsSucceeded();
        return o;
      })
    : Promise.resolve(null);
  // The plaintext attempt starts a moment later so that a server that serves one connection at
  // a time (openssl s_server, inetd-style tools) takes the TLS attempt first instead of
  // blocking it behind a connection that waits for a greeting.
  const plain = options.tryPlain
    ? new Promise((r) => setTimeout(r, options.tryImplicit ? PLAIN_DELAY_MS : 0)).then(() => ctx.limit(() => tryPlain(ctx, tlsOk)))
    : Promise.resolve(null);
  const [p, i] = await Promise.all([plain, implicit]);
  return { plain: p, implicit: i };
}

async function tryPlain(ctx: PortContext, tlsOk: Promise<void>): Promise<PlainOutcome> {
  let conn: ClientConnection;
  try {
    conn = await ClientConnection.connect({
      host: ctx.address,
      port: ctx.port,
      connectTimeoutMs: ctx.timeoutMs,
      ...(ctx.source && { localAddress: ctx.source }),
    });
  } catch (err) {
    if (err instanceof ConnectError) return { kind: 'connect-failed', error: err };
    throw err;
  }
  const t0 = Date.now();
  let cut = false;
  const cutter = tlsOk.then(async () => {
    await new Promise((r) => setTimeout(r, SETTLE_MS).unref());
    return 'cut' as const;
  });
  const r = await Promise.race([conn.waitForData(ctx.timeoutMs), cutter]);
  const waitedMs = Date.now() - t0;
  if (r === 'data') return { kind: 'greeting', conn, waitedMs };
  if (r === 'cut') cut = true;
  if (r === 'closed') {
    const how = conn.closeReason ?? 'fin';
    conn.destroy();
    return { kind: 'closed', how, waitedMs };
  }
  conn.destroy();
  return { kind: 'silent', waitedMs, cutShort: cut };
}

async function tryImplicit(ctx: PortContext): Promise<ImplicitOutcome> {
  const reader = new ServerFlightReader();
  try {
    const conn = await ClientConnection.connectTls({
      host: ctx.address,
      port: ctx.port,
      connectTimeoutMs: ctx.timeoutMs,
      ...(ctx.source && { localAddress: ctx.source }),
      tls: probeTls(ctx, { onServerBytes: (c) => reader.push(c) }),
    });
    return { kind: 'tls', conn, flight: reader.flight };
  } catch (err) {
    const flight = reader.flight;
    if (err instanceof ConnectError) return { kind: 'connect-failed', error: err };
    if (!(err instanceof TlsHandshakeError)) return { kind: 'tls-failed', error: err, flight };
    if (flight.looksLikeTls === false) return { kind: 'plaintext', firstBytes: err.firstBytes, flight };
    if (err.code === 'timeout') return err.bytesReceived === 0 ? { kind: 'silent', flight } : { kind: 'stalled', bytes: err.bytesReceived, flight };
    if ((err.code === 'closed' || err.code === 'reset') && err.bytesReceived === 0) return { kind: 'closed', how: err.code, flight };
    return { kind: 'tls-failed', error: err, flight };
  }
}

export function describePlain(o: PlainOutcome | null): string {
  if (!o) return 'not tried';
  switch (o.kind) {
    case 'greeting': return `greeting after ${o.waitedMs} ms`;
    case 'silent': return `no greeting for ${o.waitedMs} ms${o.cutShort ? ' (stopped waiting: TLS had succeeded)' : ''}`;
    case 'closed': return `connection ${o.how === 'reset' ? 'reset' : 'closed'} by the server after ${o.waitedMs} ms without a greeting`;
    case 'connect-failed': return `TCP connect failed: ${o.error.message}`;
  }
}

export function describeImplicit(o: ImplicitOutcome | null): string {
  if (!o) return 'not tried';
  switch (o.kind) {
    case 'tls': return `TLS handshake succeeded (${o.conn.tls?.version})`;
    case 'plaintext': return `answered the TLS ClientHello with plaintext: "${printableExcerpt(o.firstBytes)}"`;
    case 'tls-failed': return `TLS handshake failed: ${(o.error as Error).message}`;
    case 'silent': return 'no answer to the TLS ClientHello';
    case 'stalled': return `TLS handshake stalled after ${o.bytes} bytes from the server`;
    case 'closed': return `connection ${o.how} by the server without a TLS answer`;
    case 'connect-failed': return `TCP connect failed: ${o.error.message}`;
  }
}
