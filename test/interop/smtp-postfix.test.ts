// Relay through Postfix from Debian on loopback, in each of the three security modes — a
// smarthost speaking only implicit TLS (wrapper mode, seed 001), one offering STARTTLS, one
// plaintext — with its certificate checked against a test CA. Postfix hands the mail on to a
// second postern over LMTP, the way an existing MTA delivers into postern, so the message is
// read back from a mailbox at the far end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { startPostfix, type PostfixPeer } from '../peers/postfix.js';
import { makeGoodCerts, scratchDir } from '../peers/certs.js';
import { SmtpClient, mail } from '../server/smtp/client.js';
import { eventually, inbox } from '../server/smtp/helpers.js';
import { isAscii } from 'node:buffer';
import { parseMessage } from '../../src/wire/mime/message.js';

const ALICE = 'alice@example.test';
const DAVE = 'dave@remote.test';

describe('relay through Postfix', async () => {
  let postfix: PostfixPeer | null = null;
  let skip: string | false = false;
  let farEnd: TestServer;
  let caFile: string;

  before(async () => {
    farEnd = await TestServer.start();
    await farEnd.addUser({ address: DAVE, password: 'pw-dave' });
    const { ca, leaf } = await makeGoodCerts();
    caFile = join(scratchDir('relay-ca'), 'ca.pem');
    writeFileSync(caFile, ca.cert);
    const lmtp = `lmtp:inet:127.0.0.1:${farEnd.port('lmtp', 'plain')}`;
    const started = await startPostfix({ cert: leaf, extraMain: `relay_transport = ${lmtp}\ndefault_transport = ${lmtp}\n` });
    if (started.ok) postfix = started.peer;
    else skip = started.reason;
  });
  after(async () => {
    await postfix?.stop();
    await farEnd.stop();
  });

  async function relayVia(security: 'tls' | 'starttls' | 'none', port: () => number, subject: string): Promise<void> {
    const a = await TestServer.start({ config: { relay: { host: '127.0.0.1', port: port(), security, ca: caFile, retry: ['300ms'] } } });
    try {
      await a.addUser({ address: ALICE, password: 'pw-alice' });
      const c = await SmtpClient.open(a.port('submission', 'tls'), { tls: true });
      await c.ehlo();
      assert.equal((await c.authPlain(ALICE, 'pw-alice')).code, 235);
      assert.equal((await c.sendMail(ALICE, [DAVE], mail(ALICE, DAVE, subject, 'Through Postfix.\r\n.dot line\r\n'))).code, 250);
      await c.quit();
      await eventually(async () => (await inbox(farEnd, DAVE)).some((m) => m.includes(`Subject: ${subject}`)), 15_000, `${subject} at the far end`);
      await eventually(async () => (await a.running.context.outbound!.queue.list()).length === 0, 5000, 'an empty queue');
      const m = (await inbox(farEnd, DAVE)).find((x) => x.includes(`Subject: ${subject}`))!.toString();
      // Three hops traced: postern over LMTP (top), Postfix, then the sending postern.
      assert.match(m, /^Return-Path: <alice@example\.test>\r\nReceived: from perf\.localdomain \(\[127\.0\.0\.1\]\)\r\n\tby localhost \(postern\) with LMTP id /);
      assert.match(m, new RegExp(`by perf\\.localdomain \\(Postfix\\) with ${security === 'none' ? 'ESMTP' : 'ESMTPS'} id`));
      assert.match(m, /by localhost \(postern\) with ESMTPSA id [0-9A-F]{16}/);
      assert.ok(m.includes('\r\n\r\nThrough Postfix.\r\n.dot line\r\n'), 'the body arrives intact');
    } finally {
      await a.stop();
    }
  }

  test('implicit TLS (Postfix in wrapper mode, a 465-only smarthost)', async (t) => {
    if (skip) return t.skip(skip);
    await relayVia('tls', () => postfix!.implicit, 'postfix implicit tls');
  });

  test('STARTTLS, the certificate checked against the test CA', async (t) => {
    if (skip) return t.skip(skip);
    await relayVia('starttls', () => postfix!.starttls, 'postfix starttls');
  });

  test('plaintext (security: none)', async (t) => {
    if (skip) return t.skip(skip);
    await relayVia('none', () => postfix!.plain, 'postfix plaintext');
  });

  test('STARTTLS required but this Postfix port has no TLS: the message stays queued, nothing sent in clear', async (t) => {
    if (skip) return t.skip(skip);
    const a = await TestServer.start({ config: { relay: { host: '127.0.0.1', port: postfix!.plain, security: 'starttls', ca: caFile, retry: ['1h'] } } });
    try {
      await a.addUser({ address: ALICE, password: 'pw-alice' });
      const c = await SmtpClient.open(a.port('submission', 'tls'), { tls: true });
      await c.ehlo();
      await c.authPlain(ALICE, 'pw-alice');
      assert.equal((await c.sendMail(ALICE, [DAVE], mail(ALICE, DAVE, 'must not go in clear'))).code, 250);
      await c.quit();
      await eventually(async () => ((await a.running.context.outbound!.queue.list())[0]?.attempts ?? 0) >= 1, 10_000);
      assert.match((await a.running.context.outbound!.queue.list())[0]!.lastError!, /does not offer STARTTLS/);
    } finally {
      await a.stop();
    }
  });

  test('implicit TLS to a smarthost whose certificate is not trusted: queued with the reason', async (t) => {
    if (skip) return t.skip(skip);
    const a = await TestServer.start({ config: { relay: { host: '127.0.0.1', port: postfix!.implicit, security: 'tls', retry: ['1h'] } } });
    try {
      await a.addUser({ address: ALICE, password: 'pw-alice' });
      const c = await SmtpClient.open(a.port('submission', 'tls'), { tls: true });
      await c.ehlo();
      await c.authPlain(ALICE, 'pw-alice');
      assert.equal((await c.sendMail(ALICE, [DAVE], mail(ALICE, DAVE, 'untrusted postfix'))).code, 250);
      await c.quit();
      await eventually(async () => ((await a.running.context.outbound!.queue.list())[0]?.attempts ?? 0) >= 1, 10_000);
      assert.match((await a.running.context.outbound!.queue.list())[0]!.lastError!, /certificate/i);
    } finally {
      await a.stop();
    }
  });
});

describe('relay through a Postfix that does not offer 8BITMIME (RFC 6152 §3)', async () => {
  let postfix: PostfixPeer | null = null;
  let skip: string | false = false;
  let farEnd: TestServer;

  before(async () => {
    farEnd = await TestServer.start();
    await farEnd.addUser({ address: DAVE, password: 'pw-dave' });
    const { leaf } = await makeGoodCerts();
    const lmtp = `lmtp:inet:127.0.0.1:${farEnd.port('lmtp', 'plain')}`;
    const started = await startPostfix({
      cert: leaf,
      extraMain: `relay_transport = ${lmtp}\ndefault_transport = ${lmtp}\nsmtpd_discard_ehlo_keywords = 8bitmime\n`,
    });
    if (started.ok) postfix = started.peer;
    else skip = started.reason;
  });
  after(async () => {
    await postfix?.stop();
    await farEnd.stop();
  });

  test('8-bit text is converted to quoted-printable on the way, and reads the same at the far end', async (t) => {
    if (skip) return t.skip(skip);
    const a = await TestServer.start({ config: { relay: { host: '127.0.0.1', port: postfix!.plain, security: 'none', retry: ['300ms'] } } });
    try {
      await a.addUser({ address: ALICE, password: 'pw-alice' });
      const c = await SmtpClient.open(a.port('submission', 'tls'), { tls: true });
      await c.ehlo();
      assert.equal((await c.authPlain(ALICE, 'pw-alice')).code, 235);
      const body = 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n';
      const text = 'Grüße aus Köln, naïve café.\r\n';
      assert.equal((await c.sendMail(ALICE, [DAVE], mail(ALICE, DAVE, 'eight bits via postfix', text, body))).code, 250);
      await c.quit();
      await eventually(async () => (await inbox(farEnd, DAVE)).some((m) => m.includes('Subject: eight bits via postfix')), 15_000, 'the message at the far end');
      const m = (await inbox(farEnd, DAVE)).find((x) => x.includes('Subject: eight bits via postfix'))!;
      assert.ok(isAscii(m), 'only 7-bit octets crossed Postfix');
      assert.match(m.toString('latin1'), /Content-Transfer-Encoding: quoted-printable\r\n/);
      assert.equal(parseMessage(m).text, 'Grüße aus Köln, naïve café.\n');
    } finally {
      await a.stop();
    }
  });
});
