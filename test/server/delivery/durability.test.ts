// Nothing acknowledged with 250 is lost: a real `postern serve` process takes mail for a
// smarthost it cannot reach, is killed with SIGKILL right after the last 250, and every
// acknowledged message is in the queue afterwards — and is relayed once a smarthost answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestServer } from '../../helpers/server.js';
import { openSqliteQueue } from '../../../src/store/sqlite/queue.js';
import { SmtpClient, mail } from '../smtp/client.js';
import { eventually } from '../smtp/helpers.js';
import { FakeSmarthost } from './fake-smarthost.js';

const ALICE = 'alice@example.test';
let dir: string;
let child: ChildProcess | null = null;

function spawnServer(dataDir: string): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`./fixtures/serve${fromSource ? '.ts' : '.js'}`, import.meta.url));
  return spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), script, 'serve', '--data', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-durable-'));
  // A smarthost port with nobody listening: everything stays queued.
  const dead = await FakeSmarthost.start();
  const deadPort = dead.port;
  await dead.stop();
  const setup = await TestServer.start({ dataDir: dir, config: { relay: { host: '127.0.0.1', port: deadPort, security: 'none', retry: ['1h'] } } });
  await setup.addUser({ address: ALICE, password: 'pw-alice' });
  await setup.stop({ keepData: true });
});

after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function sendMany(port: number, client: number, n: number): Promise<string[]> {
  const c = await SmtpClient.open(port, { tls: true });
  await c.ehlo();
  assert.equal((await c.authPlain(ALICE, 'pw-alice')).code, 235);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await c.sendMail(ALICE, [`r${i}@remote.test`], mail(ALICE, `r${i}@remote.test`, `durable ${client}-${i}`));
    assert.equal(r.code, 250, r.text);
    ids.push(/queued as (\S+)/.exec(r.text)![1]!);
  }
  return ids; // no QUIT: the kill comes right after the last 250
}

test('SIGKILL right after the last 250: every acknowledged message is in the queue, and is relayed after a restart', async () => {
  child = spawnServer(dir);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await eventually(() => existsSync(join(dir, 'listeners.json')), 20_000, `the server to listen (${stderr})`);
  const listeners = JSON.parse(readFileSync(join(dir, 'listeners.json'), 'utf8')) as Array<{ protocol: string; security: string; port: number }>;
  const port = listeners.find((l) => l.protocol === 'submission' && l.security === 'tls')!.port;

  // Three clients at once, so acknowledgements share commits (group commit) when they can.
  const acked = (await Promise.all([0, 1, 2].map((k) => sendMany(port, k, 10)))).flat();
  child.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));
  assert.equal(acked.length, 30);

  const queue = await openSqliteQueue(dir);
  try {
    const entries = await queue.list();
    const ids = new Set(entries.map((e) => e.id));
    for (const id of acked) assert.ok(ids.has(id), `acknowledged ${id} is in the queue`);
    for (const id of acked) {
      const raw = (await queue.readMessage(id))!.toString();
      assert.match(raw, /Subject: durable \d-\d+\r\n/);
    }
    // The dead smarthost was tried and the retry is an hour away: what `postern queue flush` does.
    await queue.flush();
  } finally {
    await queue.close();
  }

  // A smarthost appears; the restarted server relays every message exactly once.
  const fake = await FakeSmarthost.start();
  const server = await TestServer.start({ dataDir: dir, config: { relay: { host: '127.0.0.1', port: fake.port, security: 'none', retry: ['1h'], concurrency: 8 } } });
  try {
    await eventually(() => fake.transactions.length >= 30, 20_000, 'all 30 relayed');
    await eventually(async () => (await server.running.context.outbound!.queue.list()).length === 0, 5000, 'an empty queue');
    const subjects = fake.transactions.map((t) => /Subject: (durable \d-\d+)/.exec(t.data.toString())![1]);
    assert.equal(new Set(subjects).size, 30, 'each message once');
  } finally {
    await server.stop({ keepData: true });
    await fake.stop();
  }
});
