// The probe against Dovecot and Postfix from Debian, configured to show each mode and login
// diagnosis. Skips (with the reason printed) only when the binaries are missing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { startPostfix, type PostfixPeer } from '../peers/postfix.js';
import { find, ids, probe } from './helpers.js';
import type { ProbeReport } from '../../src/probe/report.js';

let ca: TestCert;
let leaf: TestCert;
let secure: DovecotPeer | null = null;
let lax: DovecotPeer | null = null;
let postfix: PostfixPeer | null = null;
let dovecotSkip = '';
let postfixSkip = '';

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
  // Record each peer as soon as it is up, so after() stops it even if another fails to start.
  await Promise.all([
    startDovecot({ cert: leaf, secureLoginOnly: true, extra: 'auth_mechanisms = plain login scram-sha-256' }).then((a) => { if (a.ok) secure = a.peer; else dovecotSkip = a.reason; }),
    startDovecot({ cert: leaf, secureLoginOnly: false }).then((b) => { if (b.ok) lax = b.peer; else dovecotSkip = b.reason; }),
    startPostfix({ cert: leaf }).then((c) => { if (c.ok) postfix = c.peer; else postfixSkip = c.reason; }),
  ]);
});
after(async () => {
  await Promise.all([secure?.stop(), lax?.stop(), postfix?.stop()]);
});

describe('probe against Dovecot (IMAP, POP3)', () => {
  let report: ProbeReport;
  before(async () => {
    if (!secure) return;
    report = await probe({
      ca: ca.cert,
      user: 'alice',
      password: 'alice-password',
      ports: [
        { port: secure.imap, protocol: 'imap', expectedMode: 'starttls' },
        { port: secure.imaps, protocol: 'imap', expectedMode: 'starttls' }, // a client set to STARTTLS on the IMAPS port
        { port: secure.pop3, protocol: 'pop3', expectedMode: 'tls' }, // a client set to SSL/TLS on the plain POP3 port
        { port: secure.pop3s, protocol: 'pop3', expectedMode: 'tls' },
      ],
    });
  });

  test('the login uses the best mechanism offered (SCRAM-SHA-256, channel binding is not offered), and a wrong password fails', async (t) => {
    if (!secure) return t.skip(dovecotSkip);
    const p = report.ports[0]!;
    assert.equal(p.login?.method, 'SCRAM-SHA-256');
    assert.equal(find(p, 'login-ok').severity, 'info');
    const bad = await probe({ ca: ca.cert, timeoutMs: 4000 /* Dovecot delays failures by 2 s */, user: 'alice', password: 'wrong', ports: [{ port: secure.imaps, protocol: 'imap', expectedMode: 'tls' }] });
    const d = find(bad.ports[0]!, 'login-failed');
    assert.match(d.evidence[0]!, /SCRAM-SHA-256: over TLS: p\d+ NO \[AUTHENTICATIONFAILED\]/);
    assert.equal(bad.exitCode, 2);
  });

  test('a STARTTLS port used the right way: TLS 1.3, trusted certificate for the name, login over TLS works', (t) => {
    if (!secure) return t.skip(dovecotSkip);
    const p = report.ports[0]!;
    assert.equal(p.mode, 'starttls');
    assert.equal(p.starttls?.accepted, true);
    assert.equal(p.tls?.version, 'TLSv1.3');
    assert.equal(p.tls?.certificate?.trusted, true);
    assert.equal(p.tls?.certificate?.hostname.matched, true);
    assert.deepEqual(p.beforeTls?.cleartextMethods, [], 'seen from 127.0.0.2, no cleartext login before TLS');
    assert.ok(p.beforeTls?.capabilities.includes('LOGINDISABLED'));
    assert.equal(p.login?.ok, true);
    assert.equal(p.ems.supported, true);
    for (const id of ['cleartext-auth-before-tls', 'implicit-tls-on-starttls-port', 'starttls-port-used-with-implicit-tls', 'cert-name-mismatch']) {
      assert.ok(!ids(p).includes(id), `unexpected ${id}`);
    }
    assert.equal(p.starttlsInjection.vulnerable, false);
    assert.equal(find(p, 'alpn-not-enforced').severity, 'info', 'Dovecot 2.3 ignores ALPN');
  });

  test('implicit TLS where the client expects STARTTLS: silence on the plain connection, a working TLS handshake', (t) => {
    if (!secure) return t.skip(dovecotSkip);
    const p = report.ports[1]!;
    assert.equal(p.mode, 'tls');
    const d = find(p, 'implicit-tls-on-starttls-port');
    assert.equal(d.severity, 'failure');
    assert.match(d.evidence[0]!, /no greeting for \d+ ms/);
    assert.match(d.evidence[1]!, /TLS handshake succeeded/);
  });

  test('STARTTLS port where the client expects implicit TLS: the TLS attempt reads "+OK" where a record belongs', (t) => {
    if (!secure) return t.skip(dovecotSkip);
    const p = report.ports[2]!;
    const d = find(p, 'starttls-port-used-with-implicit-tls');
    assert.match(d.evidence[0]!, /plaintext: "\+OK/);
    assert.ok(!ids(report.ports[3]!).includes('starttls-port-used-with-implicit-tls'));
  });

  test('Dovecot shows its own address (127.0.0.1) cleartext login that remote clients do not get', (t) => {
    if (!secure) return t.skip(dovecotSkip);
    const p = report.ports[0]!;
    const d = find(p, 'trusted-network-view');
    assert.match(d.evidence.join('\n'), /LOGIN.*from 127\.0\.0\.1, none from 127\.0\.0\.2/);
    assert.equal(find(report, 'probing-over-loopback').severity, 'info');
  });

  test('Dovecot login processes issue TLS tickets that the next connection cannot use', (t) => {
    if (!secure) return t.skip(dovecotSkip);
    const p = report.ports[3]!;
    assert.equal(p.resumption.ticketTls13.issued, true);
    assert.equal(p.resumption.ticketTls13.resumed, false);
    assert.equal(find(p, 'tickets-not-accepted').severity, 'warning');
  });

  test('with disable_plaintext_auth = no, IMAP LOGIN and POP3 USER are offered before TLS to a remote client', async (t) => {
    if (!lax) return t.skip(dovecotSkip);
    const r = await probe({ ca: ca.cert, ports: [{ port: lax.imap, protocol: 'imap' }, { port: lax.pop3, protocol: 'pop3' }] });
    const imap = find(r.ports[0]!, 'cleartext-auth-before-tls');
    assert.equal(imap.severity, 'failure');
    assert.match(imap.title, /accepts passwords before TLS/);
    assert.deepEqual(r.ports[0]!.beforeTls?.cleartextMethods, ['LOGIN', 'AUTHENTICATE PLAIN', 'AUTHENTICATE LOGIN']);
    assert.ok(r.ports[1]!.beforeTls?.cleartextMethods?.includes('USER'));
    assert.ok(!ids(r.ports[0]!).includes('trusted-network-view'), 'both addresses see the same thing');
  });
});

describe('probe against Postfix (SMTP)', () => {
  let report: ProbeReport;
  before(async () => {
    if (!postfix) return;
    report = await probe({
      ca: ca.cert,
      user: 'alice',
      password: 'alice-password',
      ports: [
        { port: postfix.starttls, protocol: 'smtp', expectedMode: 'tls' }, // SSL/TLS client on a STARTTLS port
        { port: postfix.implicit, protocol: 'smtp', expectedMode: 'starttls' }, // the .NET SmtpClient case (seed 001)
        { port: postfix.plain, protocol: 'smtp', expectedMode: 'starttls' },
      ],
    });
  });

  test('an implicit-TLS client on the STARTTLS port: the handshake reads "220 " from the banner', (t) => {
    if (!postfix) return t.skip(postfixSkip);
    const p = report.ports[0]!;
    assert.equal(p.mode, 'starttls');
    const d = find(p, 'starttls-port-used-with-implicit-tls');
    assert.match(d.evidence[0]!, /plaintext: "220 perf\.localdomain ESMTP/);
    assert.equal(p.starttlsInjection.vulnerable, false, 'Postfix drops what was pipelined behind STARTTLS');
  });

  test('a STARTTLS client on the wrapper-mode port hears nothing (seed 001)', (t) => {
    if (!postfix) return t.skip(postfixSkip);
    const p = report.ports[1]!;
    assert.equal(p.mode, 'tls');
    assert.equal(p.afterTls?.greeting?.startsWith('220 '), true, 'the greeting arrives inside TLS');
    find(p, 'implicit-tls-on-starttls-port');
  });

  test('a listener without TLS is reported as offering no STARTTLS', (t) => {
    if (!postfix) return t.skip(postfixSkip);
    const p = report.ports[2]!;
    assert.equal(p.starttls?.offered, false);
    assert.equal(find(p, 'starttls-not-offered').severity, 'failure');
    assert.equal(p.tls, null);
    assert.match(find(p, 'login-skipped').evidence[0]!, /no TLS.*--allow-cleartext-login/);
    assert.match(find(report.ports[0]!, 'login-skipped').evidence[0]!, /offers no AUTH/);
  });
});
