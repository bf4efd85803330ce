// Mutated and random input: every entry point returns, never throws, and the tree's offsets
// stay inside the message.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { MailBuilder } from '../../../src/wire/mime/builder.js';
import { parseEnvelope } from '../../../src/wire/mime/envelope.js';
import { parseMessage } from '../../../src/wire/mime/message.js';
import { searchableText } from '../../../src/wire/mime/text.js';
import { findPart, parseMimeTree, walkParts } from '../../../src/wire/mime/tree.js';
import { decodeWords } from '../../../src/wire/mime/encoded-words.js';
import { parseAddressList } from '../../../src/wire/mime/address.js';
import { parseParameterized } from '../../../src/wire/mime/params.js';

const RUNS = Number(process.env.MIME_PROPERTY_RUNS ?? 200);

const seeds: Buffer[] = [];
const seedsReady = (async () => {
  const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
  seeds.push(
    await new MailBuilder({ deterministic: true })
      .from({ name: 'Jörg', address: 'j@example.com' })
      .to('a@example.com', { group: 'g', members: ['b@example.com'] })
      .subject('Grüße')
      .text('Grüße aus Köln\nzweite Zeile')
      .html('<p>Grüße <img src="cid:i@x"></p>')
      .inline('i@x', { filename: 'i.png', content: png })
      .attach({ filename: 'résumé.pdf', content: Buffer.alloc(200, 3) })
      .attach({ filename: 'fwd.eml', contentType: 'message/rfc822', content: 'Subject: inner\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n\r\nx\r\n--in--\r\n' })
      .build(),
  );
  seeds.push(Buffer.from('Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nb\n--d\nContent-Type: text/plain; format=flowed; charset="iso-2022-jp"\nContent-Transfer-Encoding: quoted-printable\n\nx=\n--d--\n'));
})();

/** Applies random edits: byte flips, insertions of MIME-significant snippets, deletions, truncation. */
const mutation = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('\r\n', '\n', '--', '--in--', '=', '=?utf-8?B?', '?=', ';', '"', '(', 'boundary=', 'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n', 'Content-Type: message/rfc822\r\n\r\n', '*0*=', "''%", '\x00', '\xff') }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  ),
  { maxLength: 12 },
);

type Edit =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'truncate'; at: number };

function mutate(base: Buffer, edits: Edit[]): Buffer {
  let b = Buffer.from(base);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    if (e.op === 'flip' && b.length > 0) b[at % b.length] = e.byte;
    else if (e.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(e.text, 'latin1'), b.subarray(at)]);
    else if (e.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
    else if (e.op === 'truncate') b = b.subarray(0, at);
  }
  return b;
}

function exercise(raw: Buffer): void {
  const tree = parseMimeTree(raw);
  walkParts(tree, (p) => {
    assert.ok(0 <= p.headerStart && p.headerStart <= p.bodyStart && p.bodyStart <= p.bodyEnd && p.bodyEnd <= raw.length, `offsets of ${p.section}`);
    assert.equal(p.size, p.bodyEnd - p.bodyStart);
    if (p.lines !== null) assert.ok(p.lines >= 0 && p.lines <= raw.length);
    for (const f of p.headers) assert.ok(f.start >= p.headerStart && f.end <= p.bodyStart);
  });
  findPart(tree, [1, 2, 1]);
  parseEnvelope(tree);
  searchableText(raw, tree);
  const m = parseMessage(raw);
  for (const a of m.attachments) assert.equal(a.size, a.content.length);
}

describe('MIME parser under mutated and random input', () => {
  test('mutated messages never make any entry point throw', async () => {
    await seedsReady;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), mutation, (which, edits) => {
        exercise(mutate(seeds[which]!, edits));
      }),
      { numRuns: RUNS },
    );
  });

  test('random bytes never make any entry point throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        exercise(Buffer.from(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  test('header-level decoders accept any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('=', '?', 'q', 'B', 'utf-8', '"', '<', '>', '@', ',', ':', ';', '(', ')', '\\', '*', "'", '%', 'a', ' ', '\r\n', 'é', '\u0000'), maxLength: 80 }), (s) => {
        decodeWords(s);
        parseAddressList(s);
        parseParameterized(s);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
