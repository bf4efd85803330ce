// Limits live in one place (DESIGN §1): the framing, the parsers and the sessions read them here.
import type { PosternConfig } from '../config/schema.js';

export interface Limits {
  maxLineLength: number;
  maxPreAuthLineLength: number;
  maxConnectionsPerIp: number;
  maxBadCommands: number;
  maxMessageSize: number;
  /** TLS handshakes that take longer are dropped (a stalled client holds no slot forever). */
  tlsHandshakeTimeoutMs: number;
}

export function limitsFromConfig(config: PosternConfig): Limits {
  return { ...config.limits, tlsHandshakeTimeoutMs: 30_000 };
}

/** Counts open connections per client address; refuses past the cap. */
export class ConnectionTracker {
  private readonly perIp = new Map<string, number>();

  constructor(private readonly maxPerIp: () => number) {}

  tryAcquire(ip: string): boolean {
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.maxPerIp()) return false;
    this.perIp.set(ip, n + 1);
    return true;
  }

  release(ip: string): void {
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }

  count(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }
}

/** Counts sessions per (user, ip) after login (Dovecot's mail_max_userip_connections). */
export class UserIpTracker {
  private readonly counts = new Map<string, number>();

  tryAcquire(key: string, max: number): (() => void) | null {
    const n = this.counts.get(key) ?? 0;
    if (n >= max) return null;
    this.counts.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const m = (this.counts.get(key) ?? 1) - 1;
      if (m <= 0) this.counts.delete(key);
      else this.counts.set(key, m);
    };
  }
}
