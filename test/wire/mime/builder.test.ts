import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MailBuilder } from '../../../src/wire/mime/builder.js';
import { parseMessage } from '../../../src/wire/mime/message.js';
import { findPart, parseMimeTree } from '../../../src/wire/mime/tree.js';

/** Every line ends in CRLF, none is longer than `max` characters. */
function assertWellFormed(eml: Buffer, max = 78): void {
  const s = eml.toString('latin1');
  assert.ok(!/[^\r]\n/.test(s) && !/\r[^\n]/.test(s), 'CRLF line ends only');
  for (const line of s.split('\r\n')) assert.ok(line.length <= max, `line of ${line.length}: ${line.slice(0, 80)}…`);
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('MailBuilder', () => {
  test('seed 000: the Apple Watch example gives multipart/alternative with text/plain, text/html and text/watch-html', async () => {
    const eml = await new MailBuilder({ deterministic: true })
      .subject('Apple Watch Example')
      .from('alice@example.com')
      .to('bob@example.com')
      .html('This is <strong>HTML<strong> text.')
      .text('Plain text.')
      .alternative('text/watch-html', 'This is <strong>Watch HTML<strong> text.')
      .build();
    const b = '----=_Part_1_b696ec19b1e95356f45d';
    assert.equal(
      eml.toString(),
      [
        'From: alice@example.com',
        'To: bob@example.com',
        'Subject: Apple Watch Example',
        'Date: Sat, 01 Jan 2000 00:00:00 +0000',
        'Message-ID: <b696ec19b1e95356f45db8ec4736266d@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative;',
        ` boundary="${b}"`,
        '',
        `--${b}`,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 7bit',
        '',
        'Plain text.',
        `--${b}`,
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: 7bit',
        '',
        'This is <strong>HTML<strong> text.',
        `--${b}`,
        'Content-Type: text/watch-html; charset=utf-8',
        'Content-Transfer-Encoding: 7bit',
        '',
        'This is <strong>Watch HTML<strong> text.',
        `--${b}--`,
        '',
      ].join('\r\n'),
    );
    const tree = parseMimeTree(eml);
    assert.equal(tree.contentType.mimeType, 'multipart/alternative');
    assert.deepEqual(tree.children.map((c) => c.contentType.mimeType), ['text/plain', 'text/html', 'text/watch-html']);
    const m = parseMessage(eml);
    assert.equal(m.text, 'Plain text.');
    assert.equal(m.html, 'This is <strong>HTML<strong> text.');
    assert.deepEqual(m.alternatives.map((a) => [a.contentType, a.content]), [['text/watch-html', 'This is <strong>Watch HTML<strong> text.']]);
  });

  test('the options object and the chainable methods write the same message', async () => {
    const a = await new MailBuilder({
      deterministic: true,
      subject: 'Same',
      from: 'a@example.com',
      to: ['b@example.com', { name: 'C', address: 'c@example.com' }],
      text: 'x',
      html: '<p>x</p>',
      alternatives: [{ contentType: 'text/watch-html', content: '<b>x</b>' }],
      headers: { 'X-Tag': 'one' },
    }).build();
    const b = await new MailBuilder()
      .deterministic()
      .subject('Same')
      .from('a@example.com')
      .to('b@example.com', { name: 'C', address: 'c@example.com' })
      .text('x')
      .html('<p>x</p>')
      .alternative('text/watch-html', '<b>x</b>')
      .header('X-Tag', 'one')
      .build();
    assert.deepEqual(a, b);
  });

  test('when only HTML is given, the plain text is made from it', async () => {
    const eml = await new MailBuilder().from('a@example.com').html('<h1>Title</h1><p>Hello <b>world</b> and <a href="https://x.test/">a link</a>.</p>').build();
    const m = parseMessage(eml);
    assert.equal(parseMimeTree(eml).contentType.mimeType, 'multipart/alternative');
    assert.match(m.text!, /Title/);
    assert.match(m.text!, /Hello world and a link\./);
    assert.ok(!m.text!.includes('<'));
  });

  test('textFromHtml: false sends the HTML alone', async () => {
    const eml = await new MailBuilder({ textFromHtml: false }).from('a@example.com').html('<p>hi</p>').build();
    assert.equal(parseMimeTree(eml).contentType.mimeType, 'text/html');
  });

  test('transfer encoding by content: 7bit for short ASCII lines, QP for mostly ASCII, base64 otherwise', async () => {
    const enc = async (text: string): Promise<string> => parseMimeTree(await new MailBuilder().from('a@x.test').text(text).build()).encoding;
    assert.equal(await enc('Plain ASCII.\nTwo lines.'), '7bit');
    assert.equal(await enc('Grüße aus Köln, wie geht es dir heute?'), 'quoted-printable');
    assert.equal(await enc('x'.repeat(200)), 'quoted-printable');
    assert.equal(await enc('Привет, как дела? Всё хорошо.'), 'base64');
    assert.equal(await enc('日本語のテキスト'), 'base64');
  });

  test('every line is CRLF-terminated and at most 78 characters, whatever the input', async () => {
    const eml = await new MailBuilder()
      .from({ name: 'Jörg Müller-Lüdenscheidt von und zu Irgendwo im Schwarzwald', address: 'joerg@example.com' })
      .to(...Array.from({ length: 30 }, (_, i) => `Person ${i} <person${i}@example.com>`))
      .subject('Ein sehr langer Betreff mit Ümlauten, der über mehrere Zeilen gefaltet werden muss, damit keine Zeile zu lang wird')
      .text('short\nlines\r\nmixed\rends\n' + 'a long line '.repeat(40) + '\n' + 'ü'.repeat(100))
      .html('<p>' + 'word '.repeat(300) + '</p>')
      .attach({ filename: 'ein sehr langer Dateiname mit Ümlauten und Leerzeichen, der umgebrochen wird.pdf', content: Buffer.alloc(5000, 1) })
      .header('X-Long', 'value '.repeat(40))
      .build();
    assertWellFormed(eml);
    const m = parseMessage(eml);
    assert.equal(m.to.length, 30);
    assert.equal(m.subject, 'Ein sehr langer Betreff mit Ümlauten, der über mehrere Zeilen gefaltet werden muss, damit keine Zeile zu lang wird');
    assert.equal(m.attachments[0]!.filename, 'ein sehr langer Dateiname mit Ümlauten und Leerzeichen, der umgebrochen wird.pdf');
    assert.equal(m.text, 'short\nlines\nmixed\nends\n' + 'a long line '.repeat(40) + '\n' + 'ü'.repeat(100));
  });

  test('non-ASCII headers are RFC 2047 encoded and filenames RFC 2231 encoded', async () => {
    const eml = await new MailBuilder()
      .from({ name: 'Jörg', address: 'j@example.com' })
      .subject('Grüße aus Köln')
      .attach({ filename: 'résumé.pdf', content: Buffer.from('x') })
      .build();
    const s = eml.toString('latin1');
    assert.ok(!/[^\x00-\x7f]/.test(s), 'the message is 7-bit');
    assert.match(s, /^Subject: =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln\?=$/m);
    assert.match(s, /^From: =\?UTF-8\?Q\?J=C3=B6rg\?= <j@example\.com>$/m);
    assert.match(s, /filename\*0\*=utf-8''r%C3%A9sum%C3%A9\.pdf|filename\*=utf-8''r%C3%A9sum%C3%A9\.pdf/);
  });

  test('display names with specials are quoted; text that looks like an encoded word is encoded', async () => {
    const eml = await new MailBuilder().from({ name: 'Doe, John "JD"', address: 'jd@example.com' }).subject('=?utf-8?Q?not_really?=').build();
    const s = eml.toString();
    assert.match(s, /^From: "Doe, John \\"JD\\"" <jd@example\.com>$/m);
    const m = parseMessage(eml);
    assert.equal(m.subject, '=?utf-8?Q?not_really?=');
    assert.equal(m.from[0]!.name, 'Doe, John "JD"');
  });

  test('an IDN domain is written in its A-label form', async () => {
    const eml = await new MailBuilder().from('joerg@müller.example').to('x@bücher.example').build();
    assert.match(eml.toString(), /^From: joerg@xn--mller-kva\.example$/m);
    assert.match(eml.toString(), /^To: x@xn--bcher-kva\.example$/m);
  });

  test('groups are written with RFC 5322 group syntax', async () => {
    const eml = await new MailBuilder().from('a@example.com').to({ group: 'Team', members: ['b@example.com', 'C <c@example.com>'] }, { group: 'Undisclosed recipients' }).build();
    assert.match(eml.toString(), /^To: Team: b@example\.com, C <c@example\.com>;, Undisclosed recipients: ;$/m);
    const m = parseMessage(eml);
    assert.deepEqual(m.to.map((a) => a.kind), ['group', 'group']);
  });

  test('Bcc is not written unless asked, and is in the SMTP envelope', async () => {
    const b = new MailBuilder().from('a@example.com').to('b@example.com').cc('c@example.com').bcc('secret@example.com', 'B@example.com');
    const eml = await b.build();
    assert.ok(!/^Bcc:/im.test(eml.toString()));
    assert.deepEqual(b.envelope(), { from: 'a@example.com', to: ['b@example.com', 'c@example.com', 'secret@example.com'] });
    const kept = await new MailBuilder({ keepBcc: true }).from('a@example.com').bcc('secret@example.com').build();
    assert.match(kept.toString(), /^Bcc: secret@example\.com$/m);
  });

  test('Date and Message-ID are generated: unique ids with the From domain, a current date', async () => {
    const b = new MailBuilder().from('a@mail.example.org').text('x');
    const [one, two] = [parseMessage(await b.build()), parseMessage(await b.build())];
    assert.match(one.messageId!, /^<[0-9a-f-]{36}@mail\.example\.org>$/);
    assert.notEqual(one.messageId, two.messageId);
    assert.ok(Math.abs(one.date!.getTime() - Date.now()) < 60_000);
  });

  test('deterministic output is byte-identical across builds; explicit date and id are used', async () => {
    const make = () =>
      new MailBuilder({ deterministic: { seed: 's1', date: new Date(Date.UTC(2019, 6, 2, 13, 38, 53)), messageId: 'fixed@id' } })
        .from('a@example.com')
        .text('x')
        .html('<p>x</p>')
        .attach({ filename: 'a.bin', content: Buffer.from([1, 2, 3]) });
    const [a, b] = [await make().build(), await make().build()];
    assert.deepEqual(a, b);
    assert.match(a.toString(), /^Date: Tue, 02 Jul 2019 13:38:53 \+0000$/m);
    assert.match(a.toString(), /^Message-ID: <fixed@id>$/m);
    const other = await new MailBuilder({ deterministic: { seed: 's2' } }).from('a@example.com').text('x').html('<p>x</p>').build();
    assert.notEqual(parseMimeTree(other).contentType.params['boundary'], parseMimeTree(a).contentType.params['boundary']);
  });

  test('a custom Date or Message-ID header replaces the generated one', async () => {
    const eml = await new MailBuilder().from('a@example.com').header('Message-ID', '<mine@x>').header('Date', 'Mon, 01 Jan 2024 00:00:00 +0000').build();
    const t = parseMimeTree(eml);
    assert.deepEqual(t.headers.filter((f) => f.key === 'message-id').map((f) => f.value), ['<mine@x>']);
    assert.deepEqual(t.headers.filter((f) => f.key === 'date').map((f) => f.value), ['Mon, 01 Jan 2024 00:00:00 +0000']);
  });

  test('attachments from a Buffer, a string, a Readable stream and a file path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-mime-'));
    try {
      const file = join(dir, 'data.bin');
      const fileBytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) & 255));
      writeFileSync(file, fileBytes);
      const streamBytes = Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 13) & 255));
      const eml = await new MailBuilder()
        .from('a@example.com')
        .text('see attached')
        .attach({ filename: 'buf.bin', content: Buffer.from([0, 1, 2, 255]) })
        .attach({ filename: 'note.txt', content: 'ünïcode text' })
        .attach({ filename: 'stream.bin', content: Readable.from([streamBytes.subarray(0, 1000), streamBytes.subarray(1000, 1001), streamBytes.subarray(1001)]) })
        .attach({ path: file })
        .build();
      assertWellFormed(eml);
      const m = parseMessage(eml);
      assert.deepEqual(
        m.attachments.map((a) => [a.filename, a.contentType]),
        [
          ['buf.bin', 'application/octet-stream'],
          ['note.txt', 'text/plain'],
          ['stream.bin', 'application/octet-stream'],
          ['data.bin', 'application/octet-stream'],
        ],
      );
      assert.deepEqual(m.attachments[0]!.content, Buffer.from([0, 1, 2, 255]));
      assert.equal(m.attachments[1]!.content.toString(), 'ünïcode text');
      assert.deepEqual(m.attachments[2]!.content, streamBytes);
      assert.deepEqual(m.attachments[3]!.content, fileBytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('stream() gives the same bytes as build()', async () => {
    const make = () =>
      new MailBuilder({ deterministic: true })
        .from('a@example.com')
        .text('x')
        .attach({ filename: 'big.bin', content: Readable.from([Buffer.alloc(300_000, 9)]) });
    assert.deepEqual(await collect(make().stream()), await make().build());
  });

  test('inline images by cid make multipart/related with the HTML first', async () => {
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const eml = await new MailBuilder({ deterministic: true })
      .from('a@example.com')
      .html('<img src="cid:logo@x">')
      .inline('logo@x', { filename: 'logo.png', content: png })
      .attach({ filename: 'doc.pdf', content: Buffer.from('%PDF') })
      .build();
    const t = parseMimeTree(eml);
    const shape = (p: typeof t): unknown => (p.children.length ? [p.contentType.mimeType, p.children.map(shape)] : p.contentType.mimeType);
    assert.deepEqual(shape(t), ['multipart/mixed', [['multipart/alternative', ['text/plain', ['multipart/related', ['text/html', 'image/png']]]], 'application/pdf']]);
    const img = findPart(t, [1, 2, 2])!;
    assert.equal(img.contentId, '<logo@x>');
    assert.equal(img.disposition?.type, 'inline');
    const m = parseMessage(eml);
    assert.deepEqual(m.attachments.map((a) => [a.filename, a.contentId, a.related]), [
      ['logo.png', 'logo@x', true],
      ['doc.pdf', null, false],
    ]);
    assert.deepEqual(m.attachments[0]!.content, png);
  });

  test('a message/rfc822 attachment is written as is, never base64 (RFC 2046 §5.2.1)', async () => {
    const inner = await new MailBuilder({ deterministic: true }).from('x@example.com').subject('inner').text('inner body').html('<p>inner</p>').build();
    const eml = await new MailBuilder({ deterministic: true }).from('a@example.com').text('fwd').attach({ filename: 'fwd.eml', contentType: 'message/rfc822', content: inner }).build();
    const t = parseMimeTree(eml);
    const part = findPart(t, [2])!;
    assert.equal(part.encoding, '7bit');
    assert.equal(part.kind, 'message');
    // same deterministic seed inside and outside: the outer boundary must still differ
    assert.notEqual(t.contentType.params['boundary'], part.children[0]!.contentType.params['boundary']);
    assert.equal(findPart(t, [2, 1])!.contentType.mimeType, 'text/plain');
    assert.equal(parseMessage(eml).attachments[0]!.content.toString(), inner.toString());
  });

  test('line breaks in header values cannot inject fields', async () => {
    const eml = await new MailBuilder()
      .from({ name: 'Evil\r\nBcc: victim@example.com', address: 'a@example.com' })
      .to('b@example.com\r\nX-Injected: 1')
      .subject('hi\r\nX-Injected: 2')
      .header('X-Note', 'a\nX-Injected: 3')
      .attach({ filename: 'a\r\nX-Injected: 4.txt', content: 'x' })
      .build();
    const t = parseMimeTree(eml);
    const names = (p: typeof t): string[] => [...p.headers.map((f) => f.key), ...p.children.flatMap(names)];
    assert.ok(!names(t).includes('x-injected'));
    assert.ok(!names(t).includes('bcc'));
  });

  test('a header value with a word longer than a line can hold is encoded so no line passes 998 octets', async () => {
    const token = 'x'.repeat(5000);
    const eml = await new MailBuilder().from('a@example.com').subject(token).header('X-Token', token).build();
    assertWellFormed(eml, 998);
    const t = parseMessage(eml);
    assert.equal(t.subject, token);
    assert.deepEqual(t.headers.get('x-token'), [token]);
  });

  test('header() refuses invalid names and the fields the builder writes itself', () => {
    assert.throws(() => new MailBuilder().header('Bad Name', 'x'), TypeError);
    assert.throws(() => new MailBuilder().header('Content-Type', 'text/plain'), TypeError);
  });

  test('the charset option writes the bodies in that charset', async () => {
    const eml = await new MailBuilder({ charset: 'iso-8859-1' }).from('a@example.com').text("Un café crème et une tarte, s'il vous plaît.").build();
    const t = parseMimeTree(eml);
    assert.equal(t.contentType.params['charset'], 'iso-8859-1');
    assert.match(eml.toString('latin1'), /caf=E9 cr=E8me/);
    assert.equal(parseMessage(eml).text, "Un café crème et une tarte, s'il vous plaît.");
  });

  test('a message with nothing in it is an empty text/plain message', async () => {
    const t = parseMimeTree(await new MailBuilder().from('a@example.com').build());
    assert.equal(t.contentType.mimeType, 'text/plain');
    assert.equal(t.size, 0);
  });

  test('a 7bit body containing the would-be boundary makes the builder pick another', async () => {
    const first = await new MailBuilder({ deterministic: true }).from('a@example.com').text('a').html('b').build();
    const boundary = parseMimeTree(first).contentType.params['boundary']!;
    const eml = await new MailBuilder({ deterministic: true }).from('a@example.com').text(`--${boundary}`).html('b').build();
    const m = parseMessage(eml);
    assert.equal(m.text, `--${boundary}`);
    assert.equal(m.html, 'b');
  });
});
