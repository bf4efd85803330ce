// Opening probe connections: a plaintext protocol session, or a TLS channel either way the port
// speaks it (implicit, or greeting + STARTTLS). Every TLS channel carries a ServerFlightReader
// so the raw ServerHello and plaintext alerts can be read afterwards.
import { ClientConnection, ConnectError, ReadError, TlsHandshakeError, type TlsClientOptions } from '../client/tls.js';
import { probeTls, type PortContext } from './context.js';
import type { Greeting, ProtocolDriver, ProtocolSession } from './protocol/types.js';
import { ServerFlightReader, printableExcerpt, type ServerFlight } from './tls-records.js';

export interface PlainSession {
  conn: ClientConnection;
  session: ProtocolSession;
  greeting: Greeting;
}

export async function openPlainSession(ctx: PortContext, driver: ProtocolDriver, source = ctx.source): Promise<PlainSession> {
  const conn = await ClientConnection.connect({
    host: ctx.address,
    port: ctx.port,
    connectTimeoutMs: ctx.timeoutMs,
    ...(source && { localAddress: source }),
  });
  try {
    const session = driver.open(conn, ctx.timeoutMs);
    const greeting = await session.greeting();
    return { conn, session, greeting };
  } catch (err) {
    conn.destroy();
    throw err;
  }
}

export type Via = 'implicit' | 'starttls';

export interface TlsChannel {
  conn: ClientConnection;
  via: Via;
  flight: ServerFlight;
  /** The protocol session (STARTTLS channels; implicit channels get one on demand). */
  session: ProtocolSession | null;
  discardedBytes: number | null;
}

export type ChannelStage = 'connect' | 'greeting' | 'starttls' | 'handshake';

export class ChannelError extends Error {
  constructor(
    readonly stage: ChannelStage,
    override readonly cause: unknown,
    readonly flight: ServerFlight,
    readonly reply?: string,
  ) {
    super(`${stage}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ChannelError';
  }
}

export async function openTlsChannel(ctx: PortContext, driver: ProtocolDriver, via: Via, extra: TlsClientOptions = {}): Promise<TlsChannel> {
  const reader = new ServerFlightReader();
  const tls = probeTls(ctx, { ...extra, onServerBytes: (c) => reader.push(c) });
  const endpoint = {
    host: ctx.address,
    port: ctx.port,
    connectTimeoutMs: ctx.timeoutMs,
    ...(ctx.source && { localAddress: ctx.source }),
  };
  if (via === 'implicit') {
    try {
      const conn = await ClientConnection.connectTls({ ...endpoint, tls });
      return { conn, via, flight: reader.flight, session: null, discardedBytes: null };
    } catch (err) {
      throw new ChannelError(err instanceof ConnectError ? 'connect' : 'handshake', err, reader.flight);
    }
  }
  let conn: ClientConnection;
  try {
    conn = await ClientConnection.connect(endpoint);
  } catch (err) {
    throw new ChannelError('connect', err, reader.flight);
  }
  const session = driver.open(conn, ctx.timeoutMs);
  try {
    await session.greeting();
    if (driver.capabilitiesBeforeStartTls) await session.capabilities();
  } catch (err) {
    conn.destroy();
    throw new ChannelError('greeting', err, reader.flight);
  }
  let answer;
  try {
    answer = await session.startTls();
  } catch (err) {
    conn.destroy();
    throw new ChannelError('starttls', err, reader.flight);
  }
  if (!answer.accepted) {
    conn.destroy();
    throw new ChannelError('starttls', new Error(`${driver.starttlsCommand} refused`), reader.flight, answer.reply);
  }
  try {
    const { discardedBytes } = await conn.startTls(tls, session.decoder);
    return { conn, via, flight: reader.flight, session, discardedBytes };
  } catch (err) {
    conn.destroy();
    throw new ChannelError('handshake', err, reader.flight);
  }
}

/** One sentence on why a handshake or channel failed, alerts named (RFC 8446 §6). */
export function explainFailure(err: unknown, flight?: ServerFlight): string {
  if (err instanceof ChannelError) {
    if (err.stage === 'starttls' && err.reply) return `the server refused STARTTLS: ${err.reply}`;
    return explainFailure(err.cause, err.flight);
  }
  const alert = flight?.alerts.find((a) => a.level === 2) ?? flight?.alerts[0];
  if (alert) return `the server answered with TLS alert ${alert.name} (${alert.description})`;
  if (err instanceof TlsHandshakeError) {
    if (flight && flight.looksLikeTls === false && err.bytesReceived > 0) {
      return `the server sent plaintext instead of a TLS handshake: "${printableExcerpt(err.firstBytes)}"`;
    }
    switch (err.opensslCode) {
      case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
      case 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION':
        return 'no TLS version in common (unsupported protocol)';
      case 'ERR_SSL_NO_PROTOCOLS_AVAILABLE':
        return 'this TLS version is disabled on the probing side';
      case 'ERR_SSL_NO_SHARED_CIPHER':
      case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
        return 'no cipher suite in common (handshake_failure)';
      default:
        break;
    }
    if (err.code === 'timeout') {
      return err.bytesReceived === 0
        ? 'the server sent nothing in answer to the TLS ClientHello before the timeout'
        : `the handshake stalled after ${err.bytesReceived} bytes from the server`;
    }
    if (err.code === 'closed' || err.code === 'reset') {
      return `the server ${err.code === 'reset' ? 'reset' : 'closed'} the connection without a TLS alert`;
    }
    return err.opensslCode ? `${err.message} (${err.opensslCode})` : err.message;
  }
  if (err instanceof ConnectError) return `TCP connect failed: ${err.message}`;
  if (err instanceof ReadError) return err.code === 'timeout' ? 'no answer before the timeout' : err.message;
  return (err as Error)?.message ?? String(err);
}
