import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePop3Command, redactPop3Line, multiLine } from '../../../src/wire/pop3/command.js';

test('RFC 1939 commands parse into typed commands, keywords case-insensitive', () => {
  assert.deepEqual(parsePop3Command('USER mrose'), { ok: true, command: { name: 'USER', user: 'mrose' } });
  assert.deepEqual(parsePop3Command('pass secret with spaces'), { ok: true, command: { name: 'PASS', password: 'secret with spaces' } });
  assert.deepEqual(parsePop3Command('STAT'), { ok: true, command: { name: 'STAT' } });
  assert.deepEqual(parsePop3Command('LIST'), { ok: true, command: { name: 'LIST', msg: null } });
  assert.deepEqual(parsePop3Command('LIST 2'), { ok: true, command: { name: 'LIST', msg: 2 } });
  assert.deepEqual(parsePop3Command('RETR 1'), { ok: true, command: { name: 'RETR', msg: 1 } });
  assert.deepEqual(parsePop3Command('TOP 1 10'), { ok: true, command: { name: 'TOP', msg: 1, lines: 10 } });
  assert.deepEqual(parsePop3Command('UIDL'), { ok: true, command: { name: 'UIDL', msg: null } });
  assert.deepEqual(parsePop3Command('AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q='), { ok: true, command: { name: 'AUTH', mechanism: 'PLAIN', initialResponse: 'dGVzdAB0ZXN0AHRlc3Q=' } });
  assert.deepEqual(parsePop3Command('AUTH'), { ok: true, command: { name: 'AUTH', mechanism: null, initialResponse: null } });
  assert.deepEqual(parsePop3Command('stls'), { ok: true, command: { name: 'STLS' } });
});

test('bad message numbers, missing and extra arguments are refused with a reason', () => {
  for (const line of ['RETR 0', 'RETR -1', 'RETR x', 'RETR', 'RETR 1 2', 'DELE 99999999999', 'TOP 1', 'TOP 1 x', 'STAT 1', 'QUIT now', 'USER', 'PASS']) {
    const r = parsePop3Command(line);
    assert.equal(r.ok, false, line);
    if (!r.ok) assert.ok(r.reason.length > 0);
  }
});

test('unknown commands and NUL bytes are refused', () => {
  const unknown = parsePop3Command('XYZZY');
  assert.equal(unknown.ok, false);
  if (!unknown.ok) assert.match(unknown.reason, /Unknown command/);
  const nul = parsePop3Command(Buffer.from('USER a\0b'));
  assert.equal(nul.ok, false);
  if (!nul.ok) assert.match(nul.reason, /NUL/);
});

test('the protocol log never shows passwords or SASL payloads', () => {
  assert.equal(redactPop3Line('PASS hunter2', false), 'PASS ***');
  assert.equal(redactPop3Line('AUTH PLAIN AGFsaWNlAHNlY3JldA==', false), 'AUTH PLAIN ***');
  assert.equal(redactPop3Line('dXNlcg==', true), '***');
  assert.equal(redactPop3Line('USER alice', false), 'USER alice');
});

test('multi-line replies are dot-stuffed and end with a lone dot', () => {
  assert.equal(multiLine(['TOP', '.hidden']), 'TOP\r\n..hidden\r\n.\r\n');
});
