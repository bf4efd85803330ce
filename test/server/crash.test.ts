// SIGKILL during a burst of deliveries: every delivery reported as done is there afterwards,
// the store opens cleanly, and POP3 serves it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import Database from 'better-sqlite3';
import { testConfig } from '../helpers/server.js';
import { postern, spawnServer, stopChild } from '../helpers/cli.js';
import { LineClient } from '../helpers/line-client.js';

test('SIGKILL of the server and the delivering process mid-burst loses no acknowledged delivery', async () => {
  const data = mkdtempSync(join(tmpdir(), 'postern-crash-'));
  writeFileSync(join(data, 'postern.yaml'), stringify(testConfig({})));
  assert.equal((await postern(['user', 'add', 'alice@example.test', '--password-stdin', '--data', data], { input: 'pw-alice\n' })).code, 0);
  const server = await spawnServer(['--data', data], data);

  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`../fixtures/deliver-burst${fromSource ? '.ts' : '.js'}`, import.meta.url));
  const burst = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), script, data, 'alice@example.test'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acknowledged = 0;
  const reachedEnough = new Promise<void>((resolve) => {
    createInterface({ input: burst.stdout! }).on('line', (line) => {
      const m = /^done (\d+)$/.exec(line);
      if (m) acknowledged = Number(m[1]);
      if (acknowledged >= 150) resolve();
    });
  });
  // Meanwhile a POP3 session is open on the server, reading.
  const port = server.listeners.find((l) => l.protocol === 'pop3' && l.security === 'tls')!.port;
  const reader = await LineClient.connect(port, { tls: true });
  await reader.readLine();
  await reader.command('USER alice@example.test');
  assert.match(await reader.command('PASS pw-alice'), /^\+OK/);
  await reachedEnough;
  // Listen for the exits before killing: an 'exit' that already fired never fires again.
  const burstGone = new Promise((r) => burst.once('close', r));
  const serverGone = new Promise((r) => server.child.once('exit', r));
  burst.kill('SIGKILL');
  server.child.kill('SIGKILL');
  await Promise.all([burstGone, serverGone]);
  reader.close();
  const seen = acknowledged;

  const db = new Database(join(data, 'postern.sqlite'), { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();

  const again = await spawnServer(['--data', data], data);
  try {
    const c = await LineClient.connect(again.listeners.find((l) => l.protocol === 'pop3' && l.security === 'tls')!.port, { tls: true });
    await c.readLine();
    await c.command('USER alice@example.test');
    await c.command('PASS pw-alice');
    const count = Number(/^\+OK (\d+)/.exec(await c.command('STAT'))![1]);
    assert.ok(count >= seen, `${count} messages stored, ${seen} acknowledged`);
    // Every acknowledged number is present exactly once.
    const numbers = new Set<number>();
    for (let i = 1; i <= count; i++) {
      await c.command(`TOP ${i} 0`);
      const header = await c.readDotBody();
      const n = Number(header.find((l) => l.startsWith('X-Burst: '))!.slice(9));
      assert.ok(!numbers.has(n), `message ${n} stored twice`);
      numbers.add(n);
    }
    for (let n = 1; n <= seen; n++) assert.ok(numbers.has(n), `acknowledged delivery ${n} is missing`);
    c.line('QUIT'); await c.readLine();
  } finally {
    await stopChild(again.child);
  }
});

test('SIGKILL of the server during a burst of LMTP deliveries: every 250 is in the mailbox after restart', async () => {
  const data = mkdtempSync(join(tmpdir(), 'postern-crash-lmtp-'));
  writeFileSync(join(data, 'postern.yaml'), stringify(testConfig({})));
  assert.equal((await postern(['user', 'add', 'alice@example.test', '--password-stdin', '--data', data], { input: 'pw-alice\n' })).code, 0);
  const server = await spawnServer(['--data', data], data);
  const lmtpPort = server.listeners.find((l) => l.protocol === 'lmtp')!.port;
  const serverGone = new Promise((r) => server.child.once('exit', r));
  // Four LMTP sessions deliver in parallel until the server dies under them.
  const acknowledged = new Set<number>();
  let next = 1;
  const sessions = Array.from({ length: 4 }, async () => {
    const c = await LineClient.connect(lmtpPort);
    try {
      await c.readLine();
      c.line('LHLO crash.test');
      while ((await c.readLine())?.startsWith('250-')) { /* capabilities */ }
      for (;;) {
        const n = next++;
        if (n === 200) server.child.kill('SIGKILL');
        c.send(`MAIL FROM:<carol@example.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n`);
        if (!(await c.readLine())?.startsWith('250') || !(await c.readLine())?.startsWith('250') || !(await c.readLine())?.startsWith('354')) return;
        c.send(`Subject: lmtp ${n}\r\nX-Burst: ${n}\r\n\r\n${'payload '.repeat(64)}\r\n.\r\n`);
        const reply = await c.readLine();
        if (!reply?.startsWith('250')) return;
        acknowledged.add(n);
      }
    } catch {
      // the server died mid-reply: that delivery was not acknowledged
    } finally {
      c.close();
    }
  });
  await Promise.all(sessions);
  await serverGone;
  assert.ok(acknowledged.size >= 150, `only ${acknowledged.size} deliveries acknowledged before the kill`);

  const db = new Database(join(data, 'postern.sqlite'), { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
  const again = await spawnServer(['--data', data], data);
  try {
    const c = await LineClient.connect(again.listeners.find((l) => l.protocol === 'pop3' && l.security === 'tls')!.port, { tls: true });
    await c.readLine();
    await c.command('USER alice@example.test');
    await c.command('PASS pw-alice');
    const count = Number(/^\+OK (\d+)/.exec(await c.command('STAT'))![1]);
    const stored = new Set<number>();
    for (let i = 1; i <= count; i++) {
      await c.command(`TOP ${i} 0`);
      const header = await c.readDotBody();
      stored.add(Number(header.find((l) => l.startsWith('X-Burst: '))!.slice(9)));
    }
    for (const n of acknowledged) assert.ok(stored.has(n), `delivery ${n} was acknowledged with 250 but is missing`);
    c.line('QUIT'); await c.readLine();
  } finally {
    await stopChild(again.child);
  }
});
