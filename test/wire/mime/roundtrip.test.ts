// Property tests: whatever MailBuilder writes, our parser reads back the same subject,
// addresses, display names, bodies (in several charsets) and binary attachments.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { MailBuilder } from '../../../src/wire/mime/builder.js';
import { parseMessage } from '../../../src/wire/mime/message.js';
import { parseMimeTree, walkParts } from '../../../src/wire/mime/tree.js';
import type { MailboxAddress } from '../../../src/wire/mime/address.js';

const RUNS = Number(process.env.MIME_PROPERTY_RUNS ?? 150);

// Header text: any Unicode without control characters (a header cannot carry them).
const headerText = fc
  .string({ unit: fc.oneof(fc.constantFrom('a', 'Z', ' ', '"', ',', ';', '<', '>', '@', '(', ')', '\\', '=?', '?=', '_', 'é', 'ß', '€', '中', '😀', 'Ж'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 60 })
  .map((s) => s.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, '').trim())
  .filter((s) => s.length > 0);

const address = fc.emailAddress().filter((a) => a.length < 200);

const CHARSETS = ['utf-8', 'iso-8859-1', 'iso-8859-2', 'windows-1251', 'koi8-r', 'shift_jis', 'gbk', 'euc-kr'] as const;
const representable = (text: string, charset: string): string =>
  charset === 'utf-8' ? text : [...text].filter((c) => iconv.decode(iconv.encode(c, charset), charset) === c).join('');

const bodyText = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('a', 'b', ' ', '.', '\n', '\r\n', '\r', '\t', '=', '-', 'From ', '--', 'é', 'ü', 'Ж', 'я', '中', 'テ', '한', 'ő', '€', '😀') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 400,
});

const normalize = (s: string): string => s.replace(/\r\n|\r/g, '\n');

const attachment = fc.record({
  filename: headerText,
  contentType: fc.constantFrom('application/octet-stream', 'image/png', 'application/pdf', 'application/zip'),
  content: fc.uint8Array({ maxLength: 3000 }),
});

describe('MailBuilder → parser round trips (fast-check)', () => {
  test('subject, addresses and display names (non-ASCII included) come back as given', async () => {
    await fc.assert(
      fc.asyncProperty(
        headerText,
        fc.array(fc.record({ name: fc.option(headerText, { nil: undefined }), address }), { minLength: 1, maxLength: 4 }),
        fc.record({ name: headerText, address }),
        async (subject, to, from) => {
          const eml = await new MailBuilder().subject(subject).from(from).to(...to).text('x').build();
          const m = parseMessage(eml);
          assert.equal(m.subject, subject);
          const f = m.from[0] as MailboxAddress;
          assert.equal(f.name, from.name);
          assert.equal(f.address, from.address);
          assert.deepEqual(
            m.to.map((a) => [(a as MailboxAddress).name, (a as MailboxAddress).address]),
            to.map((a) => [a.name ?? '', a.address]),
          );
          for (const line of eml.toString('latin1').split('\r\n')) assert.ok(line.length <= 998);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('text and HTML bodies round-trip in any charset, with any line ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHARSETS), bodyText, bodyText, async (charset, rawText, rawHtml) => {
        const text = representable(rawText, charset);
        const html = representable(rawHtml, charset);
        const eml = await new MailBuilder({ charset }).from('a@example.com').text(text).html(html).build();
        assert.ok(!/[^\r]\n|\r(?!\n)/.test(eml.toString('latin1')), 'CRLF only');
        for (const line of eml.toString('latin1').split('\r\n')) assert.ok(line.length <= 78, `line of ${line.length}`);
        const m = parseMessage(eml);
        assert.equal(m.text, normalize(text));
        assert.equal(m.html, normalize(html));
      }),
      { numRuns: RUNS },
    );
  });

  test('binary attachments and their file names round-trip byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(attachment, { maxLength: 4 }), bodyText, async (atts, text) => {
        const b = new MailBuilder().from('a@example.com').text(text);
        for (const a of atts) b.attach({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content) });
        const eml = await b.build();
        const m = parseMessage(eml);
        assert.equal(m.attachments.length, atts.length);
        atts.forEach((a, i) => {
          const got = m.attachments[i]!;
          assert.equal(got.filename, a.filename);
          assert.equal(got.contentType, a.contentType);
          assert.deepEqual(got.content, Buffer.from(a.content));
        });
        assert.equal(m.text, normalize(text));
      }),
      { numRuns: RUNS },
    );
  });

  test('every part of every built message has consistent offsets and sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(attachment, { maxLength: 3 }), fc.option(bodyText), fc.option(bodyText), async (atts, text, html) => {
        const b = new MailBuilder().from('a@example.com');
        if (text !== null) b.text(text);
        if (html !== null) b.html(html);
        for (const a of atts) b.attach({ ...a, content: Buffer.from(a.content) });
        const eml = await b.build();
        const tree = parseMimeTree(eml);
        walkParts(tree, (p) => {
          assert.ok(p.headerStart <= p.bodyStart && p.bodyStart <= p.bodyEnd && p.bodyEnd <= eml.length);
          assert.equal(p.size, p.bodyEnd - p.bodyStart);
          for (const c of p.children) assert.ok(c.headerStart >= p.bodyStart && c.bodyEnd <= p.bodyEnd);
        });
      }),
      { numRuns: RUNS },
    );
  });
});
