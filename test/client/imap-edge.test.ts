// ImapClient in the situations real servers rarely produce on demand: PREAUTH where STARTTLS
// was required, literals without LITERAL+, refusals instead of a go-ahead, a huge body that
// arrives slowly, a server that goes silent or says BYE, a server without IDLE, and a
// connection cut in the middle of idle() (through a relay in front of postern).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapClient } from '../../src/client/imap.js';
import { MailClientError } from '../../src/client/errors.js';
import type { ImapEvent } from '../../src/client/imap-types.js';
import { TestServer, message } from '../helpers/server.js';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { serveLines, startFakeServer, type FakeServer, type FakeSession } from './fake-server.js';
import { startRelay, type Relay } from './proxy.js';

let ca: TestCert;
let leaf: TestCert;
const fakes: FakeServer[] = [];

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
});
after(async () => {
  for (const f of fakes) await f.close();
});

function isCode(code: string, re?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof MailClientError, `expected MailClientError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    return true;
  };
}

type Handler = (tag: string, rest: string, s: FakeSession) => Promise<string | null> | string | null;

/** An implicit-TLS IMAP server: LOGIN accepted, SELECT of INBOX, plus `extra` commands. */
async function imapFake(extra: Record<string, Handler>, options: { caps?: string; greeting?: string; tls?: boolean } = {}): Promise<FakeServer> {
  const caps = options.caps ?? 'IMAP4rev1 AUTH=PLAIN';
  const f = await startFakeServer({ cert: leaf, tls: options.tls ?? true }, async (s) => {
    s.write(options.greeting ?? `* OK [CAPABILITY ${caps}] fake\r\n`);
    await serveLines(s, async (line) => {
      const m = /^(\S+) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return null;
      const [, tag, cmdRaw, rest = ''] = m;
      const cmd = cmdRaw!.toUpperCase();
      const h = extra[cmd];
      if (h) return h(tag!, rest, s);
      switch (cmd) {
        case 'CAPABILITY': return `* CAPABILITY ${caps}\r\n${tag} OK\r\n`;
        case 'LOGIN':
        case 'AUTHENTICATE': return `${tag} OK logged in\r\n`;
        case 'SELECT': return `* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n${tag} OK [READ-WRITE] selected\r\n`;
        case 'LOGOUT': return `* BYE bye\r\n${tag} OK\r\n`;
        default: return `${tag} BAD unknown\r\n`;
      }
    });
  });
  fakes.push(f);
  return f;
}

const connect = (port: number, extra: Partial<Parameters<typeof ImapClient.connect>[0]> = {}) =>
  ImapClient.connect({ host: '127.0.0.1', port, security: 'tls', tls: { ca: ca.cert }, ...extra });

describe('IMAP client edge cases', () => {
  test("PREAUTH in plaintext when STARTTLS is required: refused, since STARTTLS cannot follow", async () => {
    const f = await imapFake({}, { tls: false, greeting: '* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome, you are logged in\r\n' });
    await assert.rejects(connect(f.port, { security: 'starttls' }), isCode('starttls-not-offered', /pre-authenticated the session in plaintext \(PREAUTH\)/));
  });

  test('APPEND without LITERAL+ waits for the go-ahead; a refusal instead of "+" is reported and the session goes on', async () => {
    let got = Buffer.alloc(0);
    const f = await imapFake({
      APPEND: async (tag, rest, s) => {
        const size = Number(/\{(\d+)\}$/.exec(rest)?.[1]);
        if (rest.startsWith('"Missing"') || rest.startsWith('Missing')) return `${tag} NO [TRYCREATE] no such mailbox\r\n`;
        s.write('+ go ahead\r\n');
        got = Buffer.from(await s.readBytes(size));
        await s.readLine();
        return `${tag} OK [APPENDUID 7 12] appended\r\n`;
      },
      NOOP: (tag) => `${tag} OK\r\n`,
    });
    const imap = await connect(f.port);
    await imap.login('u', 'p');
    const r = await imap.append('INBOX', message('sync literal'));
    assert.deepEqual(r, { uidValidity: 7, uid: 12 });
    assert.match(got.toString(), /Subject: sync literal/);
    await assert.rejects(imap.append('Missing', message('nowhere')), isCode('command-failed', /refused APPEND to Missing: NO \[TRYCREATE\] no such mailbox — the mailbox does not exist; create\(\) it first/));
    await imap.noop();
    imap.close();
  });

  test('a big body is handed to the reader while the server is still sending it', async () => {
    const size = 4 * 1024 * 1024;
    let release!: () => void;
    const clientHasData = new Promise<void>((r) => (release = r));
    const f = await imapFake({
      UID: async (tag, rest, s) => {
        assert.match(rest, /^FETCH 9 \(UID BODY\.PEEK\[\]\)$/);
        s.write(`* 1 FETCH (UID 9 BODY[] {${size}}\r\n`);
        s.write(Buffer.alloc(256 * 1024, 0x61));
        // Hold the rest back until the reader has seen the first bytes.
        await clientHasData;
        for (let sent = 256 * 1024; sent < size; sent += 256 * 1024) s.write(Buffer.alloc(256 * 1024, 0x61));
        return ` FLAGS (\\Seen))\r\n${tag} OK done\r\n`;
      },
    });
    const imap = await connect(f.port);
    await imap.login('u', 'p');
    await imap.select('INBOX');
    let total = 0;
    for await (const m of imap.fetch(9, { source: 'stream' })) {
      for await (const chunk of m.sourceStream!) {
        total += (chunk as Buffer).length;
        release();
      }
      assert.equal(m.uid, 9);
    }
    assert.equal(total, size);
    imap.close();
  });

  test('a server that goes silent in the middle of a FETCH: timeout in words; AbortSignal cancels', async () => {
    const f = await imapFake({
      UID: async (tag, _rest, s) => {
        s.write('* 1 FETCH (UID 1 FLAGS ())\r\n');
        return '';
      },
    });
    const imap = await connect(f.port, { timeoutMs: 300 });
    await imap.login('u', 'p');
    await imap.select('INBOX');
    const seen: number[] = [];
    await assert.rejects((async () => {
      for await (const m of imap.fetch('1:*', { flags: true })) seen.push(m.uid);
    })(), isCode('timeout', /did not answer within 300 ms while we waited for the answer to UID FETCH/));
    assert.deepEqual(seen, [1]);
    assert.equal(imap.closed, true);

    const imap2 = await connect(f.port);
    await imap2.login('u', 'p');
    await imap2.select('INBOX');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(imap2.fetchAll('1:*', { flags: true }, { signal: ac.signal }), isCode('aborted'));
  });

  test("a BYE before the connection closes is quoted in the error", async () => {
    const f = await imapFake({
      NOOP: (tag, _r, s) => {
        s.write('* BYE server shutting down for maintenance\r\n');
        s.end();
        void tag;
        return null;
      },
    });
    const imap = await connect(f.port);
    const closed: Array<MailClientError | undefined> = [];
    imap.on('close', (err) => closed.push(err));
    await imap.login('u', 'p');
    await assert.rejects(imap.noop(), isCode('connection-closed', /ended the session: server shutting down for maintenance/));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed.length, 1);
    assert.ok(closed[0] instanceof MailClientError, "the 'close' event says why when the server ended it");
    assert.match(closed[0].message, /ended the session: server shutting down for maintenance/);
    const polite = await connect(f.port);
    const closed2: Array<MailClientError | undefined> = [];
    polite.on('close', (err) => closed2.push(err));
    await polite.logout();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(closed2, [undefined], "after logout() the 'close' event has no error");
  });

  test('IDLE is ended with DONE and issued again every restartAfterMs, and the loop stops cleanly', async () => {
    const idles: number[] = [];
    const f = await imapFake({
      IDLE: async (tag, _rest, s) => {
        idles.push(Date.now());
        s.write('+ idling\r\n');
        const done = await s.readLine(5000);
        assert.equal(done, 'DONE');
        return idles.length === 3 ? `* 5 EXISTS\r\n${tag} OK idle done\r\n` : `${tag} OK idle done\r\n`;
      },
    }, { caps: 'IMAP4rev1 IDLE AUTH=PLAIN' });
    const imap = await connect(f.port);
    await imap.login('u', 'p');
    await imap.select('INBOX');
    const ac = new AbortController();
    const events: ImapEvent[] = [];
    for await (const e of imap.idle({ signal: ac.signal, restartAfterMs: 80 })) {
      events.push(e);
      ac.abort();
    }
    assert.deepEqual(events, [{ type: 'exists', count: 5, previous: 3 }]);
    assert.ok(idles.length >= 3, `IDLE sent ${idles.length} times`);
    await imap.noop().catch(() => undefined);
    imap.close();
  });

  test('without IDLE, idle() polls with NOOP and still yields the new message', async () => {
    let noops = 0;
    const f = await imapFake({
      NOOP: (tag) => (++noops === 2 ? `* 4 EXISTS\r\n${tag} OK\r\n` : `${tag} OK\r\n`),
    });
    const imap = await connect(f.port);
    await imap.login('u', 'p');
    await imap.select('INBOX');
    const ac = new AbortController();
    const events: ImapEvent[] = [];
    for await (const e of imap.idle({ signal: ac.signal, pollIntervalMs: 30 })) {
      events.push(e);
      ac.abort();
    }
    assert.deepEqual(events, [{ type: 'exists', count: 4, previous: 3 }]);
    assert.equal(noops, 2);
    imap.close();
  });
});

describe('IMAP idle() reconnects after the connection is cut', () => {
  let server: TestServer;
  let relay: Relay;
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice' });
    relay = await startRelay(server.port('imap', 'tls'));
  });
  after(async () => {
    await relay.close();
    await server.stop();
  });

  test('the loop gets a reconnected event, then the mail that arrives afterwards', async () => {
    const serverCa = readFileSync(join(server.dataDir, 'tls', 'cert.pem'), 'utf8');
    const imap = await ImapClient.connect({ host: '127.0.0.1', port: relay.port, security: 'tls', tls: { ca: serverCa } });
    await imap.login('alice@example.test', 'pw-alice');
    await imap.select('INBOX');
    const ac = new AbortController();
    const events: ImapEvent[] = [];
    const loop = (async () => {
      for await (const e of imap.idle({ signal: ac.signal, maxReconnectDelayMs: 200 })) {
        events.push(e);
        if (e.type === 'reconnected') await server.deliver('alice@example.test', message('after the cut'));
        if (e.type === 'exists') ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    relay.cut();
    await Promise.race([loop, new Promise((_, reject) => setTimeout(() => reject(new Error(`events: ${JSON.stringify(events)}`)), 10_000).unref())]);
    assert.equal(events[0]?.type, 'reconnected');
    assert.match((events[0] as { error: string }).error, /reset the connection|closed the connection/);
    assert.deepEqual(events[1], { type: 'exists', count: 1, previous: 0 });
    assert.equal(relay.accepted, 2);
    assert.equal(imap.mailbox?.name, 'INBOX', 'the mailbox was selected again');
    const [m] = await imap.fetchAll('1:*', { envelope: true });
    assert.equal(m?.envelope?.subject, 'after the cut');
    await imap.logout();
  });
});
