/**
 * The SCRAM examples of RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256), replayed
 * byte for byte through our client and our server with the RFCs' nonces and salts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClientExchange } from '../../../src/wire/sasl/client.js';
import { createServerExchange, deriveScramCredentials } from '../../../src/wire/sasl/server.js';
import { ScramServerExchange } from '../../../src/wire/sasl/server-scram.js';
import type { SaslServerExchange } from '../../../src/wire/sasl/server.js';
import type { ScramHash } from '../../../src/wire/sasl/types.js';

interface Vector {
  rfc: string;
  mechanism: string;
  hash: ScramHash;
  clientNonce: string;
  serverNonce: string;
  salt: string;
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}

const VECTORS: Vector[] = [
  {
    rfc: 'RFC 5802 §5',
    mechanism: 'SCRAM-SHA-1',
    hash: 'sha1',
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    serverNonce: '3rfcNHYJY1ZVvWVs7j',
    salt: 'QSXCR+Q6sek8bf92',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    rfc: 'RFC 7677 §3',
    mechanism: 'SCRAM-SHA-256',
    hash: 'sha256',
    clientNonce: 'rOprNGfwEbeRWgbNEkqO',
    serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal:
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

const text = (b: Buffer) => b.toString('utf8');

for (const v of VECTORS) {
  describe(`${v.mechanism} example of ${v.rfc}`, () => {
    test('our client sends exactly the RFC client messages and accepts the RFC server signature', () => {
      const client = createClientExchange(v.mechanism, { username: 'user', password: 'pencil', nonce: () => v.clientNonce });
      assert.ok(client);
      assert.equal(text(client.initialResponse() ?? Buffer.alloc(0)), v.clientFirst);
      const final = client.step(Buffer.from(v.serverFirst));
      assert.equal(final.type, 'respond');
      assert.equal(final.type === 'respond' && text(final.data), v.clientFinal);
      assert.deepEqual(client.finish(Buffer.from(v.serverFinal)), { type: 'done' });
    });

    test('our client accepts the RFC server signature sent as a last challenge and answers it with an empty response', () => {
      const client = createClientExchange(v.mechanism, { username: 'user', password: 'pencil', nonce: () => v.clientNonce });
      assert.ok(client);
      // No SASL-IR: the server's first challenge is empty.
      const first = client.step(Buffer.alloc(0));
      assert.equal(first.type === 'respond' && text(first.data), v.clientFirst);
      client.step(Buffer.from(v.serverFirst));
      assert.deepEqual(client.step(Buffer.from(v.serverFinal)), { type: 'respond', data: Buffer.alloc(0) });
      assert.deepEqual(client.finish(), { type: 'done' });
    });

    test('our server sends exactly the RFC server messages and accepts the RFC client proof', () => {
      const creds = deriveScramCredentials('pencil', { salt: Buffer.from(v.salt, 'base64'), iterations: 4096, hash: v.hash });
      const server: SaslServerExchange =
        v.hash === 'sha256'
          ? (createServerExchange(v.mechanism, { nonce: () => v.serverNonce }) as SaslServerExchange)
          : new ScramServerExchange({ hash: v.hash, plus: false, nonce: () => v.serverNonce });
      assert.equal(server.mechanism, v.mechanism);
      assert.deepEqual(server.step(Buffer.from(v.clientFirst)), { type: 'need-scram-credentials', authcid: 'user', authzid: '' });
      const challenge = server.provideScramCredentials(creds);
      assert.equal(challenge.type === 'challenge' && text(challenge.data), v.serverFirst);
      const success = server.step(Buffer.from(v.clientFinal));
      assert.equal(success.type, 'success');
      assert.ok(success.type === 'success');
      assert.equal(success.authcid, 'user');
      assert.equal(success.authzid, '');
      assert.equal(text(success.additionalData ?? Buffer.alloc(0)), v.serverFinal);
    });

    test('our server refuses the RFC exchange when the stored password is a different one', () => {
      const creds = deriveScramCredentials('pencil2', { salt: Buffer.from(v.salt, 'base64'), iterations: 4096, hash: v.hash });
      const server = new ScramServerExchange({ hash: v.hash, plus: false, nonce: () => v.serverNonce });
      server.step(Buffer.from(v.clientFirst));
      server.provideScramCredentials(creds);
      assert.deepEqual(server.step(Buffer.from(v.clientFinal)), { type: 'failure', reason: 'bad-proof', message: 'authentication failed' });
    });

    test('our client refuses a server whose signature is off by one bit', () => {
      const client = createClientExchange(v.mechanism, { username: 'user', password: 'pencil', nonce: () => v.clientNonce });
      assert.ok(client);
      client.initialResponse();
      client.step(Buffer.from(v.serverFirst));
      const sig = Buffer.from(v.serverFinal.slice(2), 'base64');
      sig[0] = (sig[0] ?? 0) ^ 1;
      const verdict = client.finish(Buffer.from(`v=${sig.toString('base64')}`));
      assert.equal(verdict.type, 'error');
      assert.match(verdict.type === 'error' ? verdict.message : '', /fake server/);
    });
  });
}
