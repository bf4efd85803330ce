import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { certificateSignatureAlgorithm, oidToString, readSessionFields } from '../../src/probe/der.js';
import { makeLeaf } from '../peers/certs.js';

async function tls12Session(secureOptions: number): Promise<Buffer> {
  const leaf = await makeLeaf({ names: ['localhost'] });
  const server = tls.createServer({ cert: leaf.cert, key: leaf.key, maxVersion: 'TLSv1.2', secureOptions }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const c = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        resolve(c.getSession()!);
        c.destroy();
      });
      c.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('DER fields the probe reads', () => {
  test("OpenSSL's session blob carries the EXTMS flag with EMS and none without (secureOptions 0x1)", async () => {
    const withEms = readSessionFields(await tls12Session(0))!;
    assert.equal(withEms.flags & 1n, 1n);
    assert.equal(withEms.hasTicket, true);
    assert.equal(withEms.sslVersion, 0x0303);
    const without = readSessionFields(await tls12Session(0x1))!;
    assert.equal(without.flags & 1n, 0n);
  });

  test('a certificate signature algorithm is named from its OID (RFC 5280 §4.1.1.2)', async () => {
    const sha256 = await makeLeaf({ names: ['a.example'] });
    const sha1 = await makeLeaf({ names: ['a.example'], algorithm: 'sha1' });
    assert.equal(certificateSignatureAlgorithm(new X509Certificate(sha256.cert).raw), 'ecdsa-with-SHA256');
    assert.equal(certificateSignatureAlgorithm(new X509Certificate(sha1.cert).raw), 'ecdsa-with-SHA1');
    assert.equal(oidToString(Buffer.from('2a864886f70d01010b', 'hex')), '1.2.840.113549.1.1.11');
  });

  test('garbage is refused rather than misread', () => {
    assert.equal(readSessionFields(Buffer.from([0x30, 0x80])), null);
    assert.equal(certificateSignatureAlgorithm(Buffer.from([0x04, 0x01, 0x00])), null);
  });
});
