// `postern probe` as a user runs it, against a postern server on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { postern } from '../helpers/cli.js';

let server: TestServer;
before(async () => { server = await TestServer.start(); });
after(() => server.stop());

test('probe of postern\'s POP3 STARTTLS port: self-signed certificate is a failure (exit 2) explained in words', async () => {
  const r = await postern(['probe', '127.0.0.1', '--port', String(server.port('pop3', 'starttls')), '--protocol', 'pop3', '--timeout', '3']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /pop3 +starttls/);
  assert.match(r.stdout, /self-signed/);
  assert.match(r.stdout, /fix: /);
});

test('probe --json --ca with the server\'s certificate: STARTTLS, trusted, no cleartext login before TLS', async () => {
  const r = await postern(['probe', '127.0.0.1', '--port', String(server.port('pop3', 'starttls')), '--protocol', 'pop3', '--json', '--timeout', '3',
    '--ca', join(server.dataDir, 'tls', 'cert.pem')]);
  assert.ok([0, 1].includes(r.code ?? -1), r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { schema: string; ports: Array<{ mode: string; diagnoses?: Array<{ id: string }> }> };
  assert.equal(report.schema, 'postern-probe/1');
  assert.equal(report.ports[0]!.mode, 'starttls');
  const diagnoses = report.ports[0]!.diagnoses!;
  assert.ok(Array.isArray(diagnoses));
  assert.ok(!/cleartext/.test(JSON.stringify(diagnoses)), JSON.stringify(diagnoses));
  assert.ok(!/self-signed/.test(JSON.stringify(diagnoses)), 'trusted through --ca');
});

test('probe with a bad --port value fails with one sentence', async () => {
  const r = await postern(['probe', '127.0.0.1', '--port', 'x']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^postern: --port takes a positive number/);
});
