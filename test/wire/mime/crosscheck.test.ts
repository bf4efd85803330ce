// Cross-check against the reference implementations: for messages composed by nodemailer,
// our parseMessage and mailparser's simpleParser agree on subject, text, html and attachments.
// Known, intended differences (excluded here, documented on parseMessage): mailparser keeps a
// lone CR inside text (we normalise every line break to LF), lists text/watch-html and other
// alternative renderings as attachments (we list them under `alternatives`), inlines a
// message/rfc822 part with disposition inline into text/html (we keep it as an attachment), and
// folds runs of spaces in file names (we keep the name as sent).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { parseMessage } from '../../../src/wire/mime/message.js';
import { MailBuilder } from '../../../src/wire/mime/builder.js';

const RUNS = Number(process.env.MIME_PROPERTY_RUNS ?? 60);
const lf = (s: string | null | undefined | false): string | null => (typeof s === 'string' ? s.replace(/\r\n?/g, '\n') : null);
const trimEnd = (s: string | null | undefined | false): string => (lf(s) ?? '').replace(/\n+$/, '');

const text = fc.string({
  unit: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('a', 'b', ' ', '.', '\n', '\r\n', '\t', '=', '--', 'é', 'Ж', '中', '😀', '<', '>', '&') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).map((c) => c.replace(/[\x00-\x08\x0b-\x1f\x7f\r]/g, '')) },
  ),
  minLength: 1, // mailparser reads an empty 7bit part as "\r\n" (the CRLF that belongs to the boundary)
  maxLength: 300,
});
const name = fc
  .string({ unit: fc.constantFrom('a', 'B', ' ', '-', '.', 'é', 'ü', '中', 'Ж', '(1)', '_'), minLength: 1, maxLength: 30 })
  .map((s) => s.trim())
  .filter((s) => s.length > 0);

const options = fc.record({
  subject: name,
  fromName: name,
  text: fc.option(text, { nil: undefined }),
  html: fc.option(text.map((t) => `<p>${t}</p>`), { nil: undefined }),
  textEncoding: fc.constantFrom(undefined, 'quoted-printable', 'base64'),
  watch: fc.option(text, { nil: undefined }),
  attachments: fc.array(
    fc.record({
      filename: name.map((n) => `${n}.bin`),
      content: fc.uint8Array({ maxLength: 2000 }).map((u) => Buffer.from(u)),
      contentType: fc.constantFrom('application/octet-stream', 'image/png', 'application/pdf'),
      cid: fc.option(fc.constantFrom('img1@x', 'img2@x'), { nil: undefined }),
    }),
    { maxLength: 3 },
  ),
});

describe('cross-check with mailparser on messages built by nodemailer', () => {
  test('subject, text, html and attachments agree', async () => {
    await fc.assert(
      fc.asyncProperty(options, async (o) => {
        const attachments = o.attachments.map((a, i) => ({ ...a, cid: a.cid ? `${i}.${a.cid}` : undefined }));
        const raw = await new MailComposer({
          from: { name: o.fromName, address: 'from@example.com' },
          to: 'to@example.com',
          subject: o.subject,
          ...(o.text !== undefined ? { text: o.text } : {}),
          ...(o.html !== undefined ? { html: o.html } : {}),
          ...(o.textEncoding ? { textEncoding: o.textEncoding as 'base64' | 'quoted-printable' } : {}),
          ...(o.watch !== undefined ? { alternatives: [{ contentType: 'text/watch-html', content: o.watch }] } : {}),
          attachments,
        })
          .compile()
          .build();
        const theirs = await simpleParser(raw);
        const ours = parseMessage(raw);

        assert.equal(ours.subject, theirs.subject);
        assert.equal((ours.from[0] as { name: string }).name, theirs.from?.value[0]?.name);
        if (o.text !== undefined) assert.equal(lf(ours.text) ?? '', lf(theirs.text) ?? '', 'text');
        if (o.html !== undefined) assert.equal(lf(ours.html), lf(theirs.html), 'html');
        const alternativeTypes = new Set(ours.alternatives.map((a) => a.contentType));
        const theirAtts = theirs.attachments.filter((a) => !alternativeTypes.has(a.contentType));
        // File names against what was sent: mailparser folds a run of spaces into one.
        // (nodemailer moves inline cid parts next to the html: compare as sets, not in order)
        assert.deepEqual(ours.attachments.filter((a) => a.filename !== null).map((a) => a.filename).sort(), attachments.map((a) => a.filename).sort());
        const spaces = (n: string | null | undefined) => n?.replace(/ +/g, ' ') ?? null;
        assert.deepEqual(
          ours.attachments.map((a) => [spaces(a.filename), a.contentType, a.contentId, a.content.toString('hex')]),
          theirAtts.map((a) => [spaces(a.filename), a.contentType, a.cid ?? null, a.content.toString('hex')]),
        );
        for (const alt of ours.alternatives) {
          const t = theirs.attachments.find((a) => a.contentType === alt.contentType);
          assert.ok(t, `${alt.contentType} is an attachment for mailparser`);
          assert.equal(lf(alt.content), lf(t.content.toString('utf8')));
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('mailparser reads what MailBuilder writes the same way our parser does', async () => {
    await fc.assert(
      fc.asyncProperty(options, async (o) => {
        const b = new MailBuilder().from({ name: o.fromName, address: 'from@example.com' }).to('to@example.com').subject(o.subject);
        if (o.text !== undefined) b.text(o.text);
        if (o.html !== undefined) b.html(o.html);
        o.attachments.forEach((a, i) => b.attach({ filename: a.filename, content: a.content, contentType: a.contentType, ...(a.cid ? { contentId: `${i}.${a.cid}` } : {}) }));
        const raw = await b.build();
        const theirs = await simpleParser(raw);
        const ours = parseMessage(raw);
        assert.equal(theirs.subject, o.subject);
        assert.equal(theirs.from?.value[0]?.name, o.fromName);
        // mailparser reports an empty body as no text, or as a lone "\n" inside a multipart:
        // compare without trailing line breaks.
        if (o.text !== undefined) assert.equal(trimEnd(theirs.text), trimEnd(o.text), 'text');
        if (o.html !== undefined) assert.equal(lf(theirs.html) || '', lf(o.html), 'html');
        assert.deepEqual(
          theirs.attachments.map((a) => [a.filename, a.content.toString('hex')]),
          ours.attachments.map((a) => [a.filename, a.content.toString('hex')]),
        );
      }),
      { numRuns: RUNS },
    );
  });
});
