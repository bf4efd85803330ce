import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { envelopeAddressTuple, parseEnvelope, type EnvelopeAddress } from '../../../src/wire/mime/envelope.js';
import { parseMimeTree } from '../../../src/wire/mime/tree.js';

const tuples = (l: EnvelopeAddress[] | null): unknown => (l === null ? null : l.map(envelopeAddressTuple));
const envOf = (lines: string[]) => parseEnvelope(parseMimeTree(Buffer.from(lines.join('\r\n') + '\r\n\r\nbody')));

describe('ENVELOPE (RFC 3501 §7.4.2)', () => {
  test('the RFC 3501 §8 sample FETCH response envelope', () => {
    const env = envOf([
      'Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
      'From: Terry Gray <gray@cac.washington.edu>',
      'Subject: IMAP4rev1 WG mtg summary and minutes',
      'To: imap@cac.washington.edu',
      'cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>',
      'Message-Id: <B27397-0100000@cac.washington.edu>',
      'MIME-Version: 1.0',
      'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
    ]);
    assert.equal(env.date, 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)');
    assert.equal(env.subject, 'IMAP4rev1 WG mtg summary and minutes');
    const gray = [['Terry Gray', null, 'gray', 'cac.washington.edu']];
    assert.deepEqual(tuples(env.from), gray);
    assert.deepEqual(tuples(env.sender), gray);
    assert.deepEqual(tuples(env.replyTo), gray);
    assert.deepEqual(tuples(env.to), [[null, null, 'imap', 'cac.washington.edu']]);
    assert.deepEqual(tuples(env.cc), [
      [null, null, 'minutes', 'CNRI.Reston.VA.US'],
      ['John Klensin', null, 'KLENSIN', 'MIT.EDU'],
    ]);
    assert.equal(env.bcc, null);
    assert.equal(env.inReplyTo, null);
    assert.equal(env.messageId, '<B27397-0100000@cac.washington.edu>');
    assert.equal(env.decoded.date?.toISOString(), '1996-07-17T09:23:25.000Z');
  });

  test('an empty Sender or Reply-To field takes the value of From', () => {
    const env = envOf(['From: a@x.test', 'Sender:', 'Reply-To:   ']);
    assert.deepEqual(tuples(env.sender), [[null, null, 'a', 'x.test']]);
    assert.deepEqual(tuples(env.replyTo), [[null, null, 'a', 'x.test']]);
  });

  test('a present Sender / Reply-To is kept', () => {
    const env = envOf(['From: a@x.test', 'Sender: s@x.test', 'Reply-To: r@x.test']);
    assert.deepEqual(tuples(env.sender), [[null, null, 's', 'x.test']]);
    assert.deepEqual(tuples(env.replyTo), [[null, null, 'r', 'x.test']]);
  });

  test('groups become start and end markers around their members', () => {
    const env = envOf(['To: A Group:Ed Jones <c@a.test>,joe@where.test;, other@x.test', 'Cc: Undisclosed recipients:;']);
    assert.deepEqual(tuples(env.to), [
      [null, null, 'A Group', null],
      ['Ed Jones', null, 'c', 'a.test'],
      [null, null, 'joe', 'where.test'],
      [null, null, null, null],
      [null, null, 'other', 'x.test'],
    ]);
    assert.deepEqual(tuples(env.cc), [
      [null, null, 'Undisclosed recipients', null],
      [null, null, null, null],
    ]);
  });

  test('raw strings keep encoded words for IMAP; decoded forms read them', () => {
    const env = envOf(['Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=', 'From: =?utf-8?Q?J=C3=B6rg?= <j@x.de>']);
    assert.equal(env.subject, '=?utf-8?Q?Gr=C3=BC=C3=9Fe?=');
    assert.equal(env.decoded.subject, 'Grüße');
    assert.deepEqual(tuples(env.from), [['=?utf-8?Q?J=C3=B6rg?=', null, 'j', 'x.de']]);
    const f = env.decoded.from[0]!;
    assert.ok(f.kind === 'mailbox');
    assert.equal(f.name, 'Jörg');
  });

  test('a mailbox without domain gets Dovecot\'s MISSING_DOMAIN (a NIL host would mean a group)', () => {
    const env = envOf(['To: undisclosed-recipients']);
    assert.deepEqual(tuples(env.to), [[null, null, 'undisclosed-recipients', 'MISSING_DOMAIN']]);
  });

  test('folded fields are unfolded; In-Reply-To is kept', () => {
    const env = envOf(['Subject: one', '  two', 'In-Reply-To: <a@b>']);
    assert.equal(env.subject, 'one  two');
    assert.equal(env.inReplyTo, '<a@b>');
  });

  test('a message without any of the fields gives NIL everywhere', () => {
    const env = envOf(['X-Other: 1']);
    assert.deepEqual([env.date, env.subject, env.from, env.sender, env.replyTo, env.to, env.cc, env.bcc, env.inReplyTo, env.messageId], new Array(10).fill(null));
  });
});
