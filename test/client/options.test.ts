// How security and port resolve to a connection plan, and what postern/client exports.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEndpoint, PROFILES } from '../../src/client/options.js';
import * as client from '../../src/client/index.js';

describe('security and port resolution', () => {
  test("'auto' means implicit TLS on 465/993/995 and STARTTLS required everywhere else — never plaintext", () => {
    assert.deepEqual(resolveEndpoint(PROFILES.imap, { host: 'h' }), { host: 'h', port: 993, plan: 'tls', security: 'auto' });
    assert.equal(resolveEndpoint(PROFILES.imap, { host: 'h', port: 143 }).plan, 'starttls');
    assert.equal(resolveEndpoint(PROFILES.pop3, { host: 'h' }).port, 995);
    assert.equal(resolveEndpoint(PROFILES.pop3, { host: 'h', port: 110 }).plan, 'starttls');
    assert.equal(resolveEndpoint(PROFILES.smtp, { host: 'h', port: 587 }).plan, 'starttls');
    assert.equal(resolveEndpoint(PROFILES.smtp, { host: 'h', port: 465 }).plan, 'tls');
    assert.equal(resolveEndpoint(PROFILES.smtp, { host: 'h', port: 25 }).plan, 'starttls');
    for (const p of [1, 25, 110, 143, 587, 2525, 10143]) {
      for (const profile of Object.values(PROFILES)) assert.notEqual(resolveEndpoint(profile, { host: 'h', port: p, security: 'auto' }).plan, 'none');
    }
  });

  test('explicit modes pick the matching default port and keep a given one', () => {
    assert.equal(resolveEndpoint(PROFILES.imap, { host: 'h', security: 'starttls' }).port, 143);
    assert.equal(resolveEndpoint(PROFILES.smtp, { host: 'h', security: 'tls' }).port, 465);
    assert.equal(resolveEndpoint(PROFILES.smtp, { host: 'h', security: 'none' }).port, 587);
    assert.deepEqual(resolveEndpoint(PROFILES.smtp, { host: 'h', port: 587, security: 'tls' }).plan, 'tls');
  });

  test('bad settings are refused with what is allowed', () => {
    assert.throws(() => resolveEndpoint(PROFILES.imap, { host: 'h', security: 'ssl' as never }), /security must be 'tls', 'starttls', 'none' or 'auto'/);
    assert.throws(() => resolveEndpoint(PROFILES.imap, { host: 'h', port: 70000 }), /port must be 1-65535/);
    assert.throws(() => resolveEndpoint(PROFILES.imap, { host: '' }), /host is required/);
  });
});

describe('postern/client exports', () => {
  test('the three clients, the pool, the error type and MailBuilder/parseMessage', () => {
    for (const name of ['ImapClient', 'Pop3Client', 'SmtpClient', 'SmtpPool', 'MailClientError', 'MailBuilder', 'parseMessage', 'consoleProtocolLogger', 'FtpClient']) {
      assert.equal(typeof (client as Record<string, unknown>)[name], 'function', name);
    }
  });
});
