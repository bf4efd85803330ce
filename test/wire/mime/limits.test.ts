// Hostile shapes from the IMAP issue's "bad input" list: deep nesting and a 50 MB header line
// must give a tree, not a stack overflow, a hang or unbounded memory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { DEFAULT_MAX_DEPTH, findPart, parseMimeTree, walkParts } from '../../../src/wire/mime/tree.js';
import { parseMessage } from '../../../src/wire/mime/message.js';
import { searchableText } from '../../../src/wire/mime/text.js';
import { parseEnvelope } from '../../../src/wire/mime/envelope.js';
import { assertScalesLinearly } from '../../helpers/scaling.js';

function nestedMultipart(levels: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < levels; i++) parts.push(`Content-Type: multipart/mixed; boundary="=_${i}_="\r\n\r\n--=_${i}_=\r\n`);
  parts.push('Content-Type: text/plain\r\n\r\ninnermost\r\n');
  for (let i = levels - 1; i >= 0; i--) parts.push(`--=_${i}_=--\r\n`);
  return Buffer.from('Subject: deep\r\n' + parts.join(''));
}

function maxDepth(tree: ReturnType<typeof parseMimeTree>): number {
  let d = 0;
  walkParts(tree, (p) => {
    d = Math.max(d, p.depth);
  });
  return d;
}

describe('MIME limits', () => {
  test('a 2,000-level nested multipart parses within the depth bound without stack overflow', () => {
    const raw = nestedMultipart(2000);
    const tree = parseMimeTree(raw);
    assert.equal(maxDepth(tree), DEFAULT_MAX_DEPTH);
    let limited = 0;
    walkParts(tree, (p) => {
      if (p.unparsed === 'depth') limited++;
    });
    assert.equal(limited, 1, 'exactly one part is cut at the depth bound');
    // everything below the bound is the body of that leaf, and the message still ends where it ends
    assert.equal(tree.bodyEnd, raw.length);
    const msg = parseMessage(raw);
    assert.equal(msg.text, null);
    assert.equal(msg.attachments.length, 1);
    assert.ok(msg.attachments[0]!.content.includes('innermost'));
    assert.doesNotThrow(() => searchableText(raw, tree));
    assert.doesNotThrow(() => JSON.stringify(tree));
  });

  test('a 2,000-level chain of message/rfc822 parts parses within the depth bound', () => {
    let raw = 'Content-Type: text/plain\r\n\r\nbottom\r\n';
    for (let i = 0; i < 2000; i++) raw = `Subject: level ${i}\r\nContent-Type: message/rfc822\r\n\r\n` + raw;
    const buf = Buffer.from(raw);
    const tree = parseMimeTree(buf);
    assert.equal(maxDepth(tree), DEFAULT_MAX_DEPTH);
    const sixtyDeep = findPart(tree, new Array(DEFAULT_MAX_DEPTH).fill(1) as number[]);
    assert.ok(sixtyDeep);
    // lines of the outermost message/rfc822 = all LFs below it, counted once
    assert.equal(tree.lines, buf.subarray(tree.bodyStart).toString('latin1').split('\n').length - 1);
  });

  test('the depth bound is an option', () => {
    const tree = parseMimeTree(nestedMultipart(10), { maxDepth: 3 });
    assert.equal(maxDepth(tree), 3);
    const full = parseMimeTree(nestedMultipart(10), { maxDepth: 100 });
    assert.equal(maxDepth(full), 10);
  });

  test('a 50 MB single-line header parses in linear time and bounded memory', () => {
    const big = 50 * 1024 * 1024;
    const raw = Buffer.alloc(big + 200, 0x61);
    let off = raw.write('Subject: ', 0, 'latin1');
    off += big;
    raw.write('\r\nContent-Type: text/plain\r\n\r\nbody', off, 'latin1');
    const used = Buffer.from('Subject: ').length + big + Buffer.from('\r\nContent-Type: text/plain\r\n\r\nbody').length;
    const msg = raw.subarray(0, used);
    global.gc?.();
    const before = process.memoryUsage();
    const t0 = performance.now();
    const tree = parseMimeTree(msg);
    const env = parseEnvelope(tree);
    const ms = performance.now() - t0;
    const after = process.memoryUsage();
    assert.equal(tree.contentType.mimeType, 'text/plain');
    assert.equal(env.subject!.length, big);
    assert.equal(msg.toString('latin1', tree.bodyStart, tree.bodyEnd), 'body');
    // One latin1 string of the header (50 MB) is the expected cost; anything quadratic or
    // copying per line would show up as time or as a multiple of the size.
    assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
    const grown = after.heapUsed + after.external - (before.heapUsed + before.external);
    assert.ok(grown < 4 * big, `memory grew by ${(grown / 1e6).toFixed(0)} MB`);
  });

  test('a 50 MB single-line Content-Type is cut to a bounded length before parameter parsing', () => {
    const big = 50 * 1024 * 1024;
    const head = 'Content-Type: multipart/mixed; boundary=x; junk=';
    const raw = Buffer.alloc(head.length + big + 10, 0x61);
    raw.write(head, 0, 'latin1');
    raw.write('\r\n\r\nbody', head.length + big, 'latin1');
    const t0 = performance.now();
    const tree = parseMimeTree(raw);
    assert.ok(performance.now() - t0 < 10_000);
    assert.equal(tree.contentType.params['boundary'], 'x');
  });

  test('10,000 sibling parts are parsed in linear time', () => {
    const siblings = (n: number) => {
      const lines = ['Content-Type: multipart/mixed; boundary=x', ''];
      for (let i = 0; i < n; i++) lines.push('--x', 'Content-Type: text/plain', '', `part ${i}`);
      lines.push('--x--');
      return Buffer.from(lines.join('\r\n'));
    };
    const tree = parseMimeTree(siblings(9_998));
    assert.equal(tree.children.length, 9_998);
    assert.equal(tree.children[9_997]!.section, '9998');
    const inputs = new Map([2_500, 10_000].map((n) => [n, siblings(n)]));
    assertScalesLinearly((n) => parseMimeTree(inputs.get(n)!), 2_500, 'sibling parts');
  });

  test('a flood of lines that look like boundaries of every open level stays bounded', () => {
    // 64 open levels, then lines starting with "--b" that match no boundary exactly: each is
    // compared with at most maxDepth boundaries, so the time grows with the lines, no faster.
    const head: string[] = [];
    for (let i = 0; i < 64; i++) head.push(`Content-Type: multipart/mixed; boundary="b${i}x"`, '', `--b${i}x`);
    const flood = (lines: number) => Buffer.from(head.join('\r\n') + '\r\n\r\n' + '--b\r\n'.repeat(lines));
    const inputs = new Map([5_000, 20_000].map((n) => [n, flood(n)]));
    assertScalesLinearly((n) => parseMimeTree(inputs.get(n)!), 5_000, 'boundary-like lines');
    assert.equal(maxDepth(parseMimeTree(inputs.get(5_000)!)), 64);
  });
});
