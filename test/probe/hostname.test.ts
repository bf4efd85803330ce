import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { matchServerName, parseSubjectAltName } from '../../src/probe/hostname.js';

const dns = (...dnsNames: string[]) => ({ dnsNames, ipAddresses: [] as string[] });

describe('certificate name matching (RFC 6125, RFC 7817)', () => {
  test('an exact DNS-ID matches, case-insensitively and ignoring a trailing dot (RFC 6125 §6.4.1)', () => {
    assert.deepEqual(matchServerName('Mail.Example.COM.', dns('mail.example.com')), { matched: true, by: 'dns', presented: 'mail.example.com' });
  });

  test('"*.example.com" matches one whole left-most label only (RFC 6125 §6.4.3, RFC 7817 §3)', () => {
    assert.equal(matchServerName('imap.example.com', dns('*.example.com')).matched, true);
    assert.equal(matchServerName('a.b.example.com', dns('*.example.com')).matched, false);
    assert.equal(matchServerName('example.com', dns('*.example.com')).matched, false);
    assert.equal(matchServerName('imap.example.com', dns('im*.example.com')).matched, false, 'no partial-label wildcards');
    assert.equal(matchServerName('example.com', dns('*.com')).matched, false, 'too broad to honour');
  });

  test('the subject CN is used only when the certificate has no DNS-ID (RFC 6125 §6.4.4)', () => {
    assert.deepEqual(matchServerName('mail.example.com', { dnsNames: [], ipAddresses: [], commonName: 'mail.example.com' }), { matched: true, by: 'common-name', presented: 'mail.example.com' });
    const r = matchServerName('mail.example.com', { dnsNames: ['other.example.com'], ipAddresses: [], commonName: 'mail.example.com' });
    assert.equal(r.matched, false);
    assert.match(r.matched ? '' : r.reason, /names other\.example\.com, not mail\.example\.com/);
  });

  test('an IP address matches only an iPAddress entry, IPv6 compared in canonical form', () => {
    assert.equal(matchServerName('127.0.0.1', { dnsNames: ['127.0.0.1'], ipAddresses: [] }).matched, false);
    assert.equal(matchServerName('127.0.0.1', { dnsNames: [], ipAddresses: ['127.0.0.1'] }).matched, true);
    assert.equal(matchServerName('::1', { dnsNames: [], ipAddresses: ['0:0:0:0:0:0:0:1'] }).matched, true);
    assert.equal(matchServerName('2001:db8::1', { dnsNames: [], ipAddresses: ['2001:DB8:0:0:0:0:0:1'] }).matched, true);
  });

  test("node's subjectAltName string is split into DNS names and IP addresses", () => {
    assert.deepEqual(parseSubjectAltName('DNS:mail.example.test, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'), {
      dnsNames: ['mail.example.test', 'localhost'],
      ipAddresses: ['127.0.0.1', '0:0:0:0:0:0:0:1'],
    });
  });
});
