// POP3 AUTH (RFC 5034) over real sockets: PLAIN, LOGIN, SCRAM-SHA-256 and -PLUS with our own
// SASL client, initial responses, cancellation, delegation through the authorization identity.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../../helpers/server.js';
import { LineClient } from '../../helpers/line-client.js';
import { createClientExchange } from '../../../src/wire/sasl/client.js';

let server: TestServer;
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function tlsClient(): Promise<LineClient> {
  const c = await LineClient.connect(server.port('pop3', 'tls'), { tls: true });
  await c.readLine();
  return c;
}

/** Drives a SCRAM exchange with our client mechanism; returns the final reply. */
async function scram(c: LineClient, mechanism: string, username: string, password: string, channelData?: Buffer): Promise<string> {
  const ex = createClientExchange(mechanism, { username, password, ...(channelData ? { channelBinding: { type: 'tls-exporter' as const, data: channelData } } : {}) })!;
  let reply = await c.command(`AUTH ${mechanism} ${ex.initialResponse()!.toString('base64')}`);
  while (reply.startsWith('+ ')) {
    const step = ex.step(Buffer.from(reply.slice(2), 'base64'));
    if (step.type === 'error') throw new Error(step.message);
    reply = await c.command(step.type === 'respond' ? step.data.toString('base64') : '');
  }
  if (reply.startsWith('+OK')) assert.notEqual(ex.finish().type, 'error', 'server signature verified');
  return reply;
}

describe('POP3 AUTH', () => {
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'pässwörd 1', domain: 'EXAMPLE' });
    await server.addUser({ address: 'sales@example.test', shared: true });
    await server.grant('sales@example.test', 'alice@example.test');
    await server.deliver('sales@example.test', message('to sales'));
  });
  after(() => server.stop());

  test('AUTH with no mechanism lists the offered mechanisms', async () => {
    const c = await tlsClient();
    assert.match(await c.command('AUTH'), /^\+OK/);
    assert.deepEqual(await c.readDotBody(), ['PLAIN', 'LOGIN', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']);
    c.close();
  });

  test('AUTH PLAIN with an initial response, and without (empty challenge first)', async () => {
    const c = await tlsClient();
    assert.match(await c.command(`AUTH PLAIN ${b64('\0alice@example.test\0pässwörd 1')}`), /^\+OK Logged in/);
    c.close();
    const d = await tlsClient();
    assert.equal(await d.command('AUTH PLAIN'), '+ ');
    assert.match(await d.command(b64('\0alice@example.test\0pässwörd 1')), /^\+OK Logged in/);
    d.close();
  });

  test('AUTH PLAIN with an authorization identity opens the delegated mailbox', async () => {
    const c = await tlsClient();
    assert.match(await c.command(`AUTH PLAIN ${b64('sales@example.test\0alice@example.test\0pässwörd 1')}`), /^\+OK Logged in\. 1 message/);
    c.close();
  });

  test('AUTH LOGIN asks Username: then Password:', async () => {
    const c = await tlsClient();
    assert.equal(await c.command('AUTH LOGIN'), `+ ${b64('Username:')}`);
    assert.equal(await c.command(b64('EXAMPLE\\alice')), `+ ${b64('Password:')}`);
    assert.match(await c.command(b64('pässwörd 1')), /^\+OK Logged in/);
    c.close();
  });

  test('AUTH SCRAM-SHA-256 logs in and the server proves it knows the key', async () => {
    const c = await tlsClient();
    assert.match(await scram(c, 'SCRAM-SHA-256', 'alice@example.test', 'pässwörd 1'), /^\+OK Logged in/);
    c.close();
  });

  test('AUTH SCRAM-SHA-256 is allowed before TLS under SecureLogin (no password on the wire)', async () => {
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    await c.readLine();
    assert.match(await scram(c, 'SCRAM-SHA-256', 'alice@example.test', 'pässwörd 1'), /^\+OK Logged in/);
    c.close();
  });

  test('AUTH SCRAM-SHA-256-PLUS binds to the TLS 1.3 channel (tls-exporter)', async () => {
    const c = await tlsClient();
    const exporter = c.tlsSocket!.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    assert.match(await scram(c, 'SCRAM-SHA-256-PLUS', 'alice@example.test', 'pässwörd 1', exporter), /^\+OK Logged in/);
    c.close();
  });

  test('SCRAM-SHA-256-PLUS with another channel\'s binding data fails', async () => {
    const c = await tlsClient();
    const reply = await scram(c, 'SCRAM-SHA-256-PLUS', 'alice@example.test', 'pässwörd 1', Buffer.alloc(32, 7));
    assert.match(reply, /^-ERR \[AUTH\]/);
    c.close();
  });

  test('SCRAM with a wrong password and with an unknown user fail alike', async () => {
    const c = await tlsClient();
    const wrong = await scram(c, 'SCRAM-SHA-256', 'alice@example.test', 'nope');
    const unknown = await scram(c, 'SCRAM-SHA-256', 'nobody@example.test', 'nope');
    assert.match(wrong, /^-ERR \[AUTH\]/);
    assert.equal(wrong, unknown);
    c.close();
  });

  test('"*" cancels an exchange and the session goes on', async () => {
    const c = await tlsClient();
    assert.equal(await c.command('AUTH PLAIN'), '+ ');
    assert.equal(await c.command('*'), '-ERR Authentication cancelled.');
    assert.match(await c.command(`AUTH PLAIN ${b64('\0alice@example.test\0pässwörd 1')}`), /^\+OK/);
    c.close();
  });

  test('invalid base64, unknown mechanisms and wrong passwords get -ERR', async () => {
    const c = await tlsClient();
    assert.match(await c.command('AUTH PLAIN !!!notbase64'), /^-ERR \[AUTH\] Authentication failed: Invalid base64/);
    assert.match(await c.command('AUTH CRAM-MD5'), /^-ERR Unsupported authentication mechanism/);
    assert.match(await c.command(`AUTH PLAIN ${b64('\0alice@example.test\0wrong')}`), /^-ERR \[AUTH\] Authentication failed\.$/);
    assert.match(await c.command(`AUTH PLAIN ${b64('no-nuls-here')}`), /^-ERR \[AUTH\]/);
    c.close();
  });
});
