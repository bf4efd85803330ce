import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FtpClient, FtpError } from '../../src/client/ftp.js';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { startVsftpd, type VsftpdPeer } from '../peers/vsftpd.js';

let ca: TestCert;
let leaf: TestCert;
let explicit: VsftpdPeer | null = null;
let implicit: VsftpdPeer | null = null;
let wrongPasv: VsftpdPeer | null = null;
let skip: string | false = false;

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
  const e = await startVsftpd({ cert: leaf });
  if (!e.ok) { skip = e.reason; return; }
  explicit = e.peer;
  const i = await startVsftpd({ cert: leaf, implicit: true });
  if (i.ok) implicit = i.peer;
  const w = await startVsftpd({ cert: leaf, pasvAddress: '10.255.255.1' });
  if (w.ok) wrongPasv = w.peer;
});
after(async () => {
  await Promise.all([explicit?.stop(), implicit?.stop(), wrongPasv?.stop()]);
});

const tlsOpts = () => ({ ca: ca.cert, servername: 'mail.example.test' });

describe('FTPS client against vsftpd', () => {
  test('explicit AUTH TLS: login, PROT P, LIST and RETR over data connections that resume the control session', { timeout: 20_000 }, async (t) => {
    if (skip || !explicit) return t.skip(String(skip));
    const ftp = await FtpClient.connect({ host: '127.0.0.1', port: explicit.port, tls: tlsOpts(), timeoutMs: 5000 });
    assert.equal(ftp.tls?.authorized, true);
    assert.ok(ftp.features.has('AUTH'), 'FEAT lists AUTH');
    await ftp.login(explicit.user, explicit.password);
    await ftp.protectData();
    const listing = await ftp.list();
    assert.match(listing, /hello\.txt/);
    assert.equal(ftp.lastData?.tls?.sessionReused, true, 'the data connection resumed the control session');
    const body = await ftp.retrieve('hello.txt');
    assert.equal(body.toString(), 'hello over FTPS\n');
    await ftp.quit();
  });

  test('STOR uploads a file that RETR and SIZE then see', { timeout: 20_000 }, async (t) => {
    if (skip || !explicit) return t.skip(String(skip));
    const ftp = await FtpClient.connect({ host: '127.0.0.1', port: explicit.port, tls: tlsOpts(), timeoutMs: 5000 });
    await ftp.login(explicit.user, explicit.password);
    await ftp.protectData();
    const name = `up-${process.pid}-${Date.now()}.bin`;
    const content = Buffer.alloc(200_000, 7);
    await ftp.store(name, content);
    assert.equal(await ftp.size(name), content.length);
    assert.deepEqual(await ftp.retrieve(name), content);
    await ftp.dele(name);
    assert.equal(await ftp.pwd(), '/tmp/postern-ftp-home');
    await ftp.quit();
  });

  test('a data connection with a fresh TLS session is refused: 522 session reuse required', { timeout: 20_000 }, async (t) => {
    if (skip || !explicit) return t.skip(String(skip));
    const ftp = await FtpClient.connect({ host: '127.0.0.1', port: explicit.port, tls: tlsOpts(), timeoutMs: 5000 });
    await ftp.login(explicit.user, explicit.password);
    await ftp.protectData();
    const err = await ftp.list(undefined, { session: 'fresh' }).catch((e: unknown) => e);
    assert.ok(err instanceof FtpError, String(err));
    assert.equal(err.reply?.code, 522);
    assert.match(err.message, /session reuse required/);
    await ftp.quit();
  });

  test('implicit FTPS on its own port works the same way', { timeout: 20_000 }, async (t) => {
    if (skip || !implicit) return t.skip(String(skip || 'implicit vsftpd did not start'));
    const ftp = await FtpClient.connect({ host: '127.0.0.1', port: implicit.port, security: 'implicit', tls: tlsOpts(), timeoutMs: 5000 });
    await ftp.login(implicit.user, implicit.password);
    await ftp.protectData();
    assert.deepEqual(await ftp.nlst(undefined, { passive: 'pasv' }), ['hello.txt']);
    assert.equal(ftp.lastData?.command, 'PASV');
    await ftp.quit();
  });

  test('a PASV reply naming another host is ignored and the control peer is used instead', { timeout: 20_000 }, async (t) => {
    if (skip || !wrongPasv) return t.skip(String(skip || 'vsftpd did not start'));
    const ftp = await FtpClient.connect({ host: '127.0.0.1', port: wrongPasv.port, tls: tlsOpts(), timeoutMs: 5000, passive: 'pasv' });
    await ftp.login(wrongPasv.user, wrongPasv.password);
    await ftp.protectData();
    assert.match(await ftp.list(), /hello\.txt/);
    assert.equal(ftp.lastData?.announced.host, '10.255.255.1');
    assert.equal(ftp.lastData?.announcedAddressIgnored, true);
    assert.equal(ftp.lastData?.connectedTo.host, '127.0.0.1');
    await ftp.quit();
  });

  test('a wrong password is an FtpError carrying the 530 reply', { timeout: 20_000 }, async (t) => {
    if (skip || !explicit) return t.skip(String(skip));
    const ftp = await FtpClient.connect({ host: '127.0.0.1', port: explicit.port, tls: tlsOpts(), timeoutMs: 5000 });
    const err = await ftp.login(explicit.user, 'wrong').catch((e: unknown) => e);
    assert.ok(err instanceof FtpError);
    assert.equal(err.reply?.code, 530);
    ftp.close();
  });
});
