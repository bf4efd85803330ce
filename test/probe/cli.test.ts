// The CLI entry (runProbeCommand): exit codes, the text table, --json against the published
// JSON Schema file, usage errors; and the timing of a full nine-port scan of loopback peers.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runProbeCommand, ProbeUsageError } from '../../src/probe/cli.js';
import { ProbeReportSchema, probeReportJsonSchema, type ProbeReport } from '../../src/probe/report.js';
import { scanHost } from '../../src/probe/scanner.js';
import { makeLeaf, scratchDir, writeCertFiles, type TestCert } from '../peers/certs.js';
import { repoRoot } from '../peers/common.js';
import { startDovecot, type DovecotPeer } from '../peers/dovecot.js';
import { startPostfix, type PostfixPeer } from '../peers/postfix.js';
import { startVsftpd, type VsftpdPeer } from '../peers/vsftpd.js';
import { checkJsonSchema } from './json-schema-check.js';
import { probeFixtures } from './helpers.js';
import { startImapTlsServer, startSilentServer, type TestServer } from './servers.js';

let ca: TestCert;
let leaf: TestCert;
let caFile: string;
const { stop } = probeFixtures((c) => {
  ({ ca, leaf } = c);
  caFile = writeCertFiles(scratchDir('probe-cli'), leaf, ca).ca!;
});

const schemaPath = (): string => join(repoRoot(), 'src', 'probe', 'report.schema.json');

async function run(host: string, options: Parameters<typeof runProbeCommand>[1], tty = false): Promise<{ code: number; text: string }> {
  const out = Object.assign(new PassThrough(), { isTTY: tty });
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const code = await runProbeCommand(host, options, out);
  return { code, text };
}

function validate(report: unknown): void {
  const published = JSON.parse(readFileSync(schemaPath(), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(checkJsonSchema(published, report), []);
  assert.ok(ProbeReportSchema.safeParse(report).success);
}

describe('postern probe (CLI entry)', () => {
  test('the published JSON Schema file is the one the code generates', () => {
    const generated = JSON.stringify(probeReportJsonSchema(), null, 2) + '\n';
    if (process.env.POSTERN_WRITE_SCHEMA) writeFileSync(schemaPath(), generated);
    const committed = readFileSync(schemaPath(), 'utf8');
    assert.equal(committed, generated, 'src/probe/report.schema.json is stale: rerun this test with POSTERN_WRITE_SCHEMA=1');
  });

  test('a clean implicit-TLS port: exit 0, --json valid against the schema file', async () => {
    const s: TestServer = await startImapTlsServer({ cert: leaf.cert, key: leaf.key, ALPNCallback: ({ protocols }) => (protocols.includes('imap') ? 'imap' : undefined) });
    stop(s.close);
    const { code, text } = await run('127.0.0.1', { port: s.port, protocol: 'imap', mode: 'tls', ca: caFile, json: true, timeout: 2 });
    const report = JSON.parse(text) as ProbeReport;
    validate(report);
    assert.equal(code, 0, JSON.stringify(report.ports[0]!.diagnoses.map((d) => d.id)));
    assert.equal(report.exitCode, 0);
    assert.equal(report.ports[0]!.tls?.certificate?.hostname.matchedBy, 'ip');
  });

  test('the text report has a table row with the verdict and no colour codes off a terminal', async () => {
    const s = await startImapTlsServer({ cert: leaf.cert, key: leaf.key, ALPNProtocols: ['http/1.1'] });
    stop(s.close);
    const { code, text } = await run('127.0.0.1', { port: s.port, protocol: 'imap', ca: caFile, timeout: 2 });
    assert.equal(code, 2);
    assert.match(text, /^PORT\s+PROTO\s+MODE\s+TLS\s+CERTIFICATE\s+VERDICT$/m);
    assert.match(text, new RegExp(`^${s.port}\\s+imap\\s+implicit-tls\\s+TLSv1\\.3 X25519\\s+ok, \\d+ days\\s+failure$`, 'm'));
    assert.match(text, /✗ FAIL {2}Port \d+ agreed to speak http\/1\.1 over TLS/);
    assert.match(text, /fix: {2}Serve only the protocol's own ALPN ID/);
    assert.match(text, /Verdict: failure \(exit 2\)/);
    assert.ok(!text.includes('\x1b['), 'no ANSI colour when not a TTY');
  });

  test('on a terminal the verdicts are coloured', async () => {
    const s = await startSilentServer();
    stop(s.close);
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      const { text } = await run('127.0.0.1', { port: s.port, protocol: 'pop3', timeout: 0.3 }, true);
      assert.ok(text.includes('\x1b[31mfailure\x1b[0m'), 'failure in red');
    } finally {
      if (saved !== undefined) process.env.NO_COLOR = saved;
    }
  });

  test('a silent port exits 2 within the timeout', async () => {
    const s = await startSilentServer();
    stop(s.close);
    const t0 = Date.now();
    const { code } = await run('127.0.0.1', { port: s.port, protocol: 'pop3', timeout: 0.5 });
    assert.equal(code, 2);
    assert.ok(Date.now() - t0 < 2500);
  });

  test('unusable options are refused with one sentence saying what to do', async () => {
    await assert.rejects(run('127.0.0.1', { ca: '/nonexistent/ca.pem' }), (e: unknown) => e instanceof ProbeUsageError && /--ca/.test(e.message));
    await assert.rejects(run('127.0.0.1', { user: 'u' }), (e: unknown) => e instanceof ProbeUsageError && /--password-stdin/.test(e.message));
    await assert.rejects(run('127.0.0.1', { port: 70000 }), ProbeUsageError);
  });
});

describe('a full nine-port scan of loopback peers', () => {
  let dovecot: DovecotPeer | null = null;
  let postfix: PostfixPeer | null = null;
  let ftp: VsftpdPeer | null = null;
  let ftps: VsftpdPeer | null = null;
  let reason = '';
  before(async () => {
    // Postfix keeps last year's certificate: the host check must notice.
    const stale = await makeLeaf({ names: ['mail.example.test', 'localhost', '127.0.0.1'], ca, validFromDays: -200, validToDays: 40 });
    await Promise.all([
      startDovecot({ cert: leaf, secureLoginOnly: true }).then((r) => (r.ok ? (dovecot = r.peer) : (reason = r.reason))),
      startPostfix({ cert: stale }).then((r) => (r.ok ? (postfix = r.peer) : (reason = r.reason))),
      startVsftpd({ cert: leaf }).then((r) => (r.ok ? (ftp = r.peer) : (reason = r.reason))),
      startVsftpd({ cert: leaf, implicit: true }).then((r) => (r.ok ? (ftps = r.peer) : (reason = r.reason))),
    ]);
    for (const p of [dovecot, postfix, ftp, ftps] as Array<{ stop(): Promise<void> } | null>) if (p) stop(() => p.stop());
  });

  test('every TLS version tried on nine ports, in under 10 seconds, with the default 5 s timeout', async (t) => {
    if (!dovecot || !postfix || !ftp || !ftps) return t.skip(reason);
    const d = dovecot as DovecotPeer;
    const p = postfix as PostfixPeer;
    const t0 = Date.now();
    const report = await scanHost('mail.example.test', {
      address: '127.0.0.1',
      ca: ca.cert,
      timeoutMs: 5000,
      ports: [
        { port: p.plain, protocol: 'smtp', expectedMode: 'starttls' },
        { port: p.implicit, protocol: 'smtp', expectedMode: 'tls' },
        { port: p.starttls, protocol: 'smtp', expectedMode: 'starttls' },
        { port: d.imap, protocol: 'imap', expectedMode: 'starttls' },
        { port: d.imaps, protocol: 'imap', expectedMode: 'tls' },
        { port: d.pop3, protocol: 'pop3', expectedMode: 'starttls' },
        { port: d.pop3s, protocol: 'pop3', expectedMode: 'tls' },
        { port: (ftp as VsftpdPeer).port, protocol: 'ftp', expectedMode: 'starttls' },
        { port: (ftps as VsftpdPeer).port, protocol: 'ftp', expectedMode: 'tls' },
      ],
    });
    const elapsed = Date.now() - t0;
    console.log(`# nine-port loopback scan took ${elapsed} ms`);
    validate(JSON.parse(JSON.stringify(report)));
    assert.ok(elapsed < 10_000, `scan took ${elapsed} ms`);
    const tlsPorts = report.ports.filter((x) => x.tls);
    assert.equal(tlsPorts.length, 8, 'all but the no-TLS SMTP listener speak TLS');
    for (const port of tlsPorts) assert.equal(port.versions.length, 4, `port ${port.port} tried every version`);
    const diff = report.diagnoses.find((x) => x.id === 'certificate-differs-between-ports');
    assert.ok(diff, 'Postfix presents an older certificate than the others');
    assert.match(diff.explanation, new RegExp(`Ports ${p.implicit}, ${p.starttls} still present an older certificate`));
  });
});
