// `postern queue list|flush|remove` on a data directory, as an admin types them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import { openSqliteQueue } from '../../../src/store/sqlite/queue.js';

let dir: string;
let ids: string[] = [];

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main([...args, '--data', dir], { stdout, stderr, stdin: new PassThrough(), cwd: dir });
  return { code, out, err };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-qcli-'));
  const q = await openSqliteQueue(dir);
  const later = new Date(Date.now() + 3_600_000);
  for (const to of ['a@remote.test', 'b@remote.test', 'c@remote.test']) {
    ids.push(await q.enqueue({
      sender: 'alice@example.test', recipients: [{ address: to, notify: null, orcpt: null }], message: Buffer.from(`Subject: ${to}\r\n\r\nx\r\n`),
      body: null, smtputf8: false, ret: null, envid: null, submittedBy: 'alice@example.test', notBefore: later,
    }));
  }
  await q.recordAttempt(ids[0]!, [{ index: 0, state: 'pending', lastResult: '451 4.3.0 try later', status: '4.3.0', remoteMta: 'smarthost' }], later, 'smarthost said 451');
  await q.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('queue list shows each message, its recipients and their last result', async () => {
  const r = await run('queue', 'list');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^${ids[0]}\\s+\\d+  queued \\d+s ago  1 attempt, next try in \\d+m  from <alice@example\\.test>\\n    pending   <a@remote\\.test>  \\(451 4\\.3\\.0 try later\\)\\n`));
  assert.match(r.out, /-- 3 messages in the queue, \d+ octets\.\n$/);
});

test('queue list --json gives the same as data', async () => {
  const r = await run('queue', 'list', '--json');
  const rows = JSON.parse(r.out) as Array<{ id: string; sender: string; attempts: number; recipients: Array<{ address: string; state: string }> }>;
  assert.deepEqual(rows.map((x) => x.id), ids);
  assert.equal(rows[0]!.attempts, 1);
  assert.deepEqual(rows[1]!.recipients, [{ address: 'b@remote.test', state: 'pending', lastResult: null }]);
});

test('queue flush ID makes one message due; flush makes all due', async () => {
  let r = await run('queue', 'flush', ids[1]!.toLowerCase());
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^1 message due now/);
  r = await run('queue', 'flush');
  assert.match(r.out, /^3 messages due now/);
  r = await run('queue', 'flush', 'FFFFFFFFFFFFFFFF');
  assert.equal(r.code, 1);
  assert.match(r.err, /No message FFFFFFFFFFFFFFFF in the queue/);
});

test('queue remove deletes the named messages; bad or unknown ids are errors with a hint', async () => {
  let r = await run('queue', 'remove', 'nonsense');
  assert.equal(r.code, 1);
  assert.match(r.err, /is not a queue id/);
  r = await run('queue', 'remove', ids[0]!);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `Removed ${ids[0]}.\n`);
  r = await run('queue', 'remove', ids[0]!);
  assert.equal(r.code, 1);
  assert.match(r.err, /Not in the queue/);
  r = await run('queue', 'remove', '--all');
  assert.equal(r.out, `Removed ${ids[1]}, ${ids[2]}.\n`);
  r = await run('queue', 'list');
  assert.equal(r.out, 'The queue is empty.\n');
});
