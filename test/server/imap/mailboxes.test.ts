// IMAP mailbox commands over real sockets: LIST (RFC 9051, LIST-EXTENDED, LIST-STATUS,
// SPECIAL-USE), CREATE/DELETE/RENAME, SUBSCRIBE/LSUB, STATUS, NAMESPACE with "Other Users/",
// names in modified UTF-7 and in UTF-8 after ENABLE UTF8=ACCEPT, and QUOTA.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../../helpers/server.js';
import { ImapTestClient } from './imap-client.js';

let server: TestServer;

async function login(user = 'alice', password = 'pw-alice'): Promise<ImapTestClient> {
  const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
  await c.greeting();
  await c.login(user, password);
  return c;
}

describe('IMAP mailboxes', () => {
  before(async () => {
    server = await TestServer.start({ config: { imap: { storageQuota: '1MB', messageQuota: 5 } } });
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice', domain: 'EXAMPLE' });
    await server.addUser({ address: 'sales@example.test', shared: true, alias: 'sales' });
    await server.addUser({ address: 'bob@example.test', password: 'pw-bob', domain: 'EXAMPLE' });
    await server.grant('sales@example.test', 'alice@example.test');
    await server.deliver('alice@example.test', message('one'));
    await server.deliver('sales@example.test', message('to sales'));
  });
  after(() => server.stop());

  test('a new account lists INBOX and the special-use folders with their attributes (RFC 6154)', async () => {
    const c = await login('bob', 'pw-bob');
    const r = await c.ok('LIST "" "*"');
    assert.deepEqual(r.untagged, [
      '* LIST (\\HasNoChildren) "/" INBOX',
      '* LIST (\\HasNoChildren \\Archive) "/" Archive',
      '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
      '* LIST (\\HasNoChildren \\Junk) "/" Junk',
      '* LIST (\\HasNoChildren \\Sent) "/" Sent',
      '* LIST (\\HasNoChildren \\Trash) "/" Trash',
    ]);
    assert.deepEqual((await c.ok('LIST "" ""')).untagged, ['* LIST (\\Noselect) "/" ""']);
    c.close();
  });

  test('NAMESPACE names the personal and the other users namespaces', async () => {
    const c = await login();
    assert.deepEqual((await c.ok('NAMESPACE')).untagged, ['* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL']);
    c.close();
  });

  test('mailboxes of accounts with FullAccess appear under "Other Users/<address>/" and can be used', async () => {
    const c = await login();
    const r = await c.ok('LIST "" "Other Users/*"');
    assert.ok(r.untagged.includes('* LIST (\\Noselect \\HasChildren) "/" "Other Users/sales@example.test"'), r.all);
    assert.ok(r.untagged.includes('* LIST (\\HasNoChildren) "/" "Other Users/sales@example.test/INBOX"'), r.all);
    assert.ok(r.untagged.includes('* LIST (\\HasNoChildren \\Sent) "/" "Other Users/sales@example.test/Sent"'), r.all);
    const sel = await c.ok('SELECT "Other Users/sales@example.test/INBOX"');
    assert.ok(sel.untagged.includes('* 1 EXISTS'));
    const f = await c.ok('FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    assert.match(f.all, /Subject: to sales/);
    const a = await c.ok('APPEND "Other Users/sales@example.test/Drafts" {19+}\r\nSubject: draft\r\n\r\nx');
    assert.match(a.tagged, /OK \[APPENDUID \d+ 1\] Append completed/);
    assert.match((await c.ok('STATUS "Other Users/sales@example.test/Drafts" (MESSAGES)')).untagged[0]!, /MESSAGES 1/);
    c.close();
    const bob = await login('bob', 'pw-bob');
    assert.deepEqual((await bob.ok('LIST "" "Other Users/*"')).untagged, []);
    assert.match((await bob.command('SELECT "Other Users/sales@example.test/INBOX"')).tagged, /NO \[NONEXISTENT\]/);
    bob.close();
  });

  test('LIST patterns: % stops at the delimiter, * does not, INBOX matches in any case', async () => {
    const c = await login();
    await c.ok('CREATE Projects/2024/Q1');
    await c.ok('CREATE Projects/2025');
    const top = await c.ok('LIST "" %');
    assert.ok(top.untagged.includes('* LIST (\\Noselect \\HasChildren) "/" Projects'), top.all);
    assert.ok(!top.all.includes('Projects/2025'));
    const deep = await c.ok('LIST "" Projects/*');
    assert.deepEqual(deep.untagged, [
      '* LIST (\\Noselect \\HasChildren) "/" Projects/2024',
      '* LIST (\\HasNoChildren) "/" Projects/2024/Q1',
      '* LIST (\\HasNoChildren) "/" Projects/2025',
    ]);
    assert.deepEqual((await c.ok('LIST "" inbox')).untagged, ['* LIST (\\HasNoChildren) "/" INBOX']);
    assert.deepEqual((await c.ok('LIST Projects/ %')).untagged.length, 2, 'reference + pattern');
    c.close();
  });

  test('LIST-EXTENDED: SUBSCRIBED selection, RECURSIVEMATCH CHILDINFO, RETURN (SUBSCRIBED SPECIAL-USE), SPECIAL-USE selection', async () => {
    const c = await login();
    await c.ok('CREATE Lists/ietf');
    await c.ok('SUBSCRIBE Lists/ietf');
    await c.ok('SUBSCRIBE INBOX');
    const sub = await c.ok('LIST (SUBSCRIBED) "" "*"');
    assert.deepEqual(sub.untagged, ['* LIST (\\HasNoChildren \\Subscribed) "/" INBOX', '* LIST (\\HasNoChildren \\Subscribed) "/" Lists/ietf']);
    const rec = await c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"');
    assert.ok(rec.untagged.includes('* LIST (\\Noselect \\HasChildren) "/" Lists ("CHILDINFO" ("SUBSCRIBED"))'), rec.all);
    const ret = await c.ok('LIST "" "*" RETURN (SUBSCRIBED)');
    assert.ok(ret.untagged.includes('* LIST (\\HasNoChildren \\Subscribed) "/" INBOX'));
    assert.ok(ret.untagged.includes('* LIST (\\HasNoChildren \\Drafts) "/" Drafts'));
    const special = await c.ok('LIST (SPECIAL-USE) "" "%"');
    assert.deepEqual(special.untagged.map((l) => l.split(' ').pop()), ['Archive', 'Drafts', 'Junk', 'Sent', 'Trash']);
    const lsub = await c.ok('LSUB "" "*"');
    assert.deepEqual(lsub.untagged, ['* LSUB (\\HasNoChildren) "/" INBOX', '* LSUB (\\HasNoChildren) "/" Lists/ietf']);
    await c.ok('UNSUBSCRIBE Lists/ietf');
    await c.ok('UNSUBSCRIBE NoSuchThing');
    assert.equal((await c.ok('LSUB "" "*"')).untagged.length, 1);
    c.close();
  });

  test('LIST-STATUS returns STATUS after each selectable mailbox (RFC 5819)', async () => {
    const c = await login();
    const r = await c.ok('LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN SIZE))');
    assert.equal(r.untagged[0], '* LIST (\\HasNoChildren) "/" INBOX');
    assert.match(r.untagged[1]!, /^\* STATUS INBOX \(MESSAGES 1 UNSEEN 1 SIZE \d+\)$/);
    c.close();
  });

  test('STATUS reports counts, UIDs, size and HIGHESTMODSEQ; a missing mailbox gets NO [NONEXISTENT]', async () => {
    const c = await login();
    const r = await c.ok('STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT)');
    assert.match(r.untagged[0]!, /^\* STATUS INBOX \(MESSAGES 1 RECENT 0 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1 DELETED 0 SIZE \d+ HIGHESTMODSEQ \d+ APPENDLIMIT 52428800\)$/);
    assert.match((await c.command('STATUS Nowhere (MESSAGES)')).tagged, /NO \[NONEXISTENT\]/);
    c.close();
  });

  test('CREATE refuses existing names, INBOX, empty levels and wildcards; CREATE with USE sets a special use', async () => {
    const c = await login();
    assert.match((await c.command('CREATE INBOX')).tagged, /NO \[ALREADYEXISTS\]/);
    assert.match((await c.command('CREATE Drafts')).tagged, /NO \[ALREADYEXISTS\]/);
    assert.match((await c.command('CREATE "a//b"')).tagged, /NO \[CANNOT\]/);
    assert.match((await c.command('CREATE "a*b"')).tagged, /BAD|NO/);
    await c.ok('CREATE "Important Mail" (USE (\\Flagged))');
    assert.deepEqual((await c.ok('LIST "" "Important Mail"')).untagged, ['* LIST (\\HasNoChildren \\Flagged) "/" "Important Mail"']);
    assert.match((await c.command('CREATE x (USE (\\Bogus))')).tagged, /NO \[USEATTR\]/);
    await c.ok('CREATE Trailing/');
    assert.deepEqual((await c.ok('LIST "" Trailing')).untagged, ['* LIST (\\HasNoChildren) "/" Trailing']);
    c.close();
  });

  test('RENAME moves children with their parent; renaming INBOX moves its messages into a new mailbox', async () => {
    const c = await login();
    await c.ok('CREATE Old/Child');
    await c.ok('CREATE Old');
    await c.ok('RENAME Old New');
    const r = await c.ok('LIST "" "New*"');
    assert.deepEqual(r.untagged, ['* LIST (\\HasChildren) "/" New', '* LIST (\\HasNoChildren) "/" New/Child']);
    assert.match((await c.command('RENAME Nowhere Else')).tagged, /NO \[NONEXISTENT\]/);
    assert.match((await c.command('RENAME New Drafts')).tagged, /NO \[ALREADYEXISTS\]/);
    const bob = await login('bob', 'pw-bob');
    await server.deliver('bob@example.test', message('inbox mail'));
    await bob.ok('RENAME INBOX "Old Inbox"');
    assert.match((await bob.ok('STATUS "Old Inbox" (MESSAGES)')).untagged[0]!, /MESSAGES 1/);
    assert.match((await bob.ok('STATUS INBOX (MESSAGES)')).untagged[0]!, /MESSAGES 0/);
    bob.close();
    c.close();
  });

  test('DELETE removes a mailbox, keeps its children (shown as \\Noselect), refuses INBOX', async () => {
    const c = await login();
    await c.ok('CREATE Tmp/Sub');
    await c.ok('CREATE Tmp');
    await c.ok('DELETE Tmp');
    assert.deepEqual((await c.ok('LIST "" "Tmp*"')).untagged, ['* LIST (\\Noselect \\HasChildren) "/" Tmp', '* LIST (\\HasNoChildren) "/" Tmp/Sub']);
    assert.match((await c.command('DELETE INBOX')).tagged, /^t\d+ NO/);
    assert.match((await c.command('DELETE Tmp')).tagged, /NO \[NONEXISTENT\]/);
    c.close();
  });

  test('international names travel as modified UTF-7, and as UTF-8 after ENABLE UTF8=ACCEPT', async () => {
    const c = await login();
    await c.ok('CREATE "Entw&APw-rfe/&ZeVnLIqe-"');
    const r = await c.ok('LIST "" "Entw*"');
    assert.ok(r.untagged.includes('* LIST (\\HasNoChildren) "/" Entw&APw-rfe/&ZeVnLIqe-'), r.all);
    assert.match((await c.command('CREATE "bad&name"')).tagged, /NO \[CANNOT\].*modified UTF-7/);
    assert.deepEqual((await c.ok('ENABLE UTF8=ACCEPT')).untagged, ['* ENABLED UTF8=ACCEPT']);
    const u = (await c.ok('LIST "" "Entw*"')).untagged.map((l) => Buffer.from(l, 'latin1').toString('utf8'));
    assert.ok(u.includes('* LIST (\\HasNoChildren) "/" "Entwürfe/日本語"'), u.join('\n'));
    await c.ok('SELECT "Entwürfe/日本語"');
    c.close();
  });

  test('QUOTA: GETQUOTAROOT and GETQUOTA report usage against the configured limits; SETQUOTA is refused', async () => {
    const c = await login();
    const r = await c.ok('GETQUOTAROOT INBOX');
    assert.equal(r.untagged[0], '* QUOTAROOT INBOX ""');
    assert.match(r.untagged[1]!, /^\* QUOTA "" \(STORAGE \d+ 1024 MESSAGE 1 5\)$/);
    assert.match((await c.ok('GETQUOTA ""')).untagged[0]!, /^\* QUOTA "" \(STORAGE/);
    assert.match((await c.command('GETQUOTA "nope"')).tagged, /NO \[NONEXISTENT\]/);
    assert.match((await c.command('SETQUOTA "" (STORAGE 10)')).tagged, /NO \[NOPERM\]/);
    const shared = await c.ok('GETQUOTAROOT "Other Users/sales@example.test/INBOX"');
    assert.equal(shared.untagged[0], '* QUOTAROOT "Other Users/sales@example.test/INBOX" "Other Users/sales@example.test"');
    c.close();
  });

  test('APPEND past the quota gets NO [OVERQUOTA]', async () => {
    const c = await login('bob', 'pw-bob');
    const msg = 'Subject: b\r\n\r\n' + 'x'.repeat(1100 * 1024);
    const r = await c.command(`APPEND INBOX {${msg.length}+}\r\n${msg}`);
    assert.match(r.tagged, /NO \[OVERQUOTA\]/);
    c.close();
  });
});
