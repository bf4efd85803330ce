// The SMTP parts of postern.yaml as an admin meets them: the smtp (MX) and relay sections are
// off unless written, bad values are refused with the key's path, and `postern settings`
// reads and writes the new keys.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import { validateConfig } from '../../../src/config/load.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'postern-smtp-config-'));
  writeFileSync(join(dir, 'postern.yaml'), 'hostname: mail.example.test\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function postern(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main([...args, '--data', dir], { stdout, stderr, stdin: new PassThrough(), cwd: dir });
  return { code, out, err };
}

test('defaults: no MX, no relay, submission keeps 100 recipients and FullAccess send-as', () => {
  const c = validateConfig({}, 'test');
  assert.equal(c.smtp, undefined);
  assert.equal(c.relay, undefined);
  assert.deepEqual(c.acceptedDomains, []);
  assert.equal(c.submission.maxRecipients, 100);
  assert.equal(c.submission.sendAs, 'fullAccess');
});

test('a relay section: ports default by security, retries and expiry are durations', () => {
  const c = validateConfig({ relay: { host: 'smtp.provider.example', security: 'tls', retry: ['30s', '5m'], expiry: '2d' } }, 'test');
  assert.equal(c.relay!.port, undefined, 'the runner picks 465 for tls');
  assert.deepEqual(c.relay!.retry, [30_000, 300_000]);
  assert.equal(c.relay!.expiry, 2 * 86_400_000);
  assert.equal(c.relay!.verifyCertificate, true);
});

test('bad SMTP settings are refused with the key path and what is allowed', () => {
  assert.throws(() => validateConfig({ relay: { host: 'x', security: 'ssl' } }, 'test'), /relay\.security: must be one of tls \| starttls \| none/);
  assert.throws(() => validateConfig({ relay: { host: 'x', auth: { username: 'u' } } }, 'test'), /relay\.auth: give relay\.auth\.password or relay\.auth\.passwordFile/);
  assert.throws(() => validateConfig({ submission: { sendAs: 'everyone' } }, 'test'), /submission\.sendAs: must be one of own \| fullAccess \| any/);
  assert.throws(() => validateConfig({ smtp: { bindings: ['nowhere'] } }, 'test'), /smtp\.bindings\.0/);
  assert.throws(() => validateConfig({ relay: { host: 'x', retry: ['soon'] } }, 'test'), /relay\.retry\.0: "soon" is not a duration/);
});

test('postern settings set submission --max-recipients --send-as, and settings get smtp', async () => {
  let r = await postern('settings', 'set', 'submission', '--max-recipients', '25', '--send-as', 'own');
  assert.equal(r.code, 0, r.err);
  r = await postern('settings', 'get', 'smtp');
  assert.equal(r.code, 1);
  assert.match(r.err, /smtp \(the inbound MX on port 25\) is not configured/);
  r = await postern('settings', 'set', 'smtp', '--bindings', '0.0.0.0:25', '--max-recipients', '50');
  assert.equal(r.code, 0, r.err);
  r = await postern('settings', 'get', 'smtp', '--json');
  const view = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(view.Bindings, ['0.0.0.0:25']);
  assert.equal(view.MaxRecipientsPerMessage, 50);
  assert.equal(view.ConnectionTimeout, '00:05:00');
  const c = validateConfig((await import('yaml')).parse((await import('node:fs')).readFileSync(join(dir, 'postern.yaml'), 'utf8')), 'x');
  assert.equal(c.submission.maxRecipients, 25);
  assert.equal(c.submission.sendAs, 'own');
});
