import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLoginName } from '../../src/auth/login-name.js';

// Seed 003's table: count of "\" (or "/") and "@" decide the form.
const VALID: Array<[string, ReturnType<typeof parseLoginName>]> = [
  ['alice', { form: 'sam', sam: 'alice' }],
  ['EXAMPLE\\alice', { form: 'domain-sam', domain: 'EXAMPLE', sam: 'alice' }],
  ['example/Alice', { form: 'domain-sam', domain: 'EXAMPLE', sam: 'alice' }],
  ['EXAMPLE\\alice\\sales', { form: 'domain-sam-alias', domain: 'EXAMPLE', sam: 'alice', alias: 'sales' }],
  ['EXAMPLE/alice/sales', { form: 'domain-sam-alias', domain: 'EXAMPLE', sam: 'alice', alias: 'sales' }],
  ['alice@example.test', { form: 'upn', upn: 'alice@example.test' }],
  ['Alice@Example.TEST\\sales', { form: 'upn-alias', upn: 'alice@example.test', alias: 'sales' }],
  ['alice@example.test/sales', { form: 'upn-alias', upn: 'alice@example.test', alias: 'sales' }],
  ['EXAMPLE\\alice@example.test', { form: 'domain-upn', domain: 'EXAMPLE', upn: 'alice@example.test' }],
];

for (const [input, expected] of VALID) {
  test(`login name "${input}" is read as ${expected.form}`, () => {
    assert.deepEqual(parseLoginName(input), expected);
  });
}

const INVALID: Array<[string, string]> = [
  ['EXAMPLE\\alice@example.test\\sales', 'two separators and an @ (Domain\\UPN\\Alias does not work in Exchange)'],
  ['EXAMPLE\\alice\\bob@example.test', 'two separators and an @'],
  ['a@b@example.test\\sales', 'one separator and two @'],
  ['EXAMPLE\\a@b@c', 'one separator and two @'],
  ['a@b@c', 'two @ without separator'],
  ['a\\b\\c\\d', 'three separators'],
  ['EXAMPLE\\', 'empty user part'],
  ['\\alice', 'empty domain part'],
  ['', 'empty'],
  ['@example.test', 'UPN without a name'],
  ['alice\0', 'NUL byte'],
];

for (const [input, why] of INVALID) {
  test(`login name ${JSON.stringify(input)} is refused: ${why}`, () => {
    assert.equal(parseLoginName(input).form, 'invalid');
  });
}
