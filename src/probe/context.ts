// What every probe step needs to know about the target and the run.
import net from 'node:net';
import type { TlsClientOptions } from '../client/tls.js';

export interface ProbeContext {
  /** The host as the user typed it. */
  host: string;
  /** The address connected to. */
  address: string;
  /** The name certificates are checked against. */
  servername: string;
  /** Source address for probe connections (127.0.0.2 for loopback targets by default). */
  source?: string;
  /** Source address that makes the probe look like the server itself (loopback targets), for
   * the trusted-network comparison; undefined when no such comparison is possible. */
  serverSelfSource?: string;
  /** Per-step timeout. */
  timeoutMs: number;
  ca?: string | Buffer;
  user?: string;
  password?: string;
  allowCleartextLogin: boolean;
  /** Clock for certificate expiry, fixed at the start of the run. */
  now: number;
  expiryWarningDays: number;
  /** Runs fn when a connection slot is free (bounds simultaneous connections). */
  limit<T>(fn: () => Promise<T>): Promise<T>;
}

/** The context of one port's checks. */
export interface PortContext extends ProbeContext {
  port: number;
}

/** TLS options for a probe connection: report certificate problems instead of failing, SNI
 * with the checked name (never an IP literal, RFC 6066 §3), and the per-step timeout. */
export function probeTls(ctx: ProbeContext, extra: TlsClientOptions = {}): TlsClientOptions {
  return {
    verify: 'report',
    handshakeTimeoutMs: ctx.timeoutMs,
    ...(!net.isIP(ctx.servername) && { servername: ctx.servername }),
    ...(ctx.ca !== undefined && { ca: ctx.ca }),
    ...extra,
  };
}

/** A counting semaphore. */
export function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
