// TLS diagnoses from openssl s_server and node:tls servers set up to trigger each one.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { makeCa, makeLeaf, type TestCert } from '../peers/certs.js';
import { startSServer, type SServerPeer } from '../peers/openssl.js';
import { startImapTlsServer, type TestServer } from './servers.js';
import { find, ids, probe, probeFixtures } from './helpers.js';

let ca: TestCert;
let leaf: TestCert;
const { stop } = probeFixtures((c) => ({ ca, leaf } = c));

async function sserver(args: string[], options: { noEms?: boolean; cert?: TestCert } = {}): Promise<SServerPeer | string> {
  const r = await startSServer({ cert: options.cert ?? leaf, args, ...(options.noEms && { noEms: true }) });
  if (!r.ok) return r.reason;
  stop(r.peer.stop);
  return r.peer;
}

async function nodeServer(options: Parameters<typeof startImapTlsServer>[0]): Promise<TestServer> {
  const s = await startImapTlsServer(options);
  stop(s.close);
  return s;
}

/** s_server speaks no mail protocol: tell the probe it is implicit-TLS IMAP, keep timeouts short. */
const sOpts = (port: number) => ({ ca: ca.cert, timeoutMs: 1000, ports: [{ port, protocol: 'imap' as const, expectedMode: 'tls' as const }] });

describe('probe: Extended Master Secret (seed 000)', () => {
  test('openssl s_server without EMS (OPENSSL_CONF Options = -ExtendedMasterSecret) is flagged from the ServerHello', async (t) => {
    const peer = await sserver(['-tls1_2'], { noEms: true });
    if (typeof peer === 'string') return t.skip(peer);
    const p = (await probe(sOpts(peer.port))).ports[0]!;
    assert.equal(p.ems.supported, false);
    const d = find(p, 'no-ems');
    assert.match(d.evidence[0]!, /lack extended_master_secret \(23\); session flag EXTMS=0/);
    assert.equal(find(p, 'no-tls13').severity, 'warning');
  });

  test('the same s_server with EMS left on passes, read the same way', async (t) => {
    const peer = await sserver(['-tls1_2']);
    if (typeof peer === 'string') return t.skip(peer);
    const p = (await probe(sOpts(peer.port))).ports[0]!;
    assert.equal(p.ems.supported, true);
    assert.match(p.ems.detail, /include extended_master_secret \(23\); session flag EXTMS=1/);
    assert.ok(!ids(p).includes('no-ems'));
  });

  test('a node:tls server with secureOptions 0x1 (no EMS) capped at TLS 1.2 is flagged too', async () => {
    const s = await nodeServer({ cert: leaf.cert, key: leaf.key, secureOptions: 0x1, maxVersion: 'TLSv1.2' });
    const p = (await probe({ ca: ca.cert, ports: [{ port: s.port, protocol: 'imap', expectedMode: 'tls' }] })).ports[0]!;
    assert.equal(find(p, 'no-ems').severity, 'warning');
  });
});

describe('probe: protocol versions and ciphers', () => {
  test('s_server at security level 0 accepts TLS 1.0, 1.1 and anonymous ciphers', async (t) => {
    const peer = await sserver(['-cipher', 'ALL:@SECLEVEL=0']); // DEFAULT removes aNULL for good; ALL keeps it
    if (typeof peer === 'string') return t.skip(peer);
    const p = (await probe(sOpts(peer.port))).ports[0]!;
    assert.deepEqual(p.versions.map((v) => [v.version, v.accepted]), [['TLSv1', true], ['TLSv1.1', true], ['TLSv1.2', true], ['TLSv1.3', true]]);
    assert.match(find(p, 'legacy-tls-accepted').title, /TLSv1 and TLSv1\.1/);
    const anon = find(p, 'anonymous-cipher-accepted');
    assert.equal(anon.severity, 'failure');
    assert.match(anon.evidence[0]!, /ADH|AECDH/);
  });

  test('a TLS 1.0-only server: the default handshake fails and the mismatch is explained', async (t) => {
    const peer = await sserver(['-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0']);
    if (typeof peer === 'string') return t.skip(peer);
    const p = (await probe(sOpts(peer.port))).ports[0]!;
    assert.equal(p.tls, null);
    const d = find(p, 'tls-version-mismatch');
    assert.equal(d.severity, 'failure');
    assert.match(d.title, /only TLSv1$/);
    assert.ok(d.evidence.some((e) => /TLSv1\.2: refused: .*(protocol_version|unsupported protocol)/.test(e)), d.evidence.join('\n'));
  });
});

describe('probe: certificates', () => {
  test('an expired certificate on s_server is a failure with its end date', async (t) => {
    const expired = await makeLeaf({ names: ['mail.example.test'], ca, validFromDays: -400, validToDays: -3 });
    const peer = await sserver([], { cert: expired });
    if (typeof peer === 'string') return t.skip(peer);
    const p = (await probe(sOpts(peer.port))).ports[0]!;
    const d = find(p, 'cert-expired');
    assert.match(d.title, /expired [34] days ago/);
    assert.equal(p.tls?.certificate?.verifyError, 'CERT_HAS_EXPIRED');
    assert.ok(!ids(p).includes('cert-untrusted'), 'expiry is not reported twice');
  });

  test('a certificate for another name on s_server is a name mismatch (RFC 6125 DNS-ID check)', async (t) => {
    const other = await makeLeaf({ names: ['other.example.test'], ca });
    const peer = await sserver([], { cert: other });
    if (typeof peer === 'string') return t.skip(peer);
    const p = (await probe(sOpts(peer.port))).ports[0]!;
    const d = find(p, 'cert-name-mismatch');
    assert.match(d.evidence[0]!, /names other\.example\.test, not mail\.example\.test/);
    assert.equal(p.tls?.certificate?.trusted, true, 'the chain itself is fine');
  });

  test('a self-signed certificate is reported as such', async () => {
    const self = await makeLeaf({ names: ['mail.example.test'] });
    const s = await nodeServer({ cert: self.cert, key: self.key });
    const p = (await probe({ ports: [{ port: s.port, protocol: 'imap', expectedMode: 'tls' }] })).ports[0]!;
    assert.equal(find(p, 'cert-self-signed').severity, 'failure');
  });

  test('a server that leaves out its intermediate has an incomplete chain; sending it fixes that', async () => {
    const root = await makeCa('postern test root');
    const intermediate = await makeCa('postern test intermediate', { issuer: root });
    const server = await makeLeaf({ names: ['mail.example.test'], ca: intermediate });
    const bare = await nodeServer({ cert: server.cert, key: server.key });
    const full = await nodeServer({ cert: `${server.cert.trim()}\n${intermediate.cert.trim()}\n`, key: server.key });
    const r = await probe({ ca: root.cert, ports: [{ port: bare.port, protocol: 'imap', expectedMode: 'tls' }, { port: full.port, protocol: 'imap', expectedMode: 'tls' }] });
    const d = find(r.ports[0]!, 'cert-chain-incomplete');
    assert.match(d.evidence.join(' '), /missing issuer: CN=postern test intermediate/);
    assert.equal(r.ports[1]!.tls?.certificate?.trusted, true);
    assert.equal(r.ports[1]!.tls?.certificate?.chain.length, 3);
    assert.ok(!ids(r.ports[1]!).some((x) => x.startsWith('cert-')));
  });

  test('a certificate 10 days from expiry warns', async () => {
    const soon = await makeLeaf({ names: ['mail.example.test'], ca, validFromDays: -80, validToDays: 10 });
    const s = await nodeServer({ cert: soon.cert, key: soon.key });
    const p = (await probe({ ca: ca.cert, ports: [{ port: s.port, protocol: 'imap', expectedMode: 'tls' }] })).ports[0]!;
    assert.match(find(p, 'cert-expiring-soon').title, /expires in (9|10) days/);
  });

  test('two ports of one host with different certificates for the same names: the older one was not reloaded', async () => {
    const old = await makeLeaf({ names: ['mail.example.test'], ca, validFromDays: -300, validToDays: 65 });
    const renewed = await makeLeaf({ names: ['mail.example.test'], ca, validFromDays: -1, validToDays: 89 });
    const a = await nodeServer({ cert: old.cert, key: old.key });
    const b = await nodeServer({ cert: renewed.cert, key: renewed.key });
    const r = await probe({ ca: ca.cert, ports: [{ port: a.port, protocol: 'imap', expectedMode: 'tls' }, { port: b.port, protocol: 'imap', expectedMode: 'tls' }] });
    const d = find(r, 'certificate-differs-between-ports');
    assert.match(d.explanation, new RegExp(`Ports ${a.port} still present an older certificate`));
    assert.match(d.fix, new RegExp(`Reload or restart the services on ports ${a.port}`));
  });
});

describe('probe: ALPN and resumption', () => {
  test('a TLS server that selects http/1.1 on an IMAP port is flagged (ALPACA)', async () => {
    const s = await nodeServer({ cert: leaf.cert, key: leaf.key, ALPNProtocols: ['h2', 'http/1.1'] });
    const p = (await probe({ ca: ca.cert, ports: [{ port: s.port, protocol: 'imap', expectedMode: 'tls' }] })).ports[0]!;
    assert.equal(p.alpn.outcome, 'selected');
    const d = find(p, 'alpn-foreign-protocol');
    assert.equal(d.severity, 'failure');
    assert.match(d.evidence[0]!, /selected "h2"/);
  });

  test('a server that refuses foreign ALPN IDs passes; it resumes TLS 1.3 tickets', async () => {
    const s = await nodeServer({ cert: leaf.cert, key: leaf.key, ALPNCallback: ({ protocols }) => (protocols.includes('imap') ? 'imap' : undefined) });
    const p = (await probe({ ca: ca.cert, ports: [{ port: s.port, protocol: 'imap', expectedMode: 'tls' }] })).ports[0]!;
    assert.equal(p.alpn.outcome, 'refused');
    assert.ok(!ids(p).some((x) => x.startsWith('alpn-')));
    assert.equal(p.resumption.ticketTls13.resumed, true);
    assert.equal(p.resumption.ticketTls12.resumed, true);
    assert.ok(!ids(p).includes('tickets-not-accepted'));
  });

  test('a server that changes its ticket key after every handshake issues tickets it never accepts', async () => {
    const s = await nodeServer({ cert: leaf.cert, key: leaf.key, rotateTicketKeys: true });
    const p = (await probe({ ca: ca.cert, ports: [{ port: s.port, protocol: 'imap', expectedMode: 'tls' }] })).ports[0]!;
    assert.equal(p.resumption.ticketTls13.issued, true);
    assert.equal(p.resumption.ticketTls13.resumed, false);
    assert.equal(find(p, 'tickets-not-accepted').severity, 'warning');
  });
});
