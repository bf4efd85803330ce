// Client command building (RFC 9051 §4 strings and literals, §6.4.4 SEARCH keys, §9 grammar).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandBuilder, appendSearch, flagList, formatSequence, quote, searchDate, type CommandPart } from '../../../src/wire/imap/client-command.js';

function wire(parts: CommandPart[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : `{${p.data.length}}\r\n${p.data.toString('latin1')}`)).join('');
}

describe('IMAP client command builder', () => {
  test('strings: quoted with escapes when safe, literals for CR/LF, 8-bit (without UTF-8) and long values', () => {
    const b = new CommandBuilder('X').string('a "b" \\c').string('line\r\nbreak').string('Grüße').string('x'.repeat(2000));
    assert.deepEqual(b.parts.map((p) => p.kind), ['text', 'literal', 'text', 'literal', 'text', 'literal']);
    assert.equal((b.parts[0] as { text: string }).text, 'X "a \\"b\\" \\\\c" ');
    const u = new CommandBuilder('X').string('Grüße', { utf8: true });
    assert.equal(wire(u.parts), 'X "Grüße"');
    assert.equal(quote('\\"'), '"\\\\\\""');
  });

  test('astring uses an atom when it can; mailbox names go out in modified UTF-7 unless UTF-8 is on', () => {
    assert.equal(wire(new CommandBuilder('SELECT').mailbox('inbox', false).parts), 'SELECT INBOX');
    assert.equal(wire(new CommandBuilder('SELECT').mailbox('Entwürfe', false).parts), 'SELECT "Entw&APw-rfe"');
    assert.equal(wire(new CommandBuilder('SELECT').mailbox('Entwürfe', true).parts), 'SELECT "Entwürfe"');
    assert.equal(wire(new CommandBuilder('X').astring('abc').astring('a b').parts), 'X abc "a b"');
  });

  test('a password is never in the log text, literals show as their size', () => {
    const b = new CommandBuilder('LOGIN').string('alice').string('s3cret "pw"', { sensitive: true }).literal(Buffer.from('hello'));
    const log = b.logText('A1');
    assert.equal(log, 'A1 LOGIN "alice" *** {5}');
    assert.ok(!log.includes('s3cret'));
    const lit = new CommandBuilder('LOGIN').string('alice').string('pw\r\nwith newline', { sensitive: true });
    assert.ok(!lit.logText('A2').includes('newline'));
  });

  test('sequence sets: numbers, arrays compressed, ranges, strings validated', () => {
    assert.equal(formatSequence(5), '5');
    assert.equal(formatSequence([7, 1, 2, 3, 3, 9]), '1:3,7,9');
    assert.equal(formatSequence({ from: 10 }), '10:*');
    assert.equal(formatSequence({ from: 2, to: 4 }), '2:4');
    assert.equal(formatSequence('1:4, 7'), '1:4,7');
    assert.throws(() => formatSequence('1:4;DELETE x'), /not a sequence set/);
    assert.throws(() => formatSequence(0), /not a message number/);
    assert.throws(() => formatSequence([]), /empty/);
  });

  test('flags must be atoms: no injection through a keyword', () => {
    assert.equal(flagList(['\\Seen', '$Label1']), '(\\Seen $Label1)');
    assert.throws(() => flagList(['a) EXPUNGE (']), /not a valid flag/);
  });

  test('search keys: flags both ways, strings, dates, sizes, headers, NOT and nested OR', () => {
    const b = new CommandBuilder('SEARCH');
    const charset = appendSearch(b, {
      seen: false,
      flagged: true,
      from: 'alice@example.com',
      since: new Date('2024-02-01T00:00:00Z'),
      larger: 1000,
      header: { 'X-Tag': 'a' },
      not: { deleted: true },
      or: [{ subject: 'one' }, { subject: 'two' }, { to: 'bob' }],
    }, false);
    assert.equal(charset, false);
    assert.equal(
      wire(b.parts),
      'SEARCH UNSEEN FLAGGED FROM "alice@example.com" HEADER "X-Tag" "a" SINCE 1-Feb-2024 LARGER 1000 NOT (DELETED) OR (SUBJECT "one") OR (SUBJECT "two") (TO "bob")',
    );
  });

  test('search: non-ASCII text goes as a literal and asks for CHARSET UTF-8, unless UTF-8 is on', () => {
    const b = new CommandBuilder('SEARCH');
    assert.equal(appendSearch(b, { subject: 'Grüße' }, false), true);
    assert.equal(b.parts[1]?.kind, 'literal');
    const u = new CommandBuilder('SEARCH');
    assert.equal(appendSearch(u, { subject: 'Grüße' }, true), false);
    assert.equal(wire(u.parts), 'SEARCH SUBJECT "Grüße"');
    const empty = new CommandBuilder('SEARCH');
    appendSearch(empty, {}, false);
    assert.equal(wire(empty.parts), 'SEARCH ALL');
  });

  test('search dates are the UTC calendar day', () => {
    assert.equal(searchDate(new Date('1994-02-01T23:59:59Z')), '1-Feb-1994');
    assert.throws(() => searchDate(new Date('nope')), /invalid Date/);
  });
});
