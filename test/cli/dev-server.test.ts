// `npm start` = `postern serve --dev`: POP3 on 1110/1995, a demo account, and printed client
// commands that work exactly as printed (run here through sh, as a user pastes them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnServer, stopChild } from '../helpers/cli.js';
import { run } from '../helpers/run.js';

describe('postern serve --dev', () => {
  let cwd: string;
  let server: { child: ChildProcess; output: () => string; listeners: Array<{ protocol: string; security: string; port: number }> };

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'postern-dev-'));
    server = await spawnServer(['--dev'], join(cwd, '.postern-dev'), { cwd });
    for (let i = 0; i < 50 && !server.output().includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(() => stopChild(server.child));

  const printed = (prefix: string) => server.output().split('\n').map((l) => l.trim()).filter((l) => l.startsWith(prefix));
  const password = () => /password: +(\S+)/.exec(server.output())![1]!;

  test('serves POP3 on 1110 (STARTTLS) and 1995 (implicit TLS) and prints the demo account', () => {
    const pop = server.listeners.filter((l) => l.protocol === 'pop3').map((l) => `${l.security}:${l.port}`).sort();
    assert.deepEqual(pop, ['starttls:1110', 'tls:1995']);
    assert.match(server.output(), /demo account: demo@example\.test/);
    assert.ok(password().length >= 8);
  });

  test('the printed openssl s_client -starttls pop3 command logs in and reads the welcome message', async () => {
    const [cmd] = printed('openssl s_client -quiet -starttls pop3');
    assert.ok(cmd, server.output());
    const r = await run('sh', ['-c', cmd!], { input: `USER demo@example.test\r\nPASS ${password()}\r\nSTAT\r\nRETR 1\r\nQUIT\r\n` });
    assert.match(r.stdout, /\+OK Logged in/);
    assert.match(r.stdout, /^\+OK 1 \d+/m);
    assert.match(r.stdout, /Subject: Welcome to postern/);
  });

  test('the printed curl pop3s:// command retrieves message 1, and the STARTTLS one lists it', async () => {
    const [retr] = printed('curl -k pop3s://');
    const r = await run('sh', ['-c', retr!]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Subject: Welcome to postern/);
    const [list] = printed('curl -k --ssl-reqd pop3://');
    const l = await run('sh', ['-c', list!]);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /^1 \d+/m);
  });
});
