import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/load.js';
import { parseDuration, formatExchangeDuration } from '../../src/config/duration.js';

function withYaml(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'postern-cfg-'));
  writeFileSync(join(dir, 'postern.yaml'), yaml);
  return dir;
}

test('defaults are Exchange\'s: standard ports, SecureLogin, 1 min pre-auth and 30 min authenticated timeouts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-cfg-'));
  const { config } = loadConfig({ data: dir });
  assert.deepEqual(config.pop3.unencryptedOrTLSBindings, ['[::]:110', '0.0.0.0:110']);
  assert.deepEqual(config.pop3.sslBindings, ['[::]:995', '0.0.0.0:995']);
  assert.deepEqual(config.imap.sslBindings, ['[::]:993', '0.0.0.0:993']);
  assert.deepEqual(config.submission.unencryptedOrTLSBindings, ['[::]:587', '0.0.0.0:587']);
  assert.equal(config.pop3.loginType, 'SecureLogin');
  assert.equal(config.pop3.preAuthenticatedConnectionTimeout, 60_000);
  assert.equal(config.pop3.authenticatedConnectionTimeout, 30 * 60_000);
  assert.equal(config.pop3.banner, 'The postern POP3 service is ready.');
  assert.equal(config.tls.minVersion, 'TLSv1.2');
  assert.deepEqual(config.trustedNetworks, [], 'no trusted network, not even loopback');
});

test('a wrong LoginType is refused naming the key path and the allowed values', () => {
  const dir = withYaml('pop3:\n  loginType: Secure\n');
  assert.throws(() => loadConfig({ data: dir }), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /pop3\.loginType/);
    assert.match(e.message, /SecureLogin \| PlainTextAuthentication \| PlainTextLogin/);
    return true;
  });
});

test('an unknown key is refused with its path', () => {
  const dir = withYaml('pop3:\n  loginTpye: SecureLogin\n');
  assert.throws(() => loadConfig({ data: dir }), /pop3\.loginTpye/);
});

test('a bad duration and a bad binding are refused with their paths', () => {
  assert.throws(() => loadConfig({ data: withYaml('imap:\n  preAuthenticatedConnectionTimeout: soon\n') }), /imap\.preAuthenticatedConnectionTimeout.*90s/);
  assert.throws(() => loadConfig({ data: withYaml('pop3:\n  sslBindings: ["995"]\n') }), /pop3\.sslBindings\.0.*ADDRESS:PORT/);
});

test('tls.cert without tls.key is refused', () => {
  assert.throws(() => loadConfig({ data: withYaml('tls:\n  cert: a.pem\n') }), /tls\.cert and tls\.key go together/);
});

test('invalid YAML is reported as such', () => {
  assert.throws(() => loadConfig({ data: withYaml('pop3: [\n') }), /not valid YAML/);
});

test('--config FILE takes the data directory from data:, relative to the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-cfg-'));
  writeFileSync(join(dir, 'my.yaml'), 'data: state\nhostname: mail.example.test\n');
  const loaded = loadConfig({ config: join(dir, 'my.yaml') });
  assert.equal(loaded.dataDir, join(dir, 'state'));
  assert.equal(loaded.hostname, 'mail.example.test');
});

test('durations: 90s, 1m, 30m, 2h and Exchange\'s 00:30:00 and 1.00:00:00', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('00:30:00'), 1_800_000);
  assert.equal(parseDuration('1.00:00:00'), 86_400_000);
  assert.equal(parseDuration('00:61:00'), null);
  assert.equal(parseDuration('soon'), null);
  assert.equal(formatExchangeDuration(1_800_000), '00:30:00');
  assert.equal(formatExchangeDuration(60_000), '00:01:00');
});
