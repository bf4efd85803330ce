// The command decoder's literal handling and limits, each case replayed split at every byte.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapCommandDecoder } from '../../../src/wire/imap/command-decoder.js';
import { decodeEverySplit, decodePieces, summary } from './helpers.js';

const eq = (a: unknown, b: unknown, msg: string) => assert.deepEqual(a, b, msg);

describe('IMAP command decoder: literals', () => {
  test('a synchronizing literal is announced before its bytes, with its size', () => {
    const events = decodeEverySplit('A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n', {}, eq);
    assert.deepEqual(events.map((e) => e.kind), ['literal', 'literal', 'command']);
    assert.deepEqual(events[0], { kind: 'literal', size: 11, sync: true, binary: false, accepted: true });
    assert.deepEqual(events[1], { kind: 'literal', size: 7, sync: true, binary: false, accepted: true });
  });

  test('a non-synchronizing literal {n+} is announced as such (RFC 7888)', () => {
    const events = decodeEverySplit('a APPEND INBOX {5+}\r\nhello\r\nb NOOP\r\n', {}, eq);
    assert.deepEqual(events.map((e) => e.kind), ['literal', 'command', 'command']);
    assert.equal(events[0]!.kind === 'literal' && events[0]!.sync, false);
  });

  test('a refused synchronizing literal drops the command; the client\'s next line is a new command', () => {
    const events = decodeEverySplit('a APPEND INBOX {999999}\r\nb NOOP\r\n', { accept: () => false }, eq);
    assert.deepEqual(summary(events).map((e) => (e as { kind: string }).kind), ['literal', 'command']);
    assert.equal((events[1] as { raw: { tag: string } }).raw.tag, 'b');
  });

  test('a refused non-synchronizing literal is skipped byte for byte, and the rest of its command too', () => {
    const payload = 'x'.repeat(50) + '\r\nc FAKE\r\n' + 'y'.repeat(10);
    const input = `a APPEND INBOX {${payload.length}+}\r\n${payload} {3+}\r\nabc)\r\nb NOOP\r\n`;
    const events = decodeEverySplit(input, { accept: () => false }, eq);
    const commands = events.filter((e) => e.kind === 'command');
    assert.equal(commands.length, 1);
    assert.equal((commands[0] as { raw: { tag: string } }).raw.tag, 'b');
  });

  test('a literal8 ~{n} is marked binary and may hold NUL and CRLF', () => {
    const input = Buffer.concat([Buffer.from('a APPEND INBOX ~{6}\r\n'), Buffer.from([0, 13, 10, 0, 1, 2]), Buffer.from('\r\n')]);
    const events = decodeEverySplit(input, {}, eq);
    assert.equal(events[0]!.kind === 'literal' && events[0]!.binary, true);
    assert.equal(events[1]!.kind, 'command');
  });

  test('a literal may contain what looks like commands and literal markers', () => {
    const body = 'b LOGOUT\r\n{5}\r\n';
    const events = decodeEverySplit(`a LOGIN {${body.length}}\r\n${body} x\r\n`, {}, eq);
    const cmd = events.find((e) => e.kind === 'command');
    assert.ok(cmd && cmd.kind === 'command' && cmd.parsed.ok && cmd.parsed.command.name === 'LOGIN');
    assert.equal(cmd.parsed.ok && cmd.parsed.command.name === 'LOGIN' && cmd.parsed.command.username, body);
  });

  test('a literal size over 2^32-1 is refused; a non-synchronizing one cannot be skipped and is fatal', () => {
    const sync = decodeEverySplit('a APPEND INBOX {99999999999}\r\nb NOOP\r\n', {}, eq);
    assert.deepEqual(sync[0], { kind: 'error', tag: 'a', reason: 'literal-too-large', fatal: false });
    assert.equal(sync[1]!.kind, 'command');
    const nonsync = decodeEverySplit('a APPEND INBOX {99999999999+}\r\n', {}, eq);
    assert.deepEqual(nonsync[0], { kind: 'error', tag: 'a', reason: 'literal-too-large', fatal: true });
  });

  test('a literal announced by an abandoned command line (bad name) is still skipped', () => {
    const events = decodeEverySplit('a B@D {5+}\r\nhello\r\nb NOOP\r\n', {}, eq);
    assert.deepEqual(events.map((e) => e.kind), ['error', 'command']);
  });
});

describe('IMAP command decoder: limits', () => {
  test('a line over the limit is refused once, with its tag unknown, and the decoder stays in step', () => {
    const long = 'a NOOP ' + 'x'.repeat(300) + '\r\nb NOOP\r\n';
    const events = decodeEverySplit(long, { maxLineLength: 100 }, eq);
    assert.deepEqual(events.map((e) => e.kind), ['error', 'command']);
    assert.equal(events[0]!.kind === 'error' && events[0]!.reason, 'too-long');
  });

  test('an endless line is never buffered beyond the limit', () => {
    const d = new ImapCommandDecoder({ maxLineLength: 1000, maxCommandText: 10_000 });
    for (let i = 0; i < 1000; i++) {
      d.push(Buffer.alloc(10_000, 0x41));
      assert.equal(d.next().kind, 'need-more');
      assert.ok(d.bufferedBytes <= 10_000 + 1002, `buffered ${d.bufferedBytes}`);
    }
    d.push(Buffer.from('\r\nb NOOP\r\n'));
    assert.equal(d.next().kind, 'error');
    assert.equal(d.next().kind, 'command');
  });

  test('command text over the limit across many literal-joined lines is refused', () => {
    let input = 'a LOGIN';
    for (let i = 0; i < 50; i++) input += ` {1}\r\nx`;
    input += '\r\nb NOOP\r\n';
    const events = decodePieces([Buffer.from(input)], { maxCommandText: 100 });
    assert.ok(events.some((e) => e.kind === 'error' && e.reason === 'too-long'));
    assert.equal(events[events.length - 1]!.kind, 'command');
  });

  test('reset() forgets a half-received command (STARTTLS)', () => {
    const d = new ImapCommandDecoder({ maxLineLength: 1000, maxCommandText: 10_000 });
    d.push(Buffer.from('a LOGIN us'));
    assert.equal(d.next().kind, 'need-more');
    d.reset();
    d.push(Buffer.from('b NOOP\r\n'));
    const step = d.next();
    assert.ok(step.kind === 'command' && step.command.tag === 'b');
  });

  test('a line dropped by the transport is reported for the command it belonged to', () => {
    const d = new ImapCommandDecoder({ maxLineLength: 1000, maxCommandText: 10_000 });
    d.push(Buffer.from('a LOGIN {3}\r\n'));
    assert.equal(d.next().kind, 'literal');
    d.acceptLiteral();
    d.push(Buffer.from('abc'));
    assert.equal(d.next().kind, 'need-more');
    const step = d.lineDropped();
    assert.deepEqual(step, { kind: 'error', tag: 'a', reason: 'too-long', message: 'Command line too long.' });
  });
});
