// Starts a real postern server in this process on 127.0.0.1 port-0 bindings, with its own
// data directory and SQLite file, and cheap password hashing so tests stay fast.
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { addUser, grantFullAccess, setUser, type NewUserOptions, type UserChanges } from '../../src/admin/accounts.js';
import { deliverLocal } from '../../src/server/delivery/local.js';

export const FAST_AUTH = {
  failureDelay: '50ms',
  argon2: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
  scramIterations: 4096,
};
const FAST_POLICY = { hash: { scheme: 'argon2id' as const, argon2: FAST_AUTH.argon2 }, scramIterations: FAST_AUTH.scramIterations };

export interface TestServerOptions {
  /** Extra postern.yaml content, merged over the test defaults (sections merged one level deep). */
  config?: Record<string, unknown>;
  dataDir?: string;
}

export class TestServer {
  private constructor(readonly dataDir: string, public running: RunningServer, private readonly options: TestServerOptions) {}

  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'postern-test-'));
    writeFileSync(join(dataDir, 'postern.yaml'), stringify(testConfig(options.config ?? {})));
    const running = await startServer(loadConfig({ data: dataDir }), { logger: pino({ level: 'silent' }) });
    return new TestServer(dataDir, running, { ...options, dataDir });
  }

  port(protocol: string, security: 'starttls' | 'tls' | 'plain'): number {
    const all = JSON.parse(readFileSync(join(this.dataDir, 'listeners.json'), 'utf8')) as Array<{ protocol: string; security: string; port: number }>;
    const l = all.find((x) => x.protocol === protocol && x.security === security);
    if (!l) throw new Error(`no ${protocol}/${security} listener`);
    return l.port;
  }

  get store() {
    return this.running.store;
  }

  async addUser(options: NewUserOptions) {
    return addUser(this.store, options, FAST_POLICY);
  }

  async setUser(address: string, changes: UserChanges) {
    return setUser(this.store, address, changes, FAST_POLICY);
  }

  async grant(mailbox: string, user: string) {
    return grantFullAccess(this.store, mailbox, user);
  }

  async deliver(to: string, message: string | Buffer) {
    return deliverLocal(this.store, to, Buffer.isBuffer(message) ? message : Buffer.from(message));
  }

  /** Rewrites postern.yaml (the running server reloads it). */
  rewriteConfig(config: Record<string, unknown>): void {
    writeFileSync(join(this.dataDir, 'postern.yaml'), stringify(testConfig(config)));
  }

  async restart(): Promise<void> {
    await this.running.stop();
    this.running = await startServer(loadConfig({ data: this.dataDir }), { logger: pino({ level: 'silent' }) });
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await this.running.stop();
    if (!options.keepData && !this.options.dataDir?.includes('keep')) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const LOOPBACK = { unencryptedOrTLSBindings: ['127.0.0.1:0'], sslBindings: ['127.0.0.1:0'] };

export function testConfig(extra: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, Record<string, unknown> | string> = {
    hostname: 'localhost',
    auth: { ...FAST_AUTH },
    pop3: { ...LOOPBACK },
    imap: { ...LOOPBACK },
    submission: { ...LOOPBACK },
    lmtp: { bindings: ['127.0.0.1:0'] },
  };
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = base[k];
    out[k] = b && typeof b === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...b, ...(v as object) } : v;
  }
  return out;
}

/** A minimal RFC 5322 message. */
export function message(subject: string, body = 'Hello.\r\n', extraHeaders = ''): string {
  return `From: carol@example.test\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Math.random().toString(36).slice(2)}@example.test>\r\n${extraHeaders}\r\n${body}`;
}
