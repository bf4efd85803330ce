// Real POP3 clients against postern: Python's poplib (STLS and POP3_SSL), curl (pop3 with
// required STARTTLS, pop3s) and fetchmail from Debian over both TLS modes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestServer, message } from '../helpers/server.js';
import { run, which } from '../helpers/run.js';

let server: TestServer;

const POPLIB = `
import poplib, ssl, sys, json
mode, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == 'stls':
    c = poplib.POP3('127.0.0.1', port, timeout=10); caps_before = c.capa(); c.stls(ctx)
else:
    c = poplib.POP3_SSL('127.0.0.1', port, context=ctx, timeout=10); caps_before = None
caps = c.capa()
c.user(sys.argv[3]); c.pass_(sys.argv[4])
count, size = c.stat()
resp, lines, octets = c.retr(1)
uidl = c.uidl()[1]
top = c.top(1, 0)[1]
c.dele(1)
c.quit()
print(json.dumps({"before": sorted(caps_before) if caps_before is not None else None, "after": sorted(caps), "count": count, "size": size,
  "body": b"\\r\\n".join(lines).decode(), "uidl": len(uidl), "top": len(top)}))
`;

describe('POP3 interop with real clients', () => {
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'pw alice+/&%()=?[]\\', domain: 'EXAMPLE' });
  });
  after(() => server.stop());

  test('Python poplib: CAPA hides USER before STLS, then logs in, RETR, UIDL, TOP, DELE, QUIT', async () => {
    await server.deliver('alice@example.test', message('poplib stls', 'Hello from poplib.\r\n.dotted line\r\n'));
    const r = await run('python3', ['-c', POPLIB, 'stls', String(server.port('pop3', 'starttls')), 'alice@example.test', 'pw alice+/&%()=?[]\\']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(out.before.includes('STLS') && !out.before.includes('USER'));
    assert.ok(out.after.includes('USER') && !out.after.includes('STLS'));
    assert.equal(out.count, 1);
    assert.match(out.body, /Hello from poplib\.\r\n\.dotted line/);
    assert.equal(out.uidl, 1);
    const s = await server.store.listMessages((await server.store.getMailbox((await server.store.findAccountByAddress('alice@example.test'))!.id, 'INBOX'))!.id);
    assert.equal(s.length, 0, 'DELE + QUIT removed it');
  });

  test('Python poplib: POP3_SSL with the domain\\user login form', async () => {
    await server.deliver('alice@example.test', message('poplib ssl'));
    const r = await run('python3', ['-c', POPLIB, 'ssl', String(server.port('pop3', 'tls')), 'EXAMPLE\\alice', 'pw alice+/&%()=?[]\\']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).count, 1);
  });

  test('curl pop3s:// lists and retrieves; pop3:// with --ssl-reqd upgrades with STLS', async () => {
    await server.deliver('alice@example.test', message('curl one', 'curl body\r\n'));
    const user = 'alice@example.test:pw alice+/&%()=?[]\\';
    const list = await run('curl', ['-sS', '-k', `pop3s://127.0.0.1:${server.port('pop3', 'tls')}/`, '-u', user]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^1 \d+\r?$/m);
    const retr = await run('curl', ['-sS', '-k', `pop3s://127.0.0.1:${server.port('pop3', 'tls')}/1`, '-u', user]);
    assert.match(retr.stdout, /Subject: curl one/);
    const stls = await run('curl', ['-sS', '-k', '--ssl-reqd', `pop3://127.0.0.1:${server.port('pop3', 'starttls')}/1`, '-u', user]);
    assert.equal(stls.code, 0, stls.stderr);
    assert.match(stls.stdout, /curl body/);
  });

  test('curl pop3:// without TLS cannot log in under SecureLogin (no USER, no PLAIN offered)', async () => {
    const r = await run('curl', ['-sS', `pop3://127.0.0.1:${server.port('pop3', 'starttls')}/`, '-u', 'alice@example.test:pw']);
    assert.notEqual(r.code, 0);
  });

  for (const mode of ['starttls', 'tls'] as const) {
    test(`fetchmail over ${mode === 'tls' ? 'implicit TLS' : 'STLS'} fetches and deletes every message`, { skip: which('fetchmail') ? false : 'fetchmail is not installed (apt-get install fetchmail)' }, async () => {
      const inbox = (await server.store.getMailbox((await server.store.findAccountByAddress('alice@example.test'))!.id, 'INBOX'))!;
      const waiting = (await server.store.listMessages(inbox.id)).length;
      await server.deliver('alice@example.test', message(`fetchmail ${mode} a`));
      await server.deliver('alice@example.test', message(`fetchmail ${mode} b`));
      const dir = mkdtempSync(join(tmpdir(), 'fetchmail-'));
      const out = join(dir, 'out');
      const rc = join(dir, 'fetchmailrc');
      const port = server.port('pop3', mode);
      writeFileSync(rc, [
        `poll 127.0.0.1 protocol pop3 port ${port}`,
        `  user "alice@example.test" password "pw alice+/&%()=?[]\\\\" is root here`,
        `  ${mode === 'tls' ? 'ssl ' : ''}sslproto "TLS1.2+" no sslcertck`,
        `  mda "/bin/sh -c 'mkdir -p ${out} && cat > ${out}/msg-$$$$-%T'"`,
        '',
      ].join('\n'));
      chmodSync(rc, 0o600);
      const r = await run('fetchmail', ['-f', rc, '--nosyslog', '--pidfile', join(dir, 'pid'), '-i', join(dir, 'ids'), '-v'], { env: { HOME: dir } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const files = readdirSync(out);
      assert.equal(files.length, waiting + 2);
      const all = files.map((f) => readFileSync(join(out, f), 'utf8')).join('\n');
      assert.match(all, new RegExp(`fetchmail ${mode} a`));
      assert.match(all, new RegExp(`fetchmail ${mode} b`));
      if (mode === 'starttls') assert.match(r.stdout + r.stderr, /STLS/);
      const left = await server.store.listMessages((await server.store.getMailbox((await server.store.findAccountByAddress('alice@example.test'))!.id, 'INBOX'))!.id);
      assert.equal(left.length, 0, 'fetchmail deleted what it fetched');
    });
  }
});
