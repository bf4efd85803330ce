// Listener and session plumbing shared by every protocol, seen through POP3: IPv6 and IPv4
// bindings, listeners.json, PEM certificates reloaded when they change, trusted networks as an
// explicit opt-in, the authenticated timeout and the per-user+IP session cap.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestServer } from '../../helpers/server.js';
import { LineClient } from '../../helpers/line-client.js';
import { ensureSelfSignedCertificate } from '../../../src/net/certificate.js';

const servers: TestServer[] = [];
after(async () => { for (const s of servers) await s.stop(); });

async function start(config: Record<string, unknown>): Promise<TestServer> {
  const s = await TestServer.start({ config });
  servers.push(s);
  await s.addUser({ address: 'alice@example.test', password: 'pw-alice' });
  return s;
}

describe('listeners', () => {
  test('IPv6 and IPv4 bindings each get a port, all written to listeners.json', async () => {
    const s = await start({ pop3: { unencryptedOrTLSBindings: ['[::1]:0', '127.0.0.1:0'], sslBindings: ['[::1]:0'] } });
    const all = JSON.parse(readFileSync(join(s.dataDir, 'listeners.json'), 'utf8')) as Array<{ protocol: string; security: string; address: string; port: number }>;
    const pop = all.filter((l) => l.protocol === 'pop3');
    assert.deepEqual(pop.map((l) => `${l.security} ${l.address}`).sort(), ['starttls 127.0.0.1', 'starttls ::1', 'tls ::1']);
    for (const l of pop) assert.ok(l.port > 0);
    const v6 = pop.find((l) => l.address === '::1' && l.security === 'tls')!;
    const c = await LineClient.connect(v6.port, { tls: true, host: '::1' });
    assert.equal(await c.readLine(), '+OK The postern POP3 service is ready.');
    c.close();
  });

  test('certificate PEM files named in the config are served, and re-read when they change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-certs-'));
    const a = await ensureSelfSignedCertificate(join(dir, 'a'), 'first.example.test');
    const b = await ensureSelfSignedCertificate(join(dir, 'b'), 'second.example.test');
    mkdirSync(join(dir, 'live'));
    copyFileSync(a.certPath, join(dir, 'live', 'cert.pem'));
    copyFileSync(a.keyPath, join(dir, 'live', 'key.pem'));
    const s = await start({ tls: { cert: join(dir, 'live', 'cert.pem'), key: join(dir, 'live', 'key.pem') } });
    const cn = async () => {
      const c = await LineClient.connect(s.port('pop3', 'tls'), { tls: true });
      const name = String(c.tlsSocket!.getPeerCertificate().subject.CN);
      c.close();
      return name;
    };
    assert.equal(await cn(), 'first.example.test');
    await new Promise((r) => setTimeout(r, 1100)); // a different mtime second
    copyFileSync(b.keyPath, join(dir, 'live', 'key.pem'));
    copyFileSync(b.certPath, join(dir, 'live', 'cert.pem'));
    let seen = '';
    for (let i = 0; i < 40 && seen !== 'second.example.test'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      seen = await cn();
    }
    assert.equal(seen, 'second.example.test');
  });
});

describe('trusted networks and session limits', () => {
  test('with no trustedNetworks even loopback is untrusted; listing 127.0.0.1 opts it in', async () => {
    const strict = await start({});
    const c = await LineClient.connect(strict.port('pop3', 'starttls'));
    await c.readLine();
    assert.match(await c.command('USER alice@example.test'), /^-ERR \[AUTH\]/);
    c.close();
    const trusting = await start({ trustedNetworks: ['127.0.0.0/8'] });
    const t = await LineClient.connect(trusting.port('pop3', 'starttls'));
    await t.readLine();
    assert.match(await t.command('USER alice@example.test'), /^\+OK/);
    assert.match(await t.command('PASS pw-alice'), /^\+OK Logged in/);
    t.close();
  });

  test('an idle logged-in session is closed after the authenticated timeout', async () => {
    const s = await start({ pop3: { authenticatedConnectionTimeout: '1s' } });
    const c = await LineClient.connect(s.port('pop3', 'tls'), { tls: true });
    await c.readLine();
    await c.command('USER alice@example.test');
    await c.command('PASS pw-alice');
    assert.equal(await c.readLine(4000), '-ERR Disconnected for inactivity.');
    await c.closedByServer();
  });

  test('sessions per user and address are capped', async () => {
    const s = await start({ pop3: { maxConnectionsPerUserIp: 1 } });
    await s.addUser({ address: 'sales@example.test', shared: true });
    await s.grant('sales@example.test', 'alice@example.test');
    const a = await LineClient.connect(s.port('pop3', 'tls'), { tls: true });
    await a.readLine();
    await a.command('USER alice@example.test');
    assert.match(await a.command('PASS pw-alice'), /^\+OK/);
    const b = await LineClient.connect(s.port('pop3', 'tls'), { tls: true });
    await b.readLine();
    await b.command('USER alice@example.test\\sales');
    assert.equal(await b.command('PASS pw-alice'), '-ERR [SYS/TEMP] Too many connections from this user and address.');
    a.close(); b.close();
  });

  test('APOP is refused (postern keeps no cleartext passwords) and not advertised', async () => {
    const s = await start({});
    const c = await LineClient.connect(s.port('pop3', 'tls'), { tls: true });
    const greeting = (await c.readLine())!;
    assert.ok(!/<.*@.*>/.test(greeting), 'no APOP timestamp in the banner');
    assert.match(await c.command('APOP alice 0123456789abcdef0123456789abcdef'), /^-ERR \[AUTH\] APOP is not supported/);
    c.close();
  });
});
