// Relay through a smarthost, with a second postern as the smarthost (its mailboxes show what
// arrived) and a scripted one for the failure cases: implicit TLS (seed 001), STARTTLS
// required, plaintext; certificate checks; retries with backoff; DSN bounces (RFC 3464);
// the queue across a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestServer } from '../../helpers/server.js';
import { SmtpClient, mail } from '../smtp/client.js';
import { eventually, inbox } from '../smtp/helpers.js';
import { FakeSmarthost } from './fake-smarthost.js';
import type { QueueEntry } from '../../../src/store/queue-types.js';
import { isAscii } from 'node:buffer';
import { parseMessage } from '../../../src/wire/mime/message.js';

const ALICE = 'alice@example.test';
const DAVE = 'dave@remote.test';

async function queued(server: TestServer): Promise<QueueEntry[]> {
  return server.running.context.outbound!.queue.list();
}

async function submit(server: TestServer, to: string[], subject: string, options: { rcptParams?: string; mailParams?: string; body?: string } = {}): Promise<string> {
  const c = await SmtpClient.open(server.port('submission', 'tls'), { tls: true });
  await c.ehlo();
  assert.equal((await c.authPlain(ALICE, 'pw-alice')).code, 235);
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>${options.mailParams ? ' ' + options.mailParams : ''}`)).code, 250);
  for (const t of to) {
    const r = await c.cmd(`RCPT TO:<${t}>${options.rcptParams ? ' ' + options.rcptParams : ''}`);
    assert.equal(r.code, 250, r.text);
  }
  assert.equal((await c.cmd('DATA')).code, 354);
  const stuffed = mail(ALICE, to[0]!, subject, options.body).replace(/^\./gm, '..');
  c.send(`${stuffed}.\r\n`);
  const r = await c.reply();
  assert.equal(r.code, 250, r.text);
  await c.quit();
  return /queued as (\S+)/.exec(r.text)![1]!;
}

async function sender(relay: Record<string, unknown>): Promise<TestServer> {
  const s = await TestServer.start({ config: { relay: { retry: ['300ms'], expiry: '1h', ...relay } } });
  await s.addUser({ address: ALICE, password: 'pw-alice' });
  return s;
}

describe('relay through a postern smarthost', () => {
  let smarthost: TestServer;
  let ca: string;
  before(async () => {
    smarthost = await TestServer.start({
      config: { smtp: { bindings: ['127.0.0.1:0'] }, submission: { sendAs: 'any', loginType: 'PlainTextLogin' } },
    });
    await smarthost.addUser({ address: DAVE, password: 'pw-dave' });
    await smarthost.addUser({ address: 'carol@remote.test', password: 'pw-carol' });
    ca = join(smarthost.dataDir, 'tls', 'cert.pem');
  });
  after(() => smarthost.stop());

  const modes = [
    ['implicit TLS (a 465-only provider, seed 001)', () => ({ security: 'tls', port: smarthost.port('submission', 'tls'), auth: { username: 'carol@remote.test', password: 'pw-carol' } })],
    ['STARTTLS', () => ({ security: 'starttls', port: smarthost.port('submission', 'starttls'), auth: { username: 'carol@remote.test', password: 'pw-carol' } })],
    ['plaintext to an MX, no AUTH', () => ({ security: 'none', port: smarthost.port('smtp', 'starttls') })],
  ] as const;
  for (const [name, relay] of modes) {
    test(`${name}: the message arrives in the remote mailbox and leaves the queue`, async () => {
      const a = await sender({ host: '127.0.0.1', servername: 'localhost', ca, ...relay() });
      try {
        const subject = `relay ${name}`;
        const id = await submit(a, [DAVE], subject);
        await eventually(async () => (await inbox(smarthost, DAVE)).some((m) => m.includes(subject)), 10_000, 'delivery at the smarthost');
        await eventually(async () => (await queued(a)).length === 0, 5000, 'an empty queue');
        const m = (await inbox(smarthost, DAVE)).find((x) => x.includes(subject))!.toString();
        // Both hops are traced: the smarthost's Received on top, then ours with our queue id.
        assert.match(m, new RegExp(`^Return-Path: <${ALICE}>\\r\\nReceived: from localhost \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n`));
        assert.match(m, new RegExp(`by localhost \\(postern\\) with ESMTPSA id ${id}`));
        if (relay().security === 'none') assert.match(m, /with ESMTP id /);
        else assert.match(m, /with ESMTPS?A id [0-9A-F]{16}\r\n\t\(using TLSv1/);
      } finally {
        await a.stop();
      }
    });
  }

  test('plaintext with AUTH uses SCRAM-SHA-256: a cleartext password never crosses an unencrypted link', async () => {
    const a = await sender({
      host: '127.0.0.1', port: smarthost.port('submission', 'starttls'), security: 'none',
      auth: { username: 'carol@remote.test', password: 'pw-carol' },
    });
    try {
      await submit(a, [DAVE], 'scram over plaintext');
      await eventually(async () => (await inbox(smarthost, DAVE)).some((m) => m.includes('scram over plaintext')), 10_000);
    } finally {
      await a.stop();
    }
  });

  test('a smarthost certificate we cannot verify keeps the message queued, with the reason', async () => {
    const a = await sender({ host: '127.0.0.1', port: smarthost.port('submission', 'tls'), security: 'tls', auth: { username: 'carol@remote.test', password: 'pw-carol' } });
    try {
      await submit(a, [DAVE], 'untrusted cert');
      await eventually(async () => (await queued(a))[0]?.attempts === 1, 5000, 'a failed attempt');
      const [e] = await queued(a);
      assert.match(e!.lastError!, /certificate|self.signed/i);
      assert.equal(e!.recipients[0]!.state, 'pending');
      assert.ok(!(await inbox(smarthost, DAVE)).some((m) => m.includes('untrusted cert')));
    } finally {
      await a.stop();
    }
  });

  test('a wrong relay password keeps the message queued (retried, not bounced)', async () => {
    const a = await sender({ host: '127.0.0.1', port: smarthost.port('submission', 'tls'), security: 'tls', ca, servername: 'localhost', auth: { username: 'carol@remote.test', password: 'wrong' } });
    try {
      await submit(a, [DAVE], 'bad relay password');
      await eventually(async () => ((await queued(a))[0]?.attempts ?? 0) >= 1, 8000, 'a failed attempt');
      assert.match((await queued(a))[0]!.lastError!, /refused our login/);
    } finally {
      await a.stop();
    }
  });

  test('the queue survives a restart: queued while the smarthost is unreachable, delivered after', async () => {
    const dead = await FakeSmarthost.start();
    const deadPort = dead.port;
    await dead.stop();
    const a = await sender({ host: '127.0.0.1', port: deadPort, security: 'none' });
    try {
      const id = await submit(a, [DAVE], 'after restart');
      await eventually(async () => ((await queued(a))[0]?.attempts ?? 0) >= 1, 5000);
      assert.match((await queued(a))[0]!.lastError!, /cannot connect/);
      a.rewriteConfig({ relay: { host: '127.0.0.1', port: smarthost.port('smtp', 'starttls'), security: 'none', retry: ['300ms'] } });
      await a.restart();
      assert.equal((await queued(a))[0]?.id, id, 'still queued after the restart');
      await eventually(async () => (await inbox(smarthost, DAVE)).some((m) => m.includes('after restart')), 10_000);
      await eventually(async () => (await queued(a)).length === 0, 5000);
    } finally {
      await a.stop();
    }
  });
});

describe('relay outcomes with a scripted smarthost', () => {
  test('STARTTLS required but not offered: nothing is sent in plaintext; the message waits', async () => {
    const fake = await FakeSmarthost.start({ extensions: ['PIPELINING'] });
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'starttls' });
    try {
      await submit(a, ['x@remote.test'], 'no starttls');
      await eventually(async () => ((await queued(a))[0]?.attempts ?? 0) >= 1, 5000);
      assert.match((await queued(a))[0]!.lastError!, /does not offer STARTTLS/);
      assert.equal(fake.transactions.length, 0);
      assert.ok(!fake.sessions.flat().some((l) => l.startsWith('MAIL')), 'no MAIL FROM in plaintext');
    } finally {
      await a.stop();
      await fake.stop();
    }
  });

  test('a 550 at RCPT bounces to the sender with an RFC 3464 report; the other recipient is delivered', async () => {
    const fake = await FakeSmarthost.start({ rcpt: (a) => (a.startsWith('nobody') ? '550 5.1.1 <nobody@remote.test>: no such user' : '250 2.1.5 Ok') });
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none' });
    try {
      const id = await submit(a, ['nobody@remote.test', 'ok@remote.test'], 'half bounce', { mailParams: 'RET=FULL ENVID=env+2B1' });
      await eventually(async () => (await inbox(a, ALICE)).length === 1, 8000, 'the bounce');
      await eventually(async () => (await queued(a)).length === 0, 5000);
      assert.equal(fake.transactions.length, 1);
      assert.deepEqual(fake.transactions[0]!.recipients, ['ok@remote.test']);
      const dsn = (await inbox(a, ALICE))[0]!.toString();
      assert.match(dsn, /^Return-Path: <>\r\n/);
      assert.match(dsn, /\r\nFrom: Mail Delivery System <MAILER-DAEMON@localhost>\r\n/);
      assert.match(dsn, /\r\nAuto-Submitted: auto-replied\r\n/);
      assert.match(dsn, /Content-Type: multipart\/report; report-type=delivery-status;/);
      assert.match(dsn, /Content-Type: message\/delivery-status\r\n/);
      assert.match(dsn, /Reporting-MTA: dns; localhost\r\nOriginal-Envelope-Id: env\+1\r\nArrival-Date: /);
      assert.match(dsn, /Final-Recipient: rfc822;nobody@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; 127\.0\.0\.1\r\nDiagnostic-Code: smtp; 550 5\.1\.1 <nobody@remote\.test>: no such user\r\n/);
      assert.ok(!dsn.includes('Final-Recipient: rfc822;ok@remote.test'), 'the delivered recipient is not reported');
      assert.match(dsn, /Content-Type: message\/rfc822\r\n/);
      assert.ok(dsn.includes('Subject: half bounce'), 'RET=FULL returns the message');
      assert.ok(dsn.includes(id));
    } finally {
      await a.stop();
      await fake.stop();
    }
  });

  test('8-bit mail to a smarthost without 8BITMIME is converted to 7 bits; with 8BITMIME it goes as it is (RFC 6152)', async () => {
    const seven = await FakeSmarthost.start({ extensions: ['PIPELINING'] });
    const eight = await FakeSmarthost.start();
    const a = await sender({ host: '127.0.0.1', port: seven.port, security: 'none' });
    const b = await sender({ host: '127.0.0.1', port: eight.port, security: 'none' });
    try {
      const body = 'Grüße aus Köln\r\n.dot line\r\n';
      await submit(a, ['x@remote.test'], 'seven bits', { body, mailParams: 'BODY=8BITMIME' });
      await submit(b, ['x@remote.test'], 'eight bits', { body, mailParams: 'BODY=8BITMIME' });
      await eventually(() => seven.transactions.length === 1 && eight.transactions.length === 1, 8000);
      const converted = seven.transactions[0]!;
      assert.ok(isAscii(converted.data), converted.data.toString('latin1'));
      assert.doesNotMatch(converted.mailParams, /BODY=/);
      assert.match(converted.data.toString('latin1'), /MIME-Version: 1\.0\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
      assert.equal(parseMessage(converted.data).text, 'Grüße aus Köln\n.dot line\n');
      const passed = eight.transactions[0]!;
      assert.match(passed.mailParams, /BODY=8BITMIME/);
      assert.ok(passed.data.toString('utf8').endsWith(body), 'unchanged where 8BITMIME is offered');
      assert.equal((await inbox(a, ALICE)).length, 0, 'no bounce');
    } finally {
      await a.stop();
      await b.stop();
      await seven.stop();
      await eight.stop();
    }
  });

  test('what cannot reach the smarthost as it must is returned: 8-bit headers without 8BITMIME (5.6.3), SMTPUTF8 without SMTPUTF8 (5.6.7)', async () => {
    const fake = await FakeSmarthost.start({ extensions: ['PIPELINING', '8BITMIME'] });
    const seven = await FakeSmarthost.start({ extensions: ['PIPELINING'] });
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none' });
    const b = await sender({ host: '127.0.0.1', port: seven.port, security: 'none' });
    try {
      await submit(a, ['x@remote.test'], 'needs utf8', { mailParams: 'SMTPUTF8' });
      await submit(b, ['x@remote.test'], 'Grüße im Betreff', { mailParams: 'BODY=8BITMIME' });
      await eventually(async () => (await inbox(a, ALICE)).length === 1 && (await inbox(b, ALICE)).length === 1, 8000, 'both bounces');
      assert.equal(fake.transactions.length + seven.transactions.length, 0, 'nothing was sent');
      assert.match((await inbox(a, ALICE))[0]!.toString(), /Action: failed\r\nStatus: 5\.6\.7\r\n[\s\S]*does not offer SMTPUTF8/);
      assert.match((await inbox(b, ALICE))[0]!.toString(), /Action: failed\r\nStatus: 5\.6\.3\r\n[\s\S]*takes only 7-bit mail, and a header holds 8-bit text/);
      await eventually(async () => (await queued(a)).length === 0 && (await queued(b)).length === 0, 5000);
    } finally {
      await a.stop();
      await b.stop();
      await fake.stop();
      await seven.stop();
    }
  });

  test('a 451 is retried on the schedule and then delivered; no bounce', async () => {
    let tries = 0;
    const fake = await FakeSmarthost.start({ rcpt: () => (++tries === 1 ? '451 4.3.0 try later' : '250 2.1.5 Ok') });
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none' });
    try {
      await submit(a, ['later@remote.test'], 'retry me');
      await eventually(() => fake.transactions.length === 1, 10_000, 'the second attempt');
      await eventually(async () => (await queued(a)).length === 0, 5000);
      assert.equal(tries, 2);
      assert.equal((await inbox(a, ALICE)).length, 0);
    } finally {
      await a.stop();
      await fake.stop();
    }
  });

  test('still undelivered after relay.delayNotification: the sender is told once that it is delayed, unless NOTIFY leaves DELAY out', async () => {
    let tries = 0;
    const fake = await FakeSmarthost.start({ rcpt: (r) => (r.startsWith('slow') && ++tries <= 6 ? '451 4.3.0 mailbox busy' : '250 2.1.5 Ok') });
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none', delayNotification: '700ms' });
    try {
      await submit(a, ['slow@remote.test'], 'slow one');
      await submit(a, ['slow2@remote.test'], 'quiet one', { rcptParams: 'NOTIFY=FAILURE' });
      await eventually(() => fake.transactions.length === 2, 15_000, 'both delivered in the end');
      await eventually(async () => (await queued(a)).length === 0, 5000);
      const reports = (await inbox(a, ALICE)).map((m) => m.toString());
      assert.equal(reports.length, 1, reports.join('\n----\n'));
      const dsn = reports[0]!;
      assert.match(dsn, /Subject: Delayed Mail \(still being retried\)/);
      assert.match(dsn, /Final-Recipient: rfc822;slow@remote\.test\r\nAction: delayed\r\nStatus: 4\.3\.0\r\n[\s\S]*Will-Retry-Until: /);
      assert.match(dsn, /Diagnostic-Code: smtp; 451 4\.3\.0 mailbox busy/);
      assert.ok(dsn.includes('Subject: slow one'), 'the headers of the message are returned');
      assert.ok(!dsn.includes('slow2@remote.test'), 'NOTIFY=FAILURE: no delay notice');
    } finally {
      await a.stop();
      await fake.stop();
    }
  });

  test('still failing temporarily at expiry: bounced with the last temporary status', async () => {
    const fake = await FakeSmarthost.start({ rcpt: () => '452 4.2.2 mailbox full' });
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none', expiry: '1s' });
    try {
      await submit(a, ['full@remote.test'], 'expires');
      await eventually(async () => (await inbox(a, ALICE)).length === 1, 10_000, 'the expiry bounce');
      const dsn = (await inbox(a, ALICE))[0]!.toString();
      assert.match(dsn, /Action: failed\r\nStatus: 4\.2\.2\r\n/);
      assert.match(dsn, /Diagnostic-Code: X-Postern; gave up after \d+ attempts: 452 4\.2\.2 mailbox full/);
      assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n/, 'headers only by default');
      assert.equal((await queued(a)).length, 0);
    } finally {
      await a.stop();
      await fake.stop();
    }
  });

  test('NOTIFY=NEVER suppresses the bounce; NOTIFY=SUCCESS to a smarthost without DSN gets a "relayed" report', async () => {
    const fake = await FakeSmarthost.start({ rcpt: (a) => (a.startsWith('bad') ? '550 5.1.1 no' : '250 2.1.5 Ok') });
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none' });
    try {
      await submit(a, ['bad@remote.test'], 'quiet failure', { rcptParams: 'NOTIFY=NEVER' });
      await eventually(async () => (await queued(a)).length === 0, 8000);
      await submit(a, ['good@remote.test'], 'tell me', { rcptParams: 'NOTIFY=SUCCESS' });
      await eventually(async () => (await inbox(a, ALICE)).length === 1, 8000, 'the relayed report');
      const dsn = (await inbox(a, ALICE))[0]!.toString();
      assert.match(dsn, /Subject: Successful Mail Delivery Report/);
      assert.match(dsn, /Final-Recipient: rfc822;good@remote\.test\r\nAction: relayed\r\nStatus: 2\.0\.0\r\n/);
      assert.ok(!dsn.includes('bad@remote.test'));
    } finally {
      await a.stop();
      await fake.stop();
    }
  });

  test('to a smarthost that offers DSN, RET/ENVID/NOTIFY/ORCPT are passed on and no report is made here', async () => {
    const fake = await FakeSmarthost.start({ extensions: ['PIPELINING', 'DSN', 'SIZE 100000', '8BITMIME'] });
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none' });
    try {
      await submit(a, ['x@remote.test'], 'dsn passthrough', { mailParams: 'RET=HDRS ENVID=abc', rcptParams: 'NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x+40remote.test' });
      await eventually(() => fake.transactions.length === 1, 8000);
      const t = fake.transactions[0]!;
      assert.match(t.mailParams, /^SIZE=\d+ RET=HDRS ENVID=abc$/);
      // "@" needs no xtext escaping (RFC 3461 §4): both spellings mean x@remote.test.
      assert.equal(t.rcptParams[0], 'NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@remote.test');
      await eventually(async () => (await queued(a)).length === 0, 5000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await inbox(a, ALICE)).length, 0);
    } finally {
      await a.stop();
      await fake.stop();
    }
  });

  test('lines starting with "." survive the trip (dot-stuffed on the wire), and one connection carries several messages', async () => {
    const fake = await FakeSmarthost.start();
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none', concurrency: 1 });
    try {
      for (let i = 0; i < 3; i++) await submit(a, ['x@remote.test'], `dots ${i}`, { body: '.leading dot\r\n..two\r\n.\r\nend\r\n' });
      await eventually(() => fake.transactions.length === 3, 8000);
      for (const t of fake.transactions) assert.ok(t.data.toString().endsWith('\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n'), JSON.stringify(t.data.toString().slice(-60)));
      assert.equal(fake.sessions.filter((s) => s.some((l) => l.startsWith('MAIL'))).length, 1, 'one SMTP session for all three');
    } finally {
      await a.stop();
      await fake.stop();
    }
  });

  test('a message to a local and a remote recipient: local delivered at once, remote relayed', async () => {
    const fake = await FakeSmarthost.start();
    const a = await sender({ host: '127.0.0.1', port: fake.port, security: 'none' });
    try {
      await a.addUser({ address: 'bob@example.test', password: 'pw-bob' });
      await submit(a, ['bob@example.test', 'far@remote.test'], 'mixed');
      assert.equal((await inbox(a, 'bob@example.test')).length, 1);
      await eventually(() => fake.transactions.length === 1, 8000);
      assert.deepEqual(fake.transactions[0]!.recipients, ['far@remote.test']);
    } finally {
      await a.stop();
      await fake.stop();
    }
  });
});
