// The probe against postern itself (started in-process by the shared test helper, on port-0
// loopback bindings read back from listeners.json). Skips with the reason printed if the
// server cannot start in this checkout.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { find, ids, probe } from './helpers.js';
import type { ProbeReport } from '../../src/probe/report.js';

interface Server {
  dataDir: string;
  port(protocol: string, security: 'starttls' | 'tls' | 'plain'): number;
  addUser(o: { address: string; password: string }): Promise<unknown>;
  stop(): Promise<void>;
}

let server: Server | null = null;
let reason = '';
let report: ProbeReport;

before(async () => {
  try {
    const { TestServer } = (await import('../helpers/server.js')) as { TestServer: { start(): Promise<Server> } };
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'alice-password-1' });
  } catch (err) {
    reason = `postern server did not start here: ${(err as Error).message}`;
    console.log(`# ${reason}`);
    return;
  }
  const s = server;
  // Probe whatever this build serves (IMAP may not be there yet), as listeners.json lists it.
  const listeners = JSON.parse(readFileSync(join(s.dataDir, 'listeners.json'), 'utf8')) as Array<{ protocol: string; security: string; port: number }>;
  const protocolOf: Record<string, 'imap' | 'pop3' | 'smtp'> = { imap: 'imap', pop3: 'pop3', submission: 'smtp' };
  const ports = listeners
    .filter((l) => protocolOf[l.protocol] && (l.security === 'starttls' || l.security === 'tls'))
    .map((l) => ({ port: l.port, protocol: protocolOf[l.protocol]!, expectedMode: l.security as 'starttls' | 'tls' }));
  if (ports.length === 0) {
    reason = 'this postern build serves no IMAP, POP3 or submission listener yet';
    console.log(`# ${reason}`);
    await s.stop();
    server = null;
    return;
  }
  report = await probe({
    host: 'localhost',
    ca: readFileSync(join(s.dataDir, 'tls', 'cert.pem'), 'utf8'),
    timeoutMs: 3000,
    user: 'alice@example.test',
    password: 'alice-password-1',
    ports,
  });
});
after(async () => {
  await server?.stop();
});

describe('probe against postern', () => {
  test('every listener speaks the mode it is bound for, with a trusted certificate naming localhost', (t) => {
    if (!server) return t.skip(reason);
    for (const p of report.ports) {
      assert.equal(p.status, 'open', `port ${p.port}`);
      assert.ok(p.tls, `port ${p.port} has TLS`);
      assert.equal(p.tls.certificate?.trusted, true, `port ${p.port}: ${p.tls.certificate?.verifyError}`);
      assert.equal(p.tls.certificate?.hostname.matched, true);
      for (const id of ['implicit-tls-on-starttls-port', 'starttls-port-used-with-implicit-tls', 'starttls-not-offered', 'starttls-refused']) {
        assert.ok(!ids(p).includes(id), `port ${p.port}: unexpected ${id}`);
      }
    }
  });

  test('SecureLogin: no cleartext login before TLS, and loopback is not trusted (both source addresses see the same)', (t) => {
    if (!server) return t.skip(reason);
    for (const p of report.ports.filter((x) => x.beforeTls)) {
      assert.deepEqual(p.beforeTls?.cleartextMethods, [], `port ${p.port}: ${p.beforeTls?.cleartextMethods}`);
      assert.ok(!ids(p).includes('cleartext-auth-before-tls'));
      assert.ok(!ids(p).includes('trusted-network-view'), `port ${p.port}: ${p.trustedView?.differences}`);
    }
  });

  test('postern refuses a foreign ALPN protocol (ALPACA defence) and drops what is pipelined behind STARTTLS', (t) => {
    if (!server) return t.skip(reason);
    for (const p of report.ports) assert.equal(p.alpn.outcome, 'refused', `port ${p.port}: ${p.alpn.detail}`);
    for (const p of report.ports.filter((x) => x.starttlsInjection.tested)) assert.equal(p.starttlsInjection.vulnerable, false, p.starttlsInjection.detail);
  });

  test('logins work over TLS on every port', (t) => {
    if (!server) return t.skip(reason);
    for (const p of report.ports) {
      const d = find(p, 'login-ok');
      assert.match(d.evidence[0]!, /over TLS/);
      // The best mechanism offered: channel-bound SCRAM over TLS 1.3 (tls-exporter, RFC 9266).
      if (p.afterTls?.authMechanisms.includes('SCRAM-SHA-256-PLUS') && p.tls?.version === 'TLSv1.3') assert.equal(p.login?.method, 'SCRAM-SHA-256-PLUS');
    }
  });
});
