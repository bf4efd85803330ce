// FTPS diagnoses against vsftpd 3.0.3 from Debian (seed 000): session reuse required or not,
// another connection's session accepted, no EMS on TLS 1.2, a wrong PASV address, cleartext
// USER before AUTH TLS, and implicit FTPS where a client expects AUTH TLS.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { startVsftpd, type VsftpdOptions, type VsftpdPeer } from '../peers/vsftpd.js';
import { find, ids, probe } from './helpers.js';

let ca: TestCert;
let leaf: TestCert;
const peers: VsftpdPeer[] = [];
let skip = '';
before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
});
after(async () => {
  await Promise.all(peers.map((p) => p.stop()));
});

async function vsftpd(options: Omit<VsftpdOptions, 'cert'> = {}): Promise<VsftpdPeer | null> {
  const r = await startVsftpd({ cert: leaf, ...options });
  if (!r.ok) {
    skip = r.reason;
    return null;
  }
  peers.push(r.peer);
  return r.peer;
}

const scan = (peer: VsftpdPeer, expectedMode: 'starttls' | 'tls' = 'starttls', login = true) =>
  probe({ ca: ca.cert, timeoutMs: 3000, ...(login && { user: peer.user, password: peer.password }), ports: [{ port: peer.port, protocol: 'ftp', expectedMode }] });

describe('probe: FTPS data connections against vsftpd', () => {
  test('require_ssl_reuse=YES: data must resume the control session, yet another connection\'s session is accepted', async (t) => {
    const peer = await vsftpd();
    if (!peer) return t.skip(skip);
    const p = (await scan(peer)).ports[0]!;
    assert.equal(p.mode, 'starttls');
    assert.equal(p.login?.ok, true);
    assert.equal(p.ftp?.protP.ok, true);
    assert.equal(p.ftp?.resumedData.resumed, true);
    assert.equal(p.ftp?.freshData.accepted, false);
    assert.match(p.ftp!.freshData.detail, /522/);
    assert.equal(find(p, 'ftps-data-requires-reuse').severity, 'info');
    assert.equal(find(p, 'ftps-data-foreign-session-accepted').severity, 'failure');
    assert.equal(p.ftp?.pasv.problem, null);
    assert.deepEqual(p.ftp?.cleartextUser.accepted, false, 'USER before AUTH TLS is refused with 530');
    assert.ok(!ids(p).includes('ftps-reuse-without-ems'), 'TLS 1.3 is there, so Windows resumes fine');
  });

  test('require_ssl_reuse=NO: a data connection without resumption is served', async (t) => {
    const peer = await vsftpd({ requireReuse: false });
    if (!peer) return t.skip(skip);
    const p = (await scan(peer)).ports[0]!;
    assert.equal(p.ftp?.freshData.accepted, true);
    assert.equal(find(p, 'ftps-data-no-reuse-required').severity, 'warning');
  });

  test('seed 000: reuse required, TLS 1.2 at most, no EMS — Windows clients cannot transfer files', async (t) => {
    const peer = await vsftpd({ noEmsTls12: true });
    if (!peer) return t.skip(skip);
    const p = (await scan(peer)).ports[0]!;
    assert.equal(p.tls?.version, 'TLSv1.2');
    assert.equal(p.ems.supported, false);
    const d = find(p, 'ftps-reuse-without-ems');
    assert.equal(d.severity, 'failure');
    assert.match(d.explanation, /October 2019/);
    find(p, 'no-ems');
  });

  test('a PASV reply naming another address is a warning, and the transfer still works', async (t) => {
    const peer = await vsftpd({ pasvAddress: '10.255.255.1' });
    if (!peer) return t.skip(skip);
    const p = (await scan(peer)).ports[0]!;
    assert.equal(p.ftp?.resumedData.ok, true);
    const d = find(p, 'ftp-pasv-address');
    assert.match(d.evidence[0]!, /PASV names 10\.255\.255\.1, but the control connection goes to 127\.0\.0\.1/);
  });

  test('force_local_logins_ssl=NO: USER before AUTH TLS gets 331, a cleartext login', async (t) => {
    const peer = await vsftpd({ forceSslLogins: false });
    if (!peer) return t.skip(skip);
    const p = (await scan(peer, 'starttls', false)).ports[0]!;
    assert.equal(p.ftp?.cleartextUser.accepted, true);
    const d = find(p, 'cleartext-auth-before-tls');
    assert.match(d.evidence[0]!, /USER → 331/);
    assert.equal(find(p, 'ftps-data-not-tested').severity, 'info');
  });

  test('implicit FTPS where a client expects AUTH TLS is explained; its data checks run over implicit TLS', async (t) => {
    const peer = await vsftpd({ implicit: true });
    if (!peer) return t.skip(skip);
    const p = (await scan(peer, 'starttls')).ports[0]!;
    assert.equal(p.mode, 'tls');
    find(p, 'implicit-tls-on-starttls-port');
    assert.equal(p.ftp?.resumedData.resumed, true);
    assert.equal(p.ftp?.freshData.accepted, false);
  });
});
