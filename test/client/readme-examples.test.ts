// Runs every ```ts example of the README's "Client library" section as its own
// program against loopback peers: Dovecot for IMAP, Postfix with Dovecot SASL for submission
// (587 STARTTLS, 465 implicit TLS), postern for POP3, and a scripted IMAP server for the OAuth
// example. The examples keep their real-world look; the runner only swaps the host name for
// 127.0.0.1, the well-known ports for the peers' ports and the package names for the sources,
// and trusts the peers' CA through NODE_EXTRA_CA_CERTS, as a user's system store would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../peers/common.js';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import type { PostfixPeer } from '../peers/postfix.js';
import { TestServer } from '../helpers/server.js';
import { startDovecotPeer, startPostfixPeer, type DovecotHandle } from './peers.js';
import { serveLines, startFakeServer, type FakeServer } from './fake-server.js';

const ROOT = repoRoot();
const README = join(ROOT, 'README.md');

/** The README's "## Client library" section, up to the next "## " heading. */
function clientSection(text: string): string {
  const start = text.indexOf('\n## Client library\n');
  if (start < 0) throw new Error('README.md has no "## Client library" section');
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}
const USERS = { 'alice@example.com': 'app-password', 'bob@example.com': 'app-password' };

interface Example {
  /** The ### heading the block sits under. */
  section: string;
  code: string;
}

/** Every ```ts block with the heading above it. */
function extractExamples(markdown: string): Example[] {
  const out: Example[] = [];
  let section = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const h = /^###\s+(.*)$/.exec(lines[i]!);
    if (h) section = h[1]!.trim();
    if (lines[i]!.trim() === '```ts') {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
      out.push({ section, code: body.join('\n') });
    }
  }
  return out;
}

/** What each example must print (stdout), by section; every example must exit 0. */
const EXPECT: Array<[RegExp, RegExp[], RegExp[]?]> = [
  [/^Send a message/, [/accepted: bob@example\.com; 2\.0\.0 Ok: queued as/]],
  [/^A raw message with 8-bit text/, [/\[ 'bob@example\.com' \] \[\]/]],
  [/^Implicit TLS on 465/, [/^TLSv1\.2 /m]],
  [/^Many messages/, [/bob@example\.com [0-9A-F]+/, /frank@example\.com [0-9A-F]+/]],
  [/^Read the inbox/, [/^INBOX \\Inbox$/m, /messages, UIDVALIDITY \d+/, /carol@example\.com Welcome to the example/]],
  [/^Stream a large message/, [/^Scans \d{7} bytes$/m]],
  [/^Watch for new mail/, [/^watching INBOX/m, /^new: Arrived while watching$/m]],
  [/^Download and delete/, [/^\d+ messages, \d+ octets$/m, /Welcome to POP3/]],
  [/^OAuth 2\.0/, [/^logged in after 2 token requests$/m]],
  [/^When something is wrong/, [/^expects-starttls$/m, /it expects STARTTLS, not implicit TLS/, /C: AUTH SCRAM-SHA-256 \*\*\*/], [/app-password/]],
];

let ca: TestCert;
let leaf: TestCert;
let dovecot: DovecotHandle | string;
let postfix: PostfixPeer | string;
let server: TestServer;
let oauth: FakeServer;
let work: string;
let bundle: string;

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
  work = mkdtempSync(join(tmpdir(), 'postern-examples-'));
  dovecot = await startDovecotPeer(leaf, '', USERS);
  postfix = typeof dovecot === 'string' ? dovecot : await startPostfixPeer(leaf, dovecot.authSocket);
  server = await TestServer.start();
  await server.addUser({ address: 'alice@example.com', password: 'app-password' });
  for (let i = 0; i < 2; i++) await server.deliver('alice@example.com', `From: carol@example.com\r\nTo: alice@example.com\r\nSubject: Welcome to POP3 ${i}\r\n\r\nHello.\r\n`);
  if (typeof dovecot !== 'string') dovecot.deliver('alice@example.com', 'From: Carol <carol@example.com>\r\nTo: alice@example.com\r\nSubject: Welcome to the example\r\n\r\nHello.\r\n');
  // An IMAP server that takes XOAUTH2 and refuses the first (cached) token as expired.
  oauth = await startFakeServer({ cert: leaf, tls: true }, async (s) => {
    s.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] oauth test server\r\n');
    await serveLines(s, async (line) => {
      const [tag, cmd = '', mech, ir] = line.split(' ');
      if (cmd === 'AUTHENTICATE' && mech === 'XOAUTH2') {
        if (Buffer.from(ir ?? '', 'base64').toString().includes('Bearer fresh-token')) return `${tag} OK [CAPABILITY IMAP4rev1] welcome\r\n`;
        s.write(`+ ${Buffer.from('{"status":"401","schemes":"bearer","scope":"https://mail.example.com/"}').toString('base64')}\r\n`);
        await s.readLine();
        return `${tag} NO [AUTHENTICATIONFAILED] invalid credentials\r\n`;
      }
      if (cmd === 'LOGOUT') return `* BYE\r\n${tag} OK\r\n`;
      if (cmd === 'CAPABILITY') return `* CAPABILITY IMAP4rev1\r\n${tag} OK\r\n`;
      return `${tag} BAD\r\n`;
    });
  });
  bundle = join(work, 'ca-bundle.pem');
  writeFileSync(bundle, ca.cert + '\n' + readFileSync(join(server.dataDir, 'tls', 'cert.pem'), 'utf8'));
});

after(async () => {
  await oauth?.close();
  await server?.stop();
  if (postfix && typeof postfix !== 'string') await postfix.stop();
  if (dovecot && typeof dovecot !== 'string') await dovecot.peer.stop();
  rmSync(work, { recursive: true, force: true });
});

function rewrite(example: Example): string {
  const d = dovecot as DovecotHandle;
  const pf = postfix as PostfixPeer;
  const ports: Record<string, number> = {
    587: pf.starttls,
    465: pf.implicit,
    993: /OAuth/.test(example.section) ? oauth.port : d.peer.imaps,
    143: d.peer.imap,
    995: server.port('pop3', 'tls'),
    110: server.port('pop3', 'starttls'),
  };
  const src = (p: string): string => pathToFileURL(join(ROOT, p)).href;
  return example.code
    .replaceAll("'postern/client'", `'${src('src/client/index.ts')}'`)
    .replaceAll("'postern/mime'", `'${src('src/wire/mime/index.ts')}'`)
    .replaceAll("'mail.example.com'", "'127.0.0.1'")
    .replace(/\bport: (\d+)/g, (m, p: string) => {
      const to = ports[p];
      if (to === undefined) throw new Error(`example "${example.section}" uses port ${p}, which has no peer`);
      return `port: ${to}`;
    });
}

function run(file: string, timeoutMs: number, onStart?: () => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: bundle, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (onStart && stdout.includes('watching')) {
        onStart();
        onStart = undefined;
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the README\'s client examples run against loopback peers', () => {
  const examples = extractExamples(clientSection(readFileSync(README, 'utf8')));

  test('the document has an example for every section the runner knows, and no unknown ones', () => {
    assert.ok(examples.length >= EXPECT.length, `${examples.length} examples`);
    for (const e of examples) assert.ok(EXPECT.some(([re]) => re.test(e.section)), `no expectation for "${e.section}"`);
    for (const [re] of EXPECT) assert.ok(examples.some((e) => re.test(e.section)), `no example under ${re}`);
  });

  examples.forEach((example, i) => {
    test(`example ${i + 1} (${example.section}) runs and prints what it says`, async (t) => {
      if (typeof dovecot === 'string') return t.skip(dovecot);
      if (typeof postfix === 'string') return t.skip(postfix);
      const file = join(work, `example-${i + 1}.mts`);
      writeFileSync(file, rewrite(example));
      // The IDLE example waits for mail: deliver some once it says it is watching.
      const deliver = /^Watch for new mail/.test(example.section)
        ? () => setTimeout(() => (dovecot as DovecotHandle).deliver('alice@example.com', 'From: carol@example.com\r\nTo: alice@example.com\r\nSubject: Arrived while watching\r\n\r\nHi.\r\n'), 300)
        : undefined;
      const r = await run(file, 40_000, deliver);
      assert.equal(r.code, 0, `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      for (const line of r.stdout.trim().split('\n').slice(0, 12)) t.diagnostic(line);
      const [, must, mustNot] = EXPECT.find(([re]) => re.test(example.section))!;
      for (const re of must) assert.match(r.stdout, re, r.stdout);
      for (const re of mustNot ?? []) assert.doesNotMatch(r.stdout + r.stderr, re);
    });
  });
});
