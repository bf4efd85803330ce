// IMAP SEARCH, SORT and THREAD over real sockets: the search keys of RFC 9051 §6.4.4 (text
// keys from the full-text index, decoded headers and bodies), ESEARCH, SEARCHRES "$", CHARSET,
// MODSEQ, SORT criteria (RFC 5256, RFC 5957) and both THREAD algorithms.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../../helpers/server.js';
import { ImapTestClient } from './imap-client.js';

let server: TestServer;
let c: ImapTestClient;

function mail(o: { from: string; to?: string; cc?: string; subject: string; date: string; body: string; id: string; refs?: string; extra?: string }): string {
  return [
    `From: ${o.from}`, `To: ${o.to ?? 'team@example.test'}`, ...(o.cc ? [`Cc: ${o.cc}`] : []), `Subject: ${o.subject}`,
    `Date: ${o.date}`, `Message-ID: <${o.id}@example.test>`, ...(o.refs ? [`References: ${o.refs}`] : []), ...(o.extra ? [o.extra] : []),
    '', o.body, '',
  ].join('\r\n');
}

const MESSAGES = [
  mail({ from: 'Alice <alice@example.test>', subject: 'Quarterly report', date: 'Mon, 1 Jan 2024 10:00:00 +0000', body: 'Numbers are up.', id: 'm1' }),
  mail({ from: 'Bob <bob@example.test>', subject: 'Re: Quarterly report', date: 'Tue, 2 Jan 2024 10:00:00 +0000', body: 'Great numbers!', id: 'm2', refs: '<m1@example.test>' }),
  mail({ from: '=?utf-8?q?J=C3=BCrgen?= <j@example.test>', subject: '=?utf-8?q?Gr=C3=BC=C3=9Fe?=', date: 'Wed, 3 Jan 2024 23:30:00 -0500', body: 'Viele Grüße aus Köln', id: 'm3', cc: 'carol@example.test', extra: 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit' }),
  mail({ from: 'carol@example.test', subject: 'Fwd: lunch (fwd)', date: 'Thu, 4 Jan 2024 10:00:00 +0000', body: '<p>Hidden <b>treasure</b></p>', id: 'm4', extra: 'Content-Type: text/html; X-Priority: 1' }),
  mail({ from: 'Alice <alice@example.test>', subject: 'RE: Re: Quarterly report', date: 'Fri, 5 Jan 2024 10:00:00 +0000', body: 'Agreed.', id: 'm5', refs: '<m1@example.test> <m2@example.test>' }),
  mail({ from: 'dave@example.test', subject: 'lunch', date: 'Sat, 6 Jan 2024 10:00:00 +0000', body: 'Pizza?', id: 'm6' }),
];

describe('IMAP SEARCH, SORT and THREAD', () => {
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice', domain: 'EXAMPLE' });
    for (const [i, m] of MESSAGES.entries()) {
      const date = new Date(Date.UTC(2024, 0, 10 + i, 12));
      await server.running.store.append((await server.store.getMailbox((await server.store.findAccountByAddress('alice@example.test'))!.id, 'INBOX'))!.id,
        { raw: Buffer.from(m, 'utf8'), internalDate: date, flags: i % 2 === 0 ? ['\\Seen'] : i === 3 ? ['\\Flagged', '$Work'] : [] });
    }
    c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
    await c.greeting();
    await c.login('alice', 'pw-alice');
    await c.ok('SELECT INBOX');
  });
  after(async () => {
    c.close();
    await server.stop();
  });

  const search = async (keys: string) => {
    const r = await c.ok(`SEARCH ${keys}`);
    return r.untagged[0]!;
  };

  test('flag keys, NOT, OR and parenthesized groups', async () => {
    assert.equal(await search('ALL'), '* SEARCH 1 2 3 4 5 6');
    assert.equal(await search('SEEN'), '* SEARCH 1 3 5');
    assert.equal(await search('UNSEEN'), '* SEARCH 2 4 6');
    assert.equal(await search('FLAGGED KEYWORD $Work'), '* SEARCH 4');
    assert.equal(await search('UNKEYWORD $work'), '* SEARCH 1 2 3 5 6');
    assert.equal(await search('OR SEEN FLAGGED'), '* SEARCH 1 3 4 5');
    assert.equal(await search('NOT (OR SEEN FLAGGED)'), '* SEARCH 2 6');
    assert.equal(await search('(SEEN (OR FLAGGED DELETED))'), '* SEARCH');
    assert.equal(await search('NEW'), '* SEARCH 2 4 6');
    assert.equal(await search('DRAFT'), '* SEARCH');
  });

  test('text keys find decoded words, case-insensitively and as substrings', async () => {
    assert.equal(await search('SUBJECT quarterly'), '* SEARCH 1 2 5');
    const utf8 = Buffer.from('grüße');
    c.send(Buffer.concat([Buffer.from(`u1 SEARCH CHARSET UTF-8 SUBJECT {${utf8.length}+}\r\n`), utf8, Buffer.from('\r\n')]));
    assert.deepEqual((await c.until('u1')).untagged, ['* SEARCH 3']);
    assert.match((await c.command('SEARCH FROM jürgen')).tagged, /BAD/, '8-bit in an atom');
    c.send(Buffer.concat([Buffer.from('u2 SEARCH CHARSET UTF-8 FROM "'), Buffer.from('jürgen'), Buffer.from('"\r\n')]));
    assert.deepEqual((await c.until('u2')).untagged, ['* SEARCH 3']);
    assert.equal(await search('FROM alice@'), '* SEARCH 1 5');
    assert.equal(await search('BODY treasure'), '* SEARCH 4');
    assert.equal(await search('BODY "hidden treasure"'), '* SEARCH 4');
    assert.equal(await search('TEXT numbers'), '* SEARCH 1 2');
    assert.equal(await search('TEXT "message-id: <m6"'), '* SEARCH 6');
    assert.equal(await search('CC carol'), '* SEARCH 3');
    assert.equal(await search('TO team@example.test'), '* SEARCH 1 2 3 4 5 6');
    assert.equal(await search('BCC anyone'), '* SEARCH');
    assert.equal(await search('BODY up'), '* SEARCH 1', 'two characters');
  });

  test('HEADER matches a named field, and an empty string any message that has it', async () => {
    assert.equal(await search('HEADER References m1@'), '* SEARCH 2 5');
    assert.equal(await search('HEADER references ""'), '* SEARCH 2 5');
    assert.equal(await search('HEADER X-Priority 1'), '* SEARCH');
    assert.equal(await search('HEADER Content-Type html'), '* SEARCH 4');
  });

  test('date keys compare calendar days: internal (BEFORE/ON/SINCE) and sent (SENT*) in the header\'s own zone', async () => {
    assert.equal(await search('ON 12-Jan-2024'), '* SEARCH 3');
    assert.equal(await search('SINCE 14-Jan-2024'), '* SEARCH 5 6');
    assert.equal(await search('BEFORE 11-Jan-2024'), '* SEARCH 1');
    assert.equal(await search('SENTON 3-Jan-2024'), '* SEARCH 3', '23:30 -0500 is still the 3rd as written');
    assert.equal(await search('SENTBEFORE 3-Jan-2024'), '* SEARCH 1 2');
    assert.equal(await search('SENTSINCE "5-Jan-2024"'), '* SEARCH 5 6');
  });

  test('size, sequence and UID keys; "*" and ranges', async () => {
    assert.equal(await search('LARGER 1'), '* SEARCH 1 2 3 4 5 6');
    assert.equal(await search('SMALLER 1'), '* SEARCH');
    assert.equal(await search('2:4'), '* SEARCH 2 3 4');
    assert.equal(await search('5:*'), '* SEARCH 5 6');
    assert.equal(await search('UID 1,6'), '* SEARCH 1 6');
    assert.equal((await c.ok('UID SEARCH 6:*')).untagged[0], '* SEARCH 6');
    assert.equal(await search('1:4294967295 SEEN'), '* SEARCH 1 3 5');
  });

  test('ESEARCH return options (RFC 4731) with MIN, MAX, COUNT and ALL', async () => {
    assert.equal((await c.ok('SEARCH RETURN (MIN MAX COUNT) UNSEEN')).untagged[0], '* ESEARCH (TAG "t' + (Number(/t(\d+)/.exec((await c.command('NOOP')).tagged)![1]) - 1) + '") MIN 2 MAX 6 COUNT 3');
    const r = await c.ok('UID SEARCH RETURN () SEEN');
    assert.match(r.untagged[0]!, /^\* ESEARCH \(TAG "t\d+"\) UID ALL 1,3,5$/);
    const none = await c.ok('SEARCH RETURN (MIN MAX COUNT ALL) DRAFT');
    assert.match(none.untagged[0]!, /^\* ESEARCH \(TAG "t\d+"\) COUNT 0$/);
  });

  test('SEARCHRES: RETURN (SAVE) keeps the result in "$" for later commands (RFC 5182)', async () => {
    const r = await c.ok('SEARCH RETURN (SAVE) SUBJECT quarterly');
    assert.deepEqual(r.untagged, [], 'SAVE alone sends no ESEARCH');
    assert.equal((await c.ok('FETCH $ (UID)')).untagged.join('|'), '* 1 FETCH (UID 1)|* 2 FETCH (UID 2)|* 5 FETCH (UID 5)');
    assert.equal(await search('$ SEEN'), '* SEARCH 1 5');
    await c.ok('SEARCH RETURN (SAVE MIN) SUBJECT quarterly');
    assert.equal(await search('$'), '* SEARCH 1');
  });

  test('MODSEQ search names the highest modseq of the messages found (RFC 7162 §3.1.5)', async () => {
    const r = await c.ok('SEARCH MODSEQ 1');
    assert.match(r.untagged[0]!, /^\* SEARCH 1 2 3 4 5 6 \(MODSEQ \d+\)$/);
  });

  test('an unknown charset gets NO [BADCHARSET] listing the ones that work', async () => {
    assert.match((await c.command('SEARCH CHARSET KOI8-R TEXT x')).tagged, /NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
  });

  test('SORT by date, arrival, size, subject (base subject), from, display name; REVERSE; UID SORT', async () => {
    const sort = async (crit: string) => (await c.ok(`SORT (${crit}) UTF-8 ALL`)).untagged[0];
    assert.equal(await sort('DATE'), '* SORT 1 2 3 4 5 6');
    assert.equal(await sort('REVERSE ARRIVAL'), '* SORT 6 5 4 3 2 1');
    assert.equal(await sort('SUBJECT'), '* SORT 3 4 6 1 2 5', 'grüße < lunch < quarterly report; ties by number');
    assert.equal(await sort('FROM'), '* SORT 1 5 2 4 6 3');
    assert.equal(await sort('DISPLAYFROM'), '* SORT 1 5 2 4 6 3');
    assert.equal(await sort('SUBJECT REVERSE DATE'), '* SORT 3 6 4 5 2 1');
    assert.match((await c.ok('UID SORT (SIZE) UTF-8 SEEN')).untagged[0]!, /^\* SORT( [135]){3}$/);
  });

  test('THREAD=ORDEREDSUBJECT groups by base subject under the first message', async () => {
    assert.equal((await c.ok('THREAD ORDEREDSUBJECT UTF-8 ALL')).untagged[0], '* THREAD (1 (2)(5))(3)(4 6)');
  });

  test('THREAD=REFERENCES follows References and merges by subject', async () => {
    // 6 ("lunch") is not a reply and 4 ("Fwd: lunch (fwd)") is: 4 goes under 6 (RFC 5256 §4 step 5).
    assert.equal((await c.ok('THREAD REFERENCES UTF-8 ALL')).untagged[0], '* THREAD (1 2 5)(3)(6 4)');
    assert.equal((await c.ok('UID THREAD REFERENCES UTF-8 SUBJECT quarterly')).untagged[0], '* THREAD (1 2 5)');
  });
});

describe('IMAP SEARCH on a large mailbox', () => {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start();
    await srv.addUser({ address: 'big@example.test', password: 'pw', domain: 'EXAMPLE' });
  });
  after(() => srv.stop());

  test('SEARCH TEXT, BODY and SUBJECT over 5,000 messages each answer in well under a second', async () => {
    const account = (await srv.store.findAccountByAddress('big@example.test'))!;
    const inbox = (await srv.store.getMailbox(account.id, 'INBOX'))!;
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
    for (let i = 0; i < 5000; i++) {
      const w = words[i % words.length]!;
      await srv.store.append(inbox.id, { raw: Buffer.from(`From: u${i}@example.test\r\nSubject: report ${i} ${w}\r\n\r\nThe body of message ${i} mentions ${w}${i === 4321 ? ' zanzibar' : ''}.\r\n`) });
    }
    const c2 = await ImapTestClient.connect(srv.port('imap', 'tls'), { tls: true });
    await c2.greeting();
    await c2.login('big', 'pw');
    await c2.ok('SELECT INBOX');
    for (const [keys, count] of [['BODY zanzibar', 1], ['TEXT "mentions golf"', 625], ['SUBJECT "report 4321 "', 1]] as const) {
      const started = performance.now();
      const r = await c2.ok(`SEARCH RETURN (COUNT) ${keys}`);
      const ms = performance.now() - started;
      assert.match(r.untagged[0]!, new RegExp(`COUNT ${count}$`), keys);
      assert.ok(ms < 500, `${keys} took ${ms.toFixed(0)} ms`);
    }
    c2.close();
  });
});
