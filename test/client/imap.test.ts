// ImapClient against postern's IMAP server and Dovecot's, over implicit TLS and STARTTLS: the
// same tests for each, so both servers are the client's partners.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapClient } from '../../src/client/imap.js';
import { MailClientError } from '../../src/client/errors.js';
import type { ImapClientOptions, ImapEvent } from '../../src/client/imap-types.js';
import type { ProtocolLogEntry } from '../../src/client/logger.js';
import { MailBuilder } from '../../src/wire/mime/builder.js';
import { TestServer } from '../helpers/server.js';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { startDovecotPeer, DOVECOT_USERS, type DovecotHandle } from './peers.js';

let server: TestServer;
let serverCa: string;
let ca: TestCert;
let leaf: TestCert;
let dovecot: DovecotHandle | string;

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
  server = await TestServer.start();
  serverCa = readFileSync(join(server.dataDir, 'tls', 'cert.pem'), 'utf8');
  for (const u of ['alice', 'bob', 'carol', 'dave']) await server.addUser({ address: `${u}@example.test`, password: `pw-${u}` });
  dovecot = await startDovecotPeer(leaf, '', );
});
after(async () => {
  await server.stop();
  if (typeof dovecot !== 'string') await dovecot.peer.stop();
});

function isCode(code: string, re?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof MailClientError, `expected MailClientError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    return true;
  };
}

async function readStream(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const note = (subject: string, body = 'Hello.\n') =>
  new MailBuilder().from('carol@example.test').to('alice@example.test').subject(subject).text(body).deterministic({ seed: subject });

interface Target {
  name: string;
  options: () => ImapClientOptions;
  /** One user per test family, so tests do not see each other's mail. */
  user: (i: number) => { user: string; password: string };
  skip: () => string | false;
}

const posternUser = (i: number) => {
  const u = ['alice', 'bob', 'carol', 'dave'][i % 4]!;
  return { user: `${u}@example.test`, password: `pw-${u}` };
};
const dovecotUser = (i: number) => {
  const u = Object.keys(DOVECOT_USERS)[i % 2]!;
  return { user: u, password: DOVECOT_USERS[u]! };
};

const targets: Target[] = [
  { name: 'postern, STARTTLS', options: () => ({ host: '127.0.0.1', port: server.port('imap', 'starttls'), security: 'starttls', tls: { ca: serverCa } }), user: posternUser, skip: () => false },
  { name: 'postern, implicit TLS', options: () => ({ host: '127.0.0.1', port: server.port('imap', 'tls'), security: 'tls', tls: { ca: serverCa } }), user: (i) => posternUser(i + 2), skip: () => false },
  {
    name: 'Dovecot, implicit TLS',
    options: () => ({ host: '127.0.0.1', port: (dovecot as DovecotHandle).peer.imaps, security: 'tls', tls: { ca: ca.cert } }),
    user: dovecotUser,
    skip: () => (typeof dovecot === 'string' ? dovecot : false),
  },
  {
    name: 'Dovecot, STARTTLS',
    options: () => ({ host: '127.0.0.1', port: (dovecot as DovecotHandle).peer.imap, security: 'starttls', tls: { ca: ca.cert } }),
    user: (i) => dovecotUser(i + 1),
    skip: () => (typeof dovecot === 'string' ? dovecot : false),
  },
];

let folderCounter = 0;

for (const target of targets) {
  describe(`IMAP client against ${target.name}`, () => {
    const open = async (i = 0, extra: Partial<ImapClientOptions> = {}): Promise<ImapClient> => {
      const c = await ImapClient.connect({ ...target.options(), ...extra });
      const { user, password } = target.user(i);
      await c.login(user, password);
      return c;
    };

    test('logs in over TLS, lists mailboxes with special use, reads namespace and status', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const imap = await open();
      assert.equal(imap.secure, true);
      assert.equal(imap.authenticated, true);
      const ns = await imap.namespace();
      assert.equal(ns.personal[0]?.prefix, '');
      const list = await imap.list();
      const inbox = list.find((e) => e.path === 'INBOX');
      assert.equal(inbox?.specialUse, '\\Inbox');
      const st = await imap.status('INBOX');
      assert.ok(st.uidValidity! > 0 && st.uidNext! > 0 && st.messages! >= 0);
      if (imap.has('LIST-STATUS')) {
        const withStatus = await imap.list('*', { statusItems: ['messages', 'uidNext'] });
        assert.deepEqual(withStatus.find((e) => e.path === 'INBOX')?.status, { messages: st.messages, uidNext: st.uidNext });
      }
      await imap.logout();
      assert.equal(imap.closed, true);
    });

    test('append, fetch, search, flags, copy and move into a folder with a non-ASCII name, expunge', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const imap = await open();
      const folder = `Entwürfe ✓ ${++folderCounter}`;
      await imap.create(folder);
      assert.ok((await imap.list()).some((e) => e.name === folder), 'the folder lists under its Unicode name');
      const date = new Date('2024-03-04T05:06:07Z');
      const appended = await imap.append('INBOX', note('Grüße aus Köln', 'Hallo Welt.\n'), { flags: ['\\Flagged'], internalDate: date });
      assert.ok(appended.uid! > 0, 'UIDPLUS gave the new UID');
      const box = await imap.select('INBOX');
      assert.equal(box.uidValidity, appended.uidValidity);
      const msg = await imap.fetchOne(appended.uid!, { flags: true, envelope: true, bodyStructure: true, internalDate: true, size: true, source: true, headers: ['Subject'] });
      assert.ok(msg);
      assert.equal(msg.uid, appended.uid);
      assert.deepEqual(msg.flags?.filter((f) => f !== '\\Recent'), ['\\Flagged']);
      assert.equal(msg.envelope?.subject, 'Grüße aus Köln');
      assert.deepEqual(msg.envelope?.from, [{ name: '', address: 'carol@example.test' }]);
      assert.equal(msg.internalDate?.toISOString(), date.toISOString());
      assert.equal(msg.bodyStructure?.type, 'text/plain');
      assert.equal(msg.size, msg.source?.length);
      assert.match(msg.headers!.toString(), /^Subject: /);
      assert.deepEqual(await imap.search({ subject: 'Köln' }), [appended.uid]);
      assert.deepEqual(await imap.search({ flagged: true, uid: appended.uid! }), [appended.uid]);
      const st = await imap.store(appended.uid!, ['\\Seen'], 'add', { silent: false });
      assert.ok(st.updated[0]?.flags.includes('\\Seen'));
      const copied = await imap.copy(appended.uid!, folder);
      assert.deepEqual(copied?.sourceUids, [appended.uid]);
      const moved = await imap.move(appended.uid!, folder);
      assert.equal(moved?.destinationUids.length, 1);
      assert.deepEqual(await imap.search({ uid: appended.uid! }), []);
      await imap.select(folder);
      assert.equal(imap.mailbox?.exists, 2);
      await imap.addFlags('1:*', ['\\Deleted']);
      const gone = await imap.expunge();
      assert.equal(gone.length, 2);
      assert.equal(imap.mailbox?.exists, 0);
      await imap.closeMailbox();
      await imap.delete(folder);
      await imap.logout();
    });

    test('commands issued inside a fetch loop are queued, not deadlocked, and every message arrives', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const imap = await open(1);
      const folder = `Loop ${++folderCounter}`;
      await imap.create(folder);
      for (let i = 0; i < 30; i++) await imap.append(folder, note(`loop ${i}`));
      await imap.select(folder);
      const seen: number[] = [];
      for await (const m of imap.fetch('1:*', { flags: true, envelope: true })) {
        seen.push(m.uid);
        if (m.seq % 10 === 0) {
          await imap.addFlags(m.uid, ['\\Seen']);
          const unseen = await imap.search({ seen: false });
          assert.ok(!unseen.includes(m.uid));
        }
      }
      assert.equal(seen.length, 30);
      // Breaking out early leaves the session in step.
      for await (const m of imap.fetch('1:*', { envelope: true })) {
        if (m.seq === 3) break;
      }
      assert.equal((await imap.search({ seen: true })).length, 3);
      await imap.closeMailbox();
      await imap.delete(folder);
      await imap.logout();
    });

    test('a large message streams through fetch and download byte for byte', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const imap = await open(1);
      const big = Buffer.alloc(3 * 1024 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789\r\n');
      const builder = new MailBuilder().from('carol@example.test').to('alice@example.test').subject('big').text('see attachment').attach({ filename: 'big.txt', content: big }).deterministic();
      const raw = await builder.build();
      const folder = `Big ${++folderCounter}`;
      await imap.create(folder);
      const { uid } = await imap.append(folder, raw);
      await imap.select(folder);
      let count = 0;
      for await (const m of imap.fetch(uid!, { flags: true, source: 'stream' })) {
        count++;
        assert.ok(m.sourceStream);
        // A command before the body is read: the body is read ahead, nothing waits forever.
        assert.equal((await imap.status(folder)).messages, 1);
        assert.ok((await readStream(m.sourceStream)).equals(raw));
      }
      assert.equal(count, 1);
      const dl = await imap.download(uid!);
      assert.ok((await readStream(dl.content)).equals(raw));
      const part = await imap.download(uid!, '2', { decode: true });
      assert.ok((await readStream(part.content)).equals(big), 'BINARY decodes the base64 attachment');
      await imap.closeMailbox();
      await imap.delete(folder);
      await imap.logout();
    });

    test('idle() yields new mail as it arrives, lets the loop fetch it, and stops on abort', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const watcher = await open(0);
      const writer = await open(0);
      const folder = `Idle ${++folderCounter}`;
      await writer.create(folder);
      await watcher.select(folder);
      const ac = new AbortController();
      const events: ImapEvent[] = [];
      const subjects: string[] = [];
      const loop = (async () => {
        for await (const e of watcher.idle({ signal: ac.signal })) {
          events.push(e);
          if (e.type === 'exists') {
            // A command inside the idle loop interrupts IDLE and runs.
            for await (const m of watcher.fetch({ from: e.previous + 1 }, { envelope: true }, { uid: false })) subjects.push(m.envelope!.subject);
            if (subjects.length >= 2) ac.abort();
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      await writer.append(folder, note('first while idle'));
      await new Promise((r) => setTimeout(r, 300));
      await writer.append(folder, note('second while idle'));
      await Promise.race([loop, new Promise((_, reject) => setTimeout(() => reject(new Error(`idle saw ${JSON.stringify(events, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`)), 10_000).unref())]);
      assert.deepEqual(subjects, ['first while idle', 'second while idle']);
      // After the loop the connection is free again.
      await watcher.noop();
      await watcher.closeMailbox();
      await writer.delete(folder);
      await watcher.logout();
      await writer.logout();
    });

    test('CONDSTORE: changedSince fetches only changes, unchangedSince refuses a stale update', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const imap = await open(1);
      if (!imap.has('CONDSTORE')) {
        await imap.logout();
        return t.skip('no CONDSTORE');
      }
      const folder = `Modseq ${++folderCounter}`;
      await imap.create(folder);
      const a = await imap.append(folder, note('a'));
      const b = await imap.append(folder, note('b'));
      const box = await imap.select(folder, { condstore: true });
      assert.ok(box.highestModseq !== undefined);
      const before = (await imap.fetchOne(a.uid!, { modseq: true }))!.modseq!;
      await imap.addFlags(b.uid!, ['$Seen-by-test']);
      const changed = await imap.fetchAll('1:*', { flags: true }, { changedSince: before });
      assert.deepEqual(changed.map((m) => m.uid), [b.uid]);
      const stale = await imap.addFlags([a.uid!, b.uid!], ['\\Answered'], { unchangedSince: before });
      assert.deepEqual(stale.modified, [b.uid]);
      await imap.closeMailbox();
      await imap.delete(folder);
      await imap.logout();
    });

    test('QRESYNC: a later SELECT learns what vanished and which flags changed since the last visit', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const imap = await open(1);
      if (!imap.has('QRESYNC') || !imap.has('UIDPLUS')) {
        await imap.logout();
        return t.skip('no QRESYNC');
      }
      const folder = `Resync ${++folderCounter}`;
      await imap.create(folder);
      const a = await imap.append(folder, note('resync a'));
      const b = await imap.append(folder, note('resync b'));
      const c = await imap.append(folder, note('resync c'));
      const visit = await imap.select(folder, { condstore: true });
      const last = { uidValidity: visit.uidValidity, modseq: visit.highestModseq! };
      await imap.closeMailbox();
      const other = await open(1);
      await other.select(folder);
      await other.addFlags(b.uid!, ['\\Flagged']);
      await other.addFlags(c.uid!, ['\\Deleted']);
      await other.expunge(c.uid!);
      await other.logout();
      const back = await imap.select(folder, { qresync: { ...last, knownUids: [a.uid!, b.uid!, c.uid!] } });
      assert.ok(back.resync, 'resync data for a matching UIDVALIDITY');
      assert.deepEqual(back.resync.vanished, [c.uid]);
      assert.deepEqual(back.resync.changed.map((m) => m.uid), [b.uid]);
      assert.ok(back.resync.changed[0]!.flags.includes('\\Flagged'));
      assert.ok(back.resync.changed[0]!.modseq! > last.modseq);
      await imap.closeMailbox();
      const stale = await imap.select(folder, { qresync: { uidValidity: last.uidValidity + 1, modseq: last.modseq } });
      assert.equal(stale.resync, undefined, 'another UIDVALIDITY: start over');
      await imap.closeMailbox();
      await imap.delete(folder);
      await imap.logout();
    });

    test('a wrong password is refused in words; the log never shows the password', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const log: ProtocolLogEntry[] = [];
      const imap = await ImapClient.connect({ ...target.options(), logger: (e) => log.push(e) });
      const { user, password } = target.user(0);
      await assert.rejects(imap.login(user, 'wrong-password'), isCode('auth-failed', /refused the login of/));
      if (imap.closed) return;
      await imap.login(user, password, { mechanism: 'LOGIN' });
      await imap.logout();
      const text = log.map((e) => e.text).join('\n');
      assert.ok(!text.includes(password) && !text.includes('wrong-password'), text);
      assert.match(text, /LOGIN "[^"]+" \*\*\*/);
    });
  });
}

describe('IMAP client security modes against postern', () => {
  test("security 'tls' on the STARTTLS port: the port expects STARTTLS, said in words", async () => {
    await assert.rejects(
      ImapClient.connect({ host: '127.0.0.1', port: server.port('imap', 'starttls'), security: 'tls', tls: { ca: serverCa } }),
      isCode('expects-starttls', /answered in plaintext \("\* OK .*it expects STARTTLS, not implicit TLS/),
    );
  });

  test("before TLS postern hides cleartext logins; security 'none' gets SCRAM only, never the password", async () => {
    const log: string[] = [];
    const imap = await ImapClient.connect({ host: '127.0.0.1', port: server.port('imap', 'starttls'), security: 'none', logger: (e) => log.push(e.text) });
    assert.equal(imap.secure, false);
    assert.ok(imap.has('LOGINDISABLED'));
    await assert.rejects(imap.login('alice@example.test', 'pw-alice', { mechanism: 'LOGIN' }), isCode('no-mechanism', /LOGINDISABLED/));
    await imap.login('alice@example.test', 'pw-alice');
    assert.ok(log.some((l) => / AUTHENTICATE SCRAM-SHA-256 \*\*\*$/.test(l)), log.join('\n'));
    await imap.logout();
  });
});
