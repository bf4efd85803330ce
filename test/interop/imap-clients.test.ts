// Real IMAP clients against postern: Python's imaplib (STARTTLS and IMAP4_SSL), curl (imap with
// required STARTTLS, imaps), mbsync from Debian's isync syncing a mailbox both ways, and ImapFlow
// (npm) listing, fetching, appending, moving and idling.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { TestServer, message } from '../helpers/server.js';
import { run, which } from '../helpers/run.js';

let server: TestServer;
const PASSWORD = 'pw alice+/&%()=?"\\';

const IMAPLIB = `
import imaplib, ssl, sys, json, time
mode, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
if mode == 'starttls':
    c = imaplib.IMAP4('127.0.0.1', port, timeout=10); before = list(c.capabilities); c.starttls(ctx)
else:
    c = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx, timeout=10); before = None
c.login(user, pw)
typ, data = c.select('INBOX')
count = int(data[0])
typ, found = c.search(None, 'SUBJECT', '"imaplib"')
typ, msg = c.fetch('1', '(RFC822 FLAGS)')
typ, app = c.append('INBOX', '(\\\\Seen)', imaplib.Time2Internaldate(time.time()), b'Subject: appended by imaplib\\r\\n\\r\\nbody\\r\\n')
typ, st = c.store('1', '+FLAGS', '\\\\Flagged')
typ, cp = c.copy('1', 'Archive')
typ, lst = c.list()
typ, q = c.getquotaroot('INBOX')
typ, srt = c.sort('(SUBJECT)', 'UTF-8', 'ALL')
typ, thr = c.thread('REFERENCES', 'UTF-8', 'ALL')
typ, ns = c.namespace()
c.close()
c.logout()
print(json.dumps({"before": before, "count": count, "found": found[0].decode(), "body": msg[0][1].decode(), "append": app[0].decode(),
  "store": st[0].decode(), "copy": cp[0].decode(), "list": [l.decode() for l in lst], "sort": srt[0].decode(), "thread": thr[0].decode(),
  "namespace": ns[0].decode()}))
`;

describe('IMAP interop with real clients', () => {
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: PASSWORD, domain: 'EXAMPLE' });
  });
  after(() => server.stop());

  test('Python imaplib over STARTTLS: LOGINDISABLED before TLS, then login, select, search, fetch, append, store, copy, list, sort, thread', async () => {
    await server.deliver('alice@example.test', message('from imaplib test', 'Hello imaplib.\r\n'));
    const r = await run('python3', ['-c', IMAPLIB, 'starttls', String(server.port('imap', 'starttls')), 'alice@example.test', PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(out.before.includes('LOGINDISABLED') && out.before.includes('STARTTLS'));
    assert.equal(out.count, 1);
    assert.equal(out.found, '1');
    assert.match(out.body, /Hello imaplib\./);
    assert.match(out.append, /^\[APPENDUID \d+ 2\]/);
    assert.match(out.store, /^1 \(FLAGS \(\\Flagged/);
    assert.match(out.copy, /^\[COPYUID/);
    assert.ok(out.list.includes('(\\HasNoChildren \\Archive) "/" Archive'));
    assert.equal(out.sort, '2 1');
    assert.equal(out.namespace, '(("" "/")) (("Other Users/" "/")) NIL');
  });

  test('Python imaplib over IMAP4_SSL with the domain\\user login form', async () => {
    const r = await run('python3', ['-c', IMAPLIB, 'ssl', String(server.port('imap', 'tls')), 'EXAMPLE\\alice', PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).before, null);
  });

  test('curl imap with --ssl-reqd (STARTTLS) lists, fetches by UID, searches and appends; imaps does the same', async (t) => {
    if (!which('curl')) return t.skip('curl is not installed (Debian package curl)');
    const user = `alice@example.test:${PASSWORD}`;
    await server.deliver('alice@example.test', message('for curl', 'Body for curl.\r\n'));
    const starttls = `imap://127.0.0.1:${server.port('imap', 'starttls')}`;
    const list = await run('curl', ['-sS', '--ssl-reqd', '-k', '-u', user, `${starttls}/`]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /\* LIST \(\\HasNoChildren\) "\/" INBOX/);
    const search = await run('curl', ['-sS', '--ssl-reqd', '-k', '-u', user, '-X', 'UID SEARCH SUBJECT "for curl"', `${starttls}/INBOX`]);
    assert.equal(search.code, 0, search.stderr);
    const uid = /\* SEARCH (\d+)/.exec(search.stdout)![1];
    const fetched = await run('curl', ['-sS', '--ssl-reqd', '-k', '-u', user, `${starttls}/INBOX/;UID=${uid}`]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.match(fetched.stdout, /Body for curl\./);
    const dir = mkdtempSync(join(tmpdir(), 'curl-imap-'));
    writeFileSync(join(dir, 'm.eml'), 'Subject: appended by curl\r\n\r\nhello\r\n');
    const imaps = `imaps://127.0.0.1:${server.port('imap', 'tls')}`;
    const up = await run('curl', ['-sS', '-k', '-u', user, '-T', join(dir, 'm.eml'), `${imaps}/Drafts`]);
    assert.equal(up.code, 0, up.stderr);
    const status = await run('curl', ['-sS', '-k', '-u', user, '-X', 'STATUS Drafts (MESSAGES)', `${imaps}/`]);
    assert.match(status.stdout, /\* STATUS Drafts \(MESSAGES 1\)/);
    const plain = await run('curl', ['-sS', '-u', user, `imap://127.0.0.1:${server.port('imap', 'starttls')}/`]);
    assert.notEqual(plain.code, 0, 'without TLS the password is refused (LOGINDISABLED)');
    rmSync(dir, { recursive: true, force: true });
  });

  test('mbsync (isync) syncs a mailbox both ways: down, local additions and flags up, server changes down, deletions', async (t) => {
    if (!which('mbsync')) return t.skip('mbsync is not installed (Debian package isync)');
    await server.addUser({ address: 'sync@example.test', password: 'pw-sync', domain: 'EXAMPLE' });
    await server.deliver('sync@example.test', message('first', 'one\r\n'));
    await server.deliver('sync@example.test', message('second', 'two\r\n'));
    await server.deliver('sync@example.test', message('filed', 'three\r\n'), );
    const dir = mkdtempSync(join(tmpdir(), 'mbsync-'));
    const local = join(dir, 'mail');
    mkdirSync(local);
    const rc = join(dir, 'mbsyncrc');
    writeFileSync(rc, [
      'IMAPAccount postern', 'Host 127.0.0.1', `Port ${server.port('imap', 'tls')}`, 'User sync', 'Pass pw-sync',
      'SSLType IMAPS', `CertificateFile ${join(server.dataDir, 'tls', 'cert.pem')}`, 'AuthMechs LOGIN', '',
      'IMAPStore remote', 'Account postern', '',
      'MaildirStore local', `Path ${local}/`, `Inbox ${local}/INBOX`, 'SubFolders Verbatim', '',
      'Channel sync', 'Far :remote:', 'Near :local:', 'Patterns *', 'Create Both', 'Expunge Both', 'SyncState *', '',
    ].join('\n'));
    const sync = async () => {
      const r = await run('mbsync', ['-c', rc, '-a'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, `mbsync failed: ${r.stderr}\n${r.stdout}`);
    };
    const files = (box: string) => ['cur', 'new'].flatMap((sub) => {
      try {
        return readdirSync(join(local, box, sub)).map((f) => join(local, box, sub, f));
      } catch {
        return [];
      }
    });
    const store = server.store;
    const account = (await store.findAccountByAddress('sync@example.test'))!;
    const inbox = (await store.getMailbox(account.id, 'INBOX'))!;

    await sync();
    assert.equal(files('INBOX').length, 3, 'all server messages came down');
    for (const box of ['Drafts', 'Sent', 'Trash', 'Junk', 'Archive']) assert.ok(readdirSync(local).includes(box), box);

    // Up: a new local message, a local \Seen, a local \Deleted (expunged both ways).
    writeFileSync(join(local, 'INBOX', 'new', `${Date.now()}.local.1`), 'From: me@example.test\r\nSubject: written locally\r\n\r\nlocal body\r\n');
    const [first, second] = files('INBOX').filter((f) => /\/cur\/|\/new\//.test(f)).sort();
    const mark = (f: string, flags: string) => renameSync(f, f.replace(/\/new\//, '/cur/').replace(/(:2,[A-Z]*)?$/, `:2,${flags}`));
    const firstText = readFileSync(first!, 'utf8');
    const secondText = readFileSync(second!, 'utf8');
    mark(first!, 'S');
    mark(second!, 'T');
    await sync();
    const after = await store.listMessages(inbox.id);
    const subjects = await Promise.all(after.map(async (m) => /Subject: (.*)/.exec((await store.readBlob(m.blobId)).toString())![1]!.trim()));
    assert.ok(subjects.includes('written locally'), subjects.join(','));
    assert.equal(after.length, 3, 'one added, one deleted');
    const seenOne = after.find((m) => m.flags.includes('\\Seen'));
    assert.ok(seenOne, 'the local \\Seen went up');
    assert.equal(/Subject: (.*)/.exec((await store.readBlob(seenOne!.blobId)).toString())![1], /Subject: (.*)/.exec(firstText)![1]);
    assert.ok(!subjects.includes(/Subject: (.*)/.exec(secondText)![1]!.trim()), 'the local deletion went up');

    // Down again: a server-side flag and a new server message.
    await store.storeFlags(inbox.id, [after[after.length - 1]!.uid], 'add', ['\\Flagged']);
    await server.deliver('sync@example.test', message('late arrival', 'late\r\n'));
    await sync();
    const local2 = files('INBOX');
    assert.equal(local2.length, 4);
    assert.ok(local2.some((f) => /:2,[A-Z]*F/.test(f)), 'the server \\Flagged came down');
    assert.ok(local2.some((f) => readFileSync(f, 'utf8').includes('Subject: late arrival')));
    rmSync(dir, { recursive: true, force: true });
  });

  test('ImapFlow lists, fetches, appends, moves and hears another session through IDLE', async () => {
    await server.addUser({ address: 'flow@example.test', password: 'pw-flow', domain: 'EXAMPLE' });
    await server.deliver('flow@example.test', message('for imapflow', 'Hello ImapFlow.\r\n'));
    const make = () => new ImapFlow({ host: '127.0.0.1', port: server.port('imap', 'tls'), secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'flow@example.test', pass: 'pw-flow' }, logger: false });
    const client = make();
    await client.connect();
    const list = await client.list();
    assert.deepEqual(list.map((m) => m.path).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    assert.equal(list.find((m) => m.path === 'Sent')!.specialUse, '\\Sent');
    const lock = await client.getMailboxLock('INBOX');
    try {
      const msg = await client.fetchOne('1', { envelope: true, source: true, bodyStructure: true, flags: true });
      assert.ok(msg);
      assert.equal(msg.envelope?.subject, 'for imapflow');
      assert.match(msg.source!.toString(), /Hello ImapFlow\./);
      assert.equal(msg.bodyStructure?.type, 'text/plain');
      const appended = await client.append('INBOX', 'Subject: appended by imapflow\r\n\r\nhi\r\n', ['\\Seen']);
      assert.ok(appended && appended.uid === 2);
      const moved = await client.messageMove('2', 'Archive', { uid: true });
      assert.ok(moved && moved.uidMap?.get(2) === 1);
      const search = await client.search({ subject: 'imapflow' });
      assert.deepEqual(search, [1]);

      // IDLE: a second session appends; the first hears EXISTS.
      const exists = new Promise<number>((resolve) => client.on('exists', (d: { count: number }) => resolve(d.count)));
      const idling = client.idle();
      await new Promise((r) => setTimeout(r, 100));
      const other = make();
      await other.connect();
      await other.append('INBOX', 'Subject: while idle\r\n\r\nx\r\n');
      await other.logout();
      const t = Date.now();
      assert.equal(await exists, 2);
      assert.ok(Date.now() - t < 1000);
      void idling;
    } finally {
      lock.release();
    }
    await client.logout();
  });
});
