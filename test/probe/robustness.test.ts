import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { freePorts } from '../peers/common.js';
import { startEndlessBannerServer, startSilentServer, startStallingServer, startStartTlsSmtpServer, type TestServer } from './servers.js';
import { find, ids, probe } from './helpers.js';

let ca: TestCert;
let leaf: TestCert;
const servers: TestServer[] = [];
before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('probe: the probe never hangs and stays bounded', () => {
  test('a port that accepts and stays silent is reported as silent within the timeout', async () => {
    const s = await startSilentServer();
    servers.push(s);
    const t0 = Date.now();
    const report = await probe({ ports: [{ port: s.port, protocol: 'smtp' }], timeoutMs: 800 });
    const elapsed = Date.now() - t0;
    const p = report.ports[0]!;
    assert.equal(p.mode, 'silent');
    const d = find(p, 'port-silent');
    assert.equal(d.severity, 'failure');
    assert.ok(elapsed < 800 + 1200, `took ${elapsed} ms`);
    assert.equal(report.exitCode, 2);
  });

  test('a TLS handshake that stalls after a few bytes is reported as stalled within the timeout', async () => {
    const s = await startStallingServer();
    servers.push(s);
    const t0 = Date.now();
    const report = await probe({ ports: [{ port: s.port, protocol: 'imap', expectedMode: 'tls' }], timeoutMs: 800 });
    const p = report.ports[0]!;
    const d = find(p, 'tls-handshake-stalled');
    assert.match(d.evidence.join(' '), /received 11 bytes/);
    assert.ok(Date.now() - t0 < 800 * 2 + 1500, `took ${Date.now() - t0} ms`);
  });

  test('an endless multi-line banner is cut off at the decoder limit, with memory bounded', async () => {
    const s = await startEndlessBannerServer();
    servers.push(s);
    const before = process.memoryUsage().rss;
    const report = await probe({ ports: [{ port: s.port, protocol: 'smtp', expectedMode: 'starttls' }], timeoutMs: 1500 });
    const p = report.ports[0]!;
    const d = find(p, 'greeting-too-long');
    assert.equal(d.severity, 'failure');
    assert.match(d.evidence.join(' '), /too-many-lines/);
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
  });

  test('an endless banner line without a line break is cut off too', async () => {
    const s = await startEndlessBannerServer({ singleLine: true });
    servers.push(s);
    const report = await probe({ ports: [{ port: s.port, protocol: 'smtp' }], timeoutMs: 1500 });
    const d = find(report.ports[0]!, 'greeting-too-long');
    assert.match(d.evidence.join(' '), /line-too-long/);
  });

  test('a port with nothing behind it is "closed" in a scan of several ports, and a failure when named alone', async () => {
    const [free] = await freePorts(1);
    const alone = await probe({ ports: [free!], protocol: 'imap' });
    assert.equal(alone.ports[0]!.status, 'refused');
    assert.equal(find(alone.ports[0]!, 'port-closed').severity, 'failure');
  });
});

describe('probe: STARTTLS command injection', () => {
  test('a server that answers a command pipelined behind STARTTLS inside TLS is flagged', async () => {
    const s = await startStartTlsSmtpServer(leaf, { vulnerable: true });
    servers.push(s);
    const report = await probe({ ports: [{ port: s.port, protocol: 'smtp', expectedMode: 'starttls' }], ca: ca.cert });
    const p = report.ports[0]!;
    assert.equal(p.starttlsInjection.vulnerable, true);
    const d = find(p, 'starttls-injection');
    assert.match(d.evidence[0]!, /250 2\.0\.0 OK/);
  });

  test('the same server dropping its buffer at STARTTLS passes', async () => {
    const s = await startStartTlsSmtpServer(leaf, { vulnerable: false });
    servers.push(s);
    const report = await probe({ ports: [{ port: s.port, protocol: 'smtp', expectedMode: 'starttls' }], ca: ca.cert });
    const p = report.ports[0]!;
    assert.equal(p.starttlsInjection.tested, true);
    assert.equal(p.starttlsInjection.vulnerable, false);
    assert.ok(!ids(p).includes('starttls-injection'));
  });
});
