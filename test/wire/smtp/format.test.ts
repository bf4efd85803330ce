// Server replies (RFC 5321 §4.2, RFC 2034), xtext (RFC 3461 §4), trace fields (RFC 5321 §4.4,
// RFC 3848), client commands for the relay, and the DSN layout (RFC 3464).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, enhancedFits } from '../../../src/wire/smtp/reply-format.js';
import { decodeXtext, encodeXtext } from '../../../src/wire/smtp/xtext.js';
import { receivedHeader, returnPathHeader, withProtocol } from '../../../src/wire/smtp/trace.js';
import { mailCommand, rcptCommand } from '../../../src/wire/smtp/client-command.js';
import { buildDsn, headerPart } from '../../../src/wire/smtp/dsn.js';
import { SmtpReplyDecoder } from '../../../src/wire/smtp/reply.js';
import { parseMimeTree } from '../../../src/wire/mime/tree.js';

test('replies: one line, several lines with "-", enhanced code on every line, no CR/LF smuggled in text', () => {
  assert.equal(formatReply(250, '2.0.0', 'Ok'), '250 2.0.0 Ok\r\n');
  assert.equal(formatReply(250, null, ['mx Hello', 'PIPELINING', 'SIZE 10']), '250-mx Hello\r\n250-PIPELINING\r\n250 SIZE 10\r\n');
  assert.equal(formatReply(214, '2.0.0', ['a', 'b']), '214-2.0.0 a\r\n214 2.0.0 b\r\n');
  assert.equal(formatReply(550, '5.1.1', 'bad\r\n250 ok'), '550 5.1.1 bad  250 ok\r\n');
  assert.ok(enhancedFits(550, '5.1.1'));
  assert.ok(!enhancedFits(550, '2.1.1'));
});

test('our replies decode with the client-side decoder (the relay reads what the server writes)', () => {
  const d = new SmtpReplyDecoder();
  d.push(Buffer.from(formatReply(452, '4.5.3', ['Too many', 'recipients'])));
  const s = d.next();
  assert.ok(s.kind === 'reply');
  if (s.kind !== 'reply') return;
  assert.equal(s.reply.code, 452);
  assert.equal(s.reply.enhanced, '4.5.3');
  assert.deepEqual(s.reply.lines, ['Too many', 'recipients']);
});

test('xtext: RFC 3461 §4 encoding of "+", "=", blanks and 8-bit; decoding refuses bad escapes', () => {
  assert.equal(encodeXtext('a+b=c d'), 'a+2Bb+3Dc+20d');
  assert.equal(encodeXtext('é'), '+C3+A9');
  assert.equal(decodeXtext('a+2Bb+3Dc+20d'), 'a+b=c d');
  assert.equal(decodeXtext('+C3+A9'), 'é');
  assert.equal(decodeXtext('a+2b'), null, 'hex digits are upper-case');
  assert.equal(decodeXtext('a+2'), null);
  assert.equal(decodeXtext('a=b'), null);
  for (const s of ['user@example.com', 'x+y', '==', 'tab\there']) assert.equal(decodeXtext(encodeXtext(s)), s);
});

test('"with" keywords: ESMTP, ESMTPS, ESMTPA, ESMTPSA, LMTP, SMTP for HELO, UTF8SMTPS (RFC 3848, RFC 6531)', () => {
  const w = (o: Partial<Parameters<typeof withProtocol>[0]>) => withProtocol({ lmtp: false, extended: true, tls: false, authenticated: false, utf8: false, ...o });
  assert.equal(w({}), 'ESMTP');
  assert.equal(w({ tls: true }), 'ESMTPS');
  assert.equal(w({ authenticated: true }), 'ESMTPA');
  assert.equal(w({ tls: true, authenticated: true }), 'ESMTPSA');
  assert.equal(w({ extended: false }), 'SMTP');
  assert.equal(w({ lmtp: true }), 'LMTP');
  assert.equal(w({ utf8: true, tls: true }), 'UTF8SMTPS');
});

test('Received: folded, "for" only with one recipient, a hostile HELO name cannot break the header', () => {
  const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
  const h = receivedHeader({ helo: 'evil\r\nBcc: x', remoteIp: '192.0.2.1', by: 'mx.example', protocol: 'ESMTPS', id: 'ABC', tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, recipient: 'bob@example.test', date });
  assert.equal(h, 'Received: from evil??Bcc:?x ([192.0.2.1])\r\n\tby mx.example (postern) with ESMTPS id ABC\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n\tfor <bob@example.test>;\r\n\tTue, 02 Jan 2024 03:04:05 +0000\r\n');
  const noFor = receivedHeader({ helo: null, remoteIp: '::1', by: 'mx', protocol: 'ESMTP', id: 'X', tls: null, recipient: null, date });
  assert.equal(noFor, 'Received: from [::1]\r\n\tby mx (postern) with ESMTP id X;\r\n\tTue, 02 Jan 2024 03:04:05 +0000\r\n');
  assert.equal(returnPathHeader(null), 'Return-Path: <>\r\n');
  assert.equal(returnPathHeader('a@b'), 'Return-Path: <a@b>\r\n');
});

test('relay commands carry only the parameters the server advertised', () => {
  const all = new Map<string, string[]>([['SIZE', []], ['8BITMIME', []], ['SMTPUTF8', []], ['DSN', []], ['BINARYMIME', []]]);
  const none = new Map<string, string[]>();
  const o = { size: 42, body: '8BITMIME' as const, smtputf8: true, ret: 'FULL' as const, envid: 'a b' };
  assert.equal(mailCommand('a@b', o, all), 'MAIL FROM:<a@b> SIZE=42 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=a+20b\r\n');
  assert.equal(mailCommand(null, o, none), 'MAIL FROM:<>\r\n');
  assert.equal(rcptCommand('c@d', { notify: ['SUCCESS', 'DELAY'], orcpt: { type: 'rfc822', address: 'C@D' } }, all), 'RCPT TO:<c@d> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;C@D\r\n');
  assert.equal(rcptCommand('c@d', { notify: 'NEVER' }, none), 'RCPT TO:<c@d>\r\n');
  assert.throws(() => rcptCommand('c@d>\r\nRSET', {}, none));
});

test('a DSN is a multipart/report with the three parts of RFC 3464 §2, parseable as MIME', () => {
  const original = Buffer.from('From: a@example.test\r\nSubject: hi\r\n\r\nbody line\r\n');
  const dsn = buildDsn({
    reportingMta: 'mx.example.test', to: 'a@example.test', arrivalDate: new Date(Date.UTC(2024, 0, 1)), envid: 'E1', ret: 'HDRS',
    original, date: new Date(Date.UTC(2024, 0, 2)), messageId: '<id@mx>', boundary: 'BOUND',
    recipients: [{ finalRecipient: 'x@remote.test', originalRecipient: { type: 'rfc822', address: 'X@remote.test' }, action: 'failed', status: '5.1.1', remoteMta: 'smarthost', diagnostic: '550 5.1.1 no such user', lastAttempt: new Date(Date.UTC(2024, 0, 2)) }],
  });
  const text = dsn.toString();
  assert.match(text, /^From: Mail Delivery System <MAILER-DAEMON@mx\.example\.test>\r\nTo: <a@example\.test>\r\nSubject: Undelivered Mail Returned to Sender\r\n/);
  const tree = parseMimeTree(dsn);
  assert.equal(tree.contentType.type, 'multipart');
  assert.equal(tree.contentType.subtype, 'report');
  assert.equal(tree.contentType.params['report-type'], 'delivery-status');
  assert.deepEqual(tree.children.map((c) => `${c.contentType.type}/${c.contentType.subtype}`), ['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
  assert.ok(text.includes('Reporting-MTA: dns; mx.example.test\r\nOriginal-Envelope-Id: E1\r\nArrival-Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\nOriginal-Recipient: rfc822;X@remote.test\r\nFinal-Recipient: rfc822;x@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; smarthost\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\nLast-Attempt-Date: Tue, 02 Jan 2024 00:00:00 +0000\r\n'));
  assert.ok(text.includes('Subject: hi\r\n\r\n\r\n--BOUND--'), 'headers only for RET=HDRS');
  assert.ok(!text.includes('body line'));
  assert.equal(headerPart(original).toString(), 'From: a@example.test\r\nSubject: hi\r\n\r\n');
});
