// Diagnoses that no other test triggers: dialog-failed, ftps-prot-p-refused, ftps-data-failed,
// port-filtered, connect-failed and probe-error. Each comes from a real scan of a small
// loopback server that misbehaves on purpose (servers.ts); probe-error, which no server can
// cause, from a fault injected into the probe itself.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCert } from '../peers/certs.js';
import { ClientConnection } from '../../src/client/tls.js';
import { diagnosePort } from '../../src/probe/diagnose.js';
import { startFtpsServer, startGreetingServer, startHangUpServer, startUnansweredPort } from './servers.js';
import { find, ids, probe, probeFixtures } from './helpers.js';

let ca: TestCert;
let leaf: TestCert;
const { keep } = probeFixtures((c) => ({ ca, leaf } = c));
// Nothing in these scans waits for a timeout except the port-filtered one, so a generous step
// timeout costs no time and keeps a loaded machine from turning a reply into a timeout.
const smtp = (port: number) => ({ ca: ca.cert, timeoutMs: 3000, ports: [{ port, protocol: 'smtp' as const, expectedMode: 'starttls' as const }] });
const imaps = (port: number) => ({ ca: ca.cert, timeoutMs: 3000, ports: [{ port, protocol: 'imap' as const, expectedMode: 'tls' as const }] });
const ftps = (port: number) => ({
  ca: ca.cert,
  timeoutMs: 3000,
  user: 'alice',
  password: 'secret',
  ports: [{ port, protocol: 'ftp' as const, expectedMode: 'starttls' as const }],
});

describe('probe: a conversation that breaks off (dialog-failed)', () => {
  test('a server that greets, then resets the connection when it gets EHLO', async () => {
    const s = keep(await startHangUpServer('220 flaky.example ESMTP\r\n', 'EHLO', 'reset'));
    const p = (await probe(smtp(s.port))).ports[0]!;
    assert.equal(p.mode, 'starttls');
    assert.equal(p.banner, '220 flaky.example ESMTP');
    assert.equal(p.beforeTls, null, 'no capabilities came');
    const d = find(p, 'dialog-failed');
    assert.equal(d.severity, 'failure');
    assert.match(d.title, /greeting and capability exchange on port \d+ failed/);
    assert.deepEqual(d.evidence, ['the server reset the connection']);
    assert.ok(!ids(p).includes('dialog-timeout'));
  });

  test('a server that greets, then closes the connection (FIN) when it gets EHLO', async () => {
    const s = keep(await startHangUpServer('220 flaky.example ESMTP\r\n', 'EHLO', 'close'));
    const p = (await probe(smtp(s.port))).ports[0]!;
    const d = find(p, 'dialog-failed');
    assert.equal(d.severity, 'failure');
    assert.deepEqual(d.evidence, ['the server closed the connection']);
  });

  test('implicit TLS: a server that greets inside TLS, then hangs up at CAPABILITY', async () => {
    const s = keep(await startHangUpServer('* OK test ready\r\n', 'CAPABILITY', 'close', leaf));
    const p = (await probe(imaps(s.port))).ports[0]!;
    assert.equal(p.mode, 'tls');
    assert.equal(p.banner, '* OK test ready');
    const d = find(p, 'dialog-failed');
    assert.equal(d.severity, 'failure');
    assert.match(d.title, /capability exchange inside TLS on port \d+ failed/);
    assert.deepEqual(d.evidence, ['the server closed the connection']);
    // It did greet: "no greeting" would send the admin to the wrong place.
    assert.ok(!ids(p).includes('no-greeting-after-tls'));
  });

  test('implicit TLS: a server that hangs up right after the handshake has not greeted (no-greeting-after-tls)', async () => {
    const s = keep(await startHangUpServer('', '', 'close', leaf));
    const p = (await probe(imaps(s.port))).ports[0]!;
    assert.equal(p.mode, 'tls');
    const d = find(p, 'no-greeting-after-tls');
    assert.equal(d.severity, 'warning');
    assert.deepEqual(d.evidence, ['the server closed the connection']);
    assert.ok(!ids(p).includes('dialog-failed'));
  });
});

describe('probe: FTPS data connections that cannot work', () => {
  test('PROT P refused with 536: data connections would travel unencrypted (ftps-prot-p-refused)', async () => {
    const s = keep(await startFtpsServer(leaf, { refuseProtP: true }));
    const p = (await probe(ftps(s.port))).ports[0]!;
    assert.equal(p.tls?.via, 'starttls');
    assert.equal(p.login?.ok, true);
    assert.deepEqual(p.ftp?.protP, { tested: true, ok: false, reply: '536 Requested PROT level not supported by mechanism.' });
    const d = find(p, 'ftps-prot-p-refused');
    assert.equal(d.severity, 'failure');
    assert.deepEqual(d.evidence, ['536 Requested PROT level not supported by mechanism.']);
    // With PROT P refused no data connection is tried, so none is reported as failing.
    assert.equal(p.ftp?.resumedData.tested, false);
    assert.match(p.ftp!.resumedData.detail, /PROT P refused/);
    assert.ok(!ids(p).includes('ftps-data-failed'));
  });

  test('every data connection refused with 522, even the one resuming the control session (ftps-data-failed)', async () => {
    // The data side seals tickets with other keys than the control side, so the control
    // session never resumes there: the server demands reuse and refuses every data connection.
    const s = keep(await startFtpsServer(leaf, { dataContextOfItsOwn: true }));
    const p = (await probe(ftps(s.port))).ports[0]!;
    assert.equal(p.ftp?.protP.ok, true);
    assert.equal(p.ftp?.resumedData.tested, true);
    assert.equal(p.ftp?.resumedData.ok, false);
    const d = find(p, 'ftps-data-failed');
    assert.equal(d.severity, 'failure');
    assert.deepEqual(d.evidence, ['LIST with the control session failed: 522 SSL connection failed: session reuse required']);
  });

  test('the same server with one TLS context for control and data: the data connection resumes and is served', async () => {
    // The counterpart of the test above: the server's data path works once sessions can resume.
    const s = keep(await startFtpsServer(leaf));
    const p = (await probe(ftps(s.port))).ports[0]!;
    assert.equal(p.ftp?.resumedData.ok, true);
    assert.equal(p.ftp?.resumedData.resumed, true);
    assert.ok(!ids(p).includes('ftps-data-failed'));
    assert.ok(!ids(p).includes('ftps-prot-p-refused'));
  });
});

describe('probe: a port that does not answer the TCP connect (port-filtered)', () => {
  test('SYNs dropped: a failure when the port was named, a note in a scan of the standard ports', async () => {
    const s = keep(await startUnansweredPort());
    const t0 = Date.now();
    const r = await probe({ timeoutMs: 1000, ports: [{ port: s.port, protocol: 'imap' }] });
    const elapsed = Date.now() - t0;
    const p = r.ports[0]!;
    assert.equal(p.status, 'timeout');
    assert.deepEqual(ids(p), ['port-filtered']);
    const d = find(p, 'port-filtered');
    assert.equal(d.severity, 'failure');
    assert.match(d.evidence[0]!, /^TCP connect failed: no answer to the TCP connect within 1000 ms/);
    assert.equal(r.exitCode, 2);
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
    // A default scan names no port (facts.explicit is false): the same report is then only
    // worth a note. The standard ports cannot be bound here, so the mapping is checked direct.
    const unnamed = diagnosePort(p, { explicit: false, plain: null, implicit: null }, { now: Date.now(), expiryWarningDays: 30, timeoutMs: 1000 });
    assert.deepEqual(unnamed.map((x) => [x.id, x.severity]), [['port-filtered', 'info']]);
  });
});

describe('probe: a connect that fails on this machine (connect-failed)', () => {
  test('a --source address this machine does not have is reported as our side, not as a firewall', async () => {
    const s = keep(await startGreetingServer('220 fine.example ESMTP\r\n'));
    const r = await probe({ timeoutMs: 2000, localAddress: '192.0.2.77', ports: [{ port: s.port, protocol: 'smtp' }] });
    const p = r.ports[0]!;
    assert.equal(p.status, 'error');
    assert.deepEqual(ids(p), ['connect-failed']);
    const d = find(p, 'connect-failed');
    assert.equal(d.severity, 'failure');
    assert.match(d.evidence[0]!, /EADDRNOTAVAIL|address not available|cannot assign/i);
    assert.match(d.fix, /--source address \(192\.0\.2\.77\)/);
  });
});

describe('probe: an error the probe does not expect (probe-error)', () => {
  test('ends the port\'s checks with probe-error naming the error; the scan still reports', async () => {
    // No server can get here: every error a peer can cause is caught where it happens and
    // becomes its own diagnosis (even a chain certificate whose key OpenSSL cannot decode never
    // reaches the report: OpenSSL does not take it for the leaf's issuer). So a bug is injected
    // instead: the probe's plaintext connect throws an error that is not a ConnectError.
    const s = keep(await startGreetingServer('220 fine.example ESMTP\r\n'));
    const original = ClientConnection.connect;
    ClientConnection.connect = async () => {
      throw new TypeError("injected fault: Cannot read properties of undefined (reading 'fd')");
    };
    let r;
    try {
      r = await probe(smtp(s.port));
    } finally {
      ClientConnection.connect = original;
    }
    const p = r.ports[0]!;
    const d = find(p, 'probe-error');
    assert.equal(d.severity, 'failure');
    assert.deepEqual(d.evidence, ["injected fault: Cannot read properties of undefined (reading 'fd')"]);
    assert.equal(p.verdict, 'failure');
    assert.equal(r.exitCode, 2);
  });
});
