import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ServerFlightReader, parseServerHello, printableExcerpt, tlsVersionName } from '../../src/probe/tls-records.js';

/** A TLS 1.2 ServerHello record (RFC 5246 §7.4.1.3) with the given extensions. */
function serverHelloRecord(extensions: Array<[number, Buffer]>, options: { sessionId?: number; random?: Buffer } = {}): Buffer {
  const sid = Buffer.alloc(options.sessionId ?? 32, 0xaa);
  const exts = Buffer.concat(extensions.map(([type, data]) => Buffer.concat([u16(type), u16(data.length), data])));
  const body = Buffer.concat([u16(0x0303), options.random ?? Buffer.alloc(32, 1), Buffer.from([sid.length]), sid, u16(0xc02f), Buffer.from([0]), u16(exts.length), exts]);
  const hs = Buffer.concat([Buffer.from([2]), u24(body.length), body]);
  return Buffer.concat([Buffer.from([22, 3, 3]), u16(hs.length), hs]);
}
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);

function readSplit(bytes: Buffer, cut: number) {
  const r = new ServerFlightReader();
  if (cut < 0) for (const b of bytes) r.push(Buffer.from([b]));
  else {
    r.push(bytes.subarray(0, cut));
    r.push(bytes.subarray(cut));
  }
  return r.flight;
}

describe('reading the server flight of a TLS handshake', () => {
  test('a TLS 1.2 ServerHello with extended_master_secret (RFC 7627 ext 23) is seen at every split', () => {
    const rec = serverHelloRecord([[65281, Buffer.from([0])], [23, Buffer.alloc(0)], [35, Buffer.alloc(0)]]);
    for (let cut = -1; cut <= rec.length; cut++) {
      const f = readSplit(rec, cut);
      assert.equal(f.looksLikeTls, true);
      assert.deepEqual(f.serverHello?.extensions, [65281, 23, 35], `cut ${cut}`);
      assert.equal(f.serverHello?.extendedMasterSecret, true);
      assert.equal(f.serverHello?.sessionTicket, true);
      assert.equal(f.serverHello?.sessionIdLength, 32);
      assert.equal(f.serverHello?.versionName, 'TLSv1.2');
    }
  });

  test('supported_versions (ext 43) gives TLS 1.3; a HelloRetryRequest is skipped for the real ServerHello', () => {
    const hrrRandom = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
    const hrr = serverHelloRecord([[43, u16(0x0304)]], { random: hrrRandom });
    const sh = serverHelloRecord([[43, u16(0x0304)], [51, Buffer.alloc(36)]]);
    const f = readSplit(Buffer.concat([hrr, sh]), 7);
    assert.equal(f.serverHello?.helloRetryRequest, false);
    assert.equal(f.serverHello?.versionName, 'TLSv1.3');
    assert.deepEqual(f.serverHello?.extensions, [43, 51]);
  });

  test('a plaintext alert record is named (protocol_version = 70)', () => {
    const f = readSplit(Buffer.from([21, 3, 1, 0, 2, 2, 70]), 3);
    assert.deepEqual(f.alerts, [{ level: 2, description: 70, name: 'protocol_version' }]);
  });

  test('"220 " or "* OK" where a record header belongs is not TLS', () => {
    assert.equal(readSplit(Buffer.from('220 mail.example ESMTP\r\n'), 2).looksLikeTls, false);
    assert.equal(readSplit(Buffer.from('* OK IMAP ready\r\n'), -1).looksLikeTls, false);
    assert.equal(printableExcerpt(Buffer.from('220 a\r\n\x01')), '220 a\\r\\n\\x01');
  });

  test('a truncated ServerHello body is refused, not misread', () => {
    assert.equal(parseServerHello(Buffer.alloc(10)), null);
    assert.equal(tlsVersionName(0x0301), 'TLSv1');
  });

  test('input past the limit is ignored, so memory stays bounded', () => {
    const r = new ServerFlightReader(100);
    r.push(Buffer.from([22, 3, 3, 0x40, 0]));
    r.push(Buffer.alloc(200));
    assert.equal(r.flight.bytes, 205);
    assert.equal(r.flight.serverHello, undefined);
  });
});
