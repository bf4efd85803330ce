// The SMTP command codec with RFC examples and edge cases: RFC 5321 §4.1 paths and
// parameters, RFC 6531 UTF-8 addresses, RFC 3461 DSN parameters, RFC 3030 BDAT, RFC 4954 AUTH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSmtpCommand, redactSmtpLine, type SmtpCommand } from '../../../src/wire/smtp/command.js';

function ok(line: string): SmtpCommand {
  const r = parseSmtpCommand(line);
  assert.ok(r.ok, `${line}: ${!r.ok ? r.reply.text : ''}`);
  return r.command;
}

function refused(line: string): { code: number; enhanced: string } {
  const r = parseSmtpCommand(line);
  assert.ok(!r.ok, `${line} should be refused`);
  return { code: r.reply.code, enhanced: r.reply.enhanced };
}

test('verbs are case-insensitive; EHLO/HELO/LHLO take one host name or address literal', () => {
  assert.deepEqual(ok('ehlo client.example.com'), { verb: 'EHLO', domain: 'client.example.com' });
  assert.deepEqual(ok('HELO [192.0.2.1]'), { verb: 'HELO', domain: '[192.0.2.1]' });
  assert.deepEqual(ok('LHLO mx.example'), { verb: 'LHLO', domain: 'mx.example' });
  assert.equal(refused('EHLO').code, 501);
  assert.equal(refused('EHLO a b').code, 501);
});

test('RFC 5321 §D.1 example: MAIL FROM:<Smith@bar.com> and RCPT TO:<Jones@foo.com>', () => {
  const m = ok('MAIL FROM:<Smith@bar.com>');
  assert.equal(m.verb, 'MAIL');
  if (m.verb !== 'MAIL') return;
  assert.deepEqual(m.from, { local: 'Smith', domain: 'bar.com', address: 'Smith@bar.com', utf8: false });
  assert.deepEqual(m.params.keywords, []);
  const r = ok('RCPT TO:<Jones@foo.com>');
  assert.ok(r.verb === 'RCPT' && r.to.address === 'Jones@foo.com' && !r.postmaster);
});

test('the null reverse-path, a tolerated space after the colon, and domains compared lower-case', () => {
  const m = ok('MAIL FROM:<>');
  assert.ok(m.verb === 'MAIL' && m.from === null);
  const s = ok('mail from: <User@EXAMPLE.Org>');
  assert.ok(s.verb === 'MAIL' && s.from?.address === 'User@example.org');
});

test('source routes are accepted and dropped (RFC 5321 §C); quoted local parts are kept', () => {
  const m = ok('RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>');
  assert.ok(m.verb === 'RCPT' && m.to.address === 'userc@d.bar.org');
  const q = ok('RCPT TO:<"john smith"@example.com>');
  assert.ok(q.verb === 'RCPT' && q.to.local === '"john smith"');
  const esc = ok('RCPT TO:<"a\\"b>c"@example.com>');
  assert.ok(esc.verb === 'RCPT' && esc.to.local === '"a\\"b>c"');
});

test('<Postmaster> without a domain is a valid RCPT (RFC 5321 §4.1.1.3)', () => {
  const r = ok('RCPT TO:<Postmaster>');
  assert.ok(r.verb === 'RCPT' && r.postmaster);
  const p = ok('RCPT TO:<postmaster> NOTIFY=NEVER');
  assert.ok(p.verb === 'RCPT' && p.postmaster && p.params.notify === 'NEVER');
});

test('malformed paths get 501 with 5.1.7 (sender) or 5.1.3 (recipient)', () => {
  assert.deepEqual(refused('MAIL FROM:alice@example.com'), { code: 501, enhanced: '5.1.7' });
  assert.deepEqual(refused('MAIL FROM:<alice@example.com'), { code: 501, enhanced: '5.1.7' });
  assert.deepEqual(refused('MAIL FROM:<alice>'), { code: 501, enhanced: '5.1.7' });
  assert.deepEqual(refused('MAIL FROM:<a..b@example.com>'), { code: 501, enhanced: '5.1.7' });
  assert.deepEqual(refused('MAIL FROM:<a@-example.com>'), { code: 501, enhanced: '5.1.7' });
  assert.deepEqual(refused('MAIL FROM:<a@example.com>SIZE=1'), { code: 501, enhanced: '5.1.7' });
  assert.deepEqual(refused('RCPT TO:<>'), { code: 501, enhanced: '5.1.3' });
  assert.deepEqual(refused('RCPT TO:<a b@example.com>'), { code: 501, enhanced: '5.1.3' });
  assert.equal(refused('MAIL TO:<a@b.c>').code, 501);
  assert.equal(refused('RCPT FROM:<a@b.c>').code, 501);
});

test('length limits of RFC 5321 §4.5.3.1: local part 64, path 256', () => {
  ok(`RCPT TO:<${'a'.repeat(64)}@example.com>`);
  assert.equal(refused(`RCPT TO:<${'a'.repeat(65)}@example.com>`).code, 501);
  const longDomain = Array.from({ length: 5 }, (_, i) => String.fromCharCode(98 + i).repeat(60)).join('.');
  assert.equal(refused(`RCPT TO:<a@${longDomain}>`).code, 501);
});

test('address literals: IPv4, IPv6 and general', () => {
  for (const d of ['[192.0.2.1]', '[IPv6:2001:db8::1]', '[x-tag:foo]']) {
    const r = ok(`RCPT TO:<user@${d}>`);
    assert.ok(r.verb === 'RCPT' && r.to.domain === d.toLowerCase());
  }
  assert.equal(refused('RCPT TO:<user@[300.1.1.1]>').code, 501);
});

test('RFC 6531: UTF-8 local parts and U-label domains are parsed and flagged', () => {
  const r = ok('RCPT TO:<用户@例子.广告>');
  assert.ok(r.verb === 'RCPT' && r.to.utf8 && r.to.domain === '例子.广告');
  const a = ok('RCPT TO:<user@example.com>');
  assert.ok(a.verb === 'RCPT' && !a.to.utf8);
});

test('MAIL parameters: SIZE, BODY, SMTPUTF8, RET, ENVID (xtext), AUTH=', () => {
  const m = ok('MAIL FROM:<a@b.example> SIZE=1000 body=8bitmime SMTPUTF8 RET=hdrs ENVID=QQ314159+2Babc AUTH=e+3Dmc2@example.com');
  assert.ok(m.verb === 'MAIL');
  if (m.verb !== 'MAIL') return;
  assert.deepEqual({ ...m.params }, {
    size: 1000, body: '8BITMIME', smtputf8: true, ret: 'HDRS', envid: 'QQ314159+abc', auth: 'e=mc2@example.com',
    keywords: ['SIZE', 'BODY', 'SMTPUTF8', 'RET', 'ENVID', 'AUTH'],
  });
  const none = ok('MAIL FROM:<a@b.example> AUTH=<>');
  assert.ok(none.verb === 'MAIL' && none.params.auth === '');
});

test('bad or unknown parameters: 501 5.5.4 for a bad value or a repeat, 555 5.5.4 for an unknown keyword', () => {
  assert.deepEqual(refused('MAIL FROM:<a@b.example> SIZE=big'), { code: 501, enhanced: '5.5.4' });
  assert.deepEqual(refused('MAIL FROM:<a@b.example> BODY=9BIT'), { code: 501, enhanced: '5.5.4' });
  assert.deepEqual(refused('MAIL FROM:<a@b.example> SIZE=1 SIZE=2'), { code: 501, enhanced: '5.5.4' });
  assert.deepEqual(refused('MAIL FROM:<a@b.example> ENVID=bad+zz'), { code: 501, enhanced: '5.5.4' });
  assert.deepEqual(refused('MAIL FROM:<a@b.example> SMTPUTF8=yes'), { code: 501, enhanced: '5.5.4' });
  assert.deepEqual(refused('MAIL FROM:<a@b.example> XFORWARD=1'), { code: 555, enhanced: '5.5.4' });
  assert.deepEqual(refused('RCPT TO:<a@b.example> FOO'), { code: 555, enhanced: '5.5.4' });
});

test('RFC 3461 §4 RCPT parameters: NOTIFY lists and NEVER alone, ORCPT with xtext', () => {
  const r = ok('RCPT TO:<a@b.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Bob+2Bsales@Example.com');
  assert.ok(r.verb === 'RCPT');
  if (r.verb !== 'RCPT') return;
  assert.deepEqual(r.params.notify, ['SUCCESS', 'DELAY']);
  assert.deepEqual(r.params.orcpt, { type: 'rfc822', address: 'Bob+sales@Example.com' });
  assert.equal(refused('RCPT TO:<a@b.example> NOTIFY=NEVER,FAILURE').code, 501);
  assert.equal(refused('RCPT TO:<a@b.example> NOTIFY=SOMETIMES').code, 501);
  assert.equal(refused('RCPT TO:<a@b.example> ORCPT=nosemicolon').code, 501);
});

test('BDAT size [LAST] (RFC 3030 §2)', () => {
  assert.deepEqual(ok('BDAT 0 LAST'), { verb: 'BDAT', size: 0, last: true });
  assert.deepEqual(ok('bdat 86 last'), { verb: 'BDAT', size: 86, last: true });
  assert.deepEqual(ok('BDAT 4096'), { verb: 'BDAT', size: 4096, last: false });
  for (const bad of ['BDAT', 'BDAT -1', 'BDAT 1 FIRST', 'BDAT 1  LAST', 'BDAT 1234567890123456']) assert.equal(refused(bad).code, 501, bad);
});

test('AUTH mechanism [initial-response]; the protocol log never shows the response', () => {
  assert.deepEqual(ok('AUTH plain dGVzdAB0ZXN0AHRlc3Q='), { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'dGVzdAB0ZXN0AHRlc3Q=' });
  assert.deepEqual(ok('AUTH SCRAM-SHA-256'), { verb: 'AUTH', mechanism: 'SCRAM-SHA-256', initialResponse: null });
  assert.equal(refused('AUTH').code, 501);
  assert.equal(refused('AUTH PLAIN a b').code, 501);
  assert.equal(redactSmtpLine('AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q='), 'AUTH PLAIN ***');
  assert.equal(redactSmtpLine('AUTH LOGIN'), 'AUTH LOGIN');
  assert.equal(redactSmtpLine('MAIL FROM:<a@b>'), 'MAIL FROM:<a@b>');
});

test('commands without arguments refuse them; NOOP ignores its string; unknown verbs get 500 5.5.2', () => {
  for (const v of ['DATA', 'RSET', 'QUIT', 'STARTTLS']) {
    assert.deepEqual(ok(v), { verb: v });
    assert.equal(refused(`${v} now`).code, 501);
  }
  assert.deepEqual(ok('NOOP hello there'), { verb: 'NOOP' });
  assert.deepEqual(ok('HELP'), { verb: 'HELP', topic: null });
  assert.deepEqual(ok('VRFY Smith'), { verb: 'VRFY', argument: 'Smith' });
  assert.deepEqual(refused('XCLIENT ADDR=1.2.3.4'), { code: 500, enhanced: '5.5.2' });
  assert.equal(refused('').code, 500);
  assert.equal(refused('NOOP\0').code, 500);
});
