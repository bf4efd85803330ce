import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenAddresses, parseAddressList, type Address } from '../../../src/wire/mime/address.js';

const simple = (list: Address[]): unknown =>
  list.map((a) => (a.kind === 'group' ? { group: a.name, members: a.members.map((m) => [m.name, m.address]) } : [a.name, a.address]));

describe('address lists (RFC 5322 §3.4)', () => {
  test('RFC 5322 A.1.1: a display name and an addr-spec in angle brackets', () => {
    assert.deepEqual(simple(parseAddressList('John Doe <jdoe@machine.example>')), [['John Doe', 'jdoe@machine.example']]);
  });

  test('RFC 5322 A.1.2: quoted display names, lists, a name with a "?"', () => {
    assert.deepEqual(simple(parseAddressList('"Joe Q. Public" <john.q.public@example.com>')), [['Joe Q. Public', 'john.q.public@example.com']]);
    assert.deepEqual(simple(parseAddressList('Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>')), [
      ['Mary Smith', 'mary@x.test'],
      ['', 'jdoe@example.org'],
      ['Who?', 'one@y.test'],
    ]);
    assert.deepEqual(simple(parseAddressList('<boss@nil.test>, "Giant; \\"Big\\" Box" <sysservices@example.net>')), [
      ['', 'boss@nil.test'],
      ['Giant; "Big" Box', 'sysservices@example.net'],
    ]);
  });

  test('RFC 5322 A.1.3: groups, including an empty one', () => {
    assert.deepEqual(simple(parseAddressList('A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;')), [
      { group: 'A Group', members: [['Ed Jones', 'c@a.test'], ['', 'joe@where.test'], ['John', 'jdoe@one.test']] },
    ]);
    assert.deepEqual(simple(parseAddressList('Undisclosed recipients:;')), [{ group: 'Undisclosed recipients', members: [] }]);
  });

  test('a group followed by more addresses', () => {
    assert.deepEqual(simple(parseAddressList('team: a@x.test, b@x.test;, c@y.test')), [
      { group: 'team', members: [['', 'a@x.test'], ['', 'b@x.test']] },
      ['', 'c@y.test'],
    ]);
  });

  test('RFC 5322 A.5: comments everywhere are dropped', () => {
    assert.deepEqual(simple(parseAddressList('Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>')), [['Pete', 'pete@silly.test']]);
  });

  test('RFC 5322 A.6.2 obsolete: a comment as the name, a route, dotted words', () => {
    assert.deepEqual(simple(parseAddressList('jdoe@machine.example (John Doe)')), [['John Doe', 'jdoe@machine.example']]);
    const [a] = parseAddressList('<@machine.tld,@other.tld:john.doe@machine.tld>');
    assert.ok(a && a.kind === 'mailbox');
    assert.equal(a.address, 'john.doe@machine.tld');
    assert.equal(a.raw.route, '@machine.tld,@other.tld');
    assert.deepEqual(simple(parseAddressList('Joe Q. Public <john.q.public@example.com>')), [['Joe Q. Public', 'john.q.public@example.com']]);
  });

  test('encoded display names are decoded; the raw form keeps them', () => {
    const [a] = parseAddressList('=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>');
    assert.ok(a && a.kind === 'mailbox');
    assert.equal(a.name, 'Keld Jørn Simonsen');
    assert.equal(a.raw.name, '=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=');
  });

  test('quoted local parts and domain literals are kept as written', () => {
    assert.deepEqual(simple(parseAddressList('"Doe, John" <"john doe"@example.com>, user@[192.0.2.1]')), [
      ['Doe, John', '"john doe"@example.com'],
      ['', 'user@[192.0.2.1]'],
    ]);
  });

  test('broken forms: no angle brackets, unclosed bracket, no domain, 8-bit names, empty items', () => {
    assert.deepEqual(simple(parseAddressList('John Doe jdoe@machine.example')), [['John Doe', 'jdoe@machine.example']]);
    assert.deepEqual(simple(parseAddressList('Joe <joe@x.test')), [['Joe', 'joe@x.test']]);
    assert.deepEqual(simple(parseAddressList('undisclosed-recipients')), [['', 'undisclosed-recipients']]);
    assert.deepEqual(simple(parseAddressList('Müller <m@x.de>')), [['Müller', 'm@x.de']]);
    assert.deepEqual(simple(parseAddressList(', ,a@b.test,,')), [['', 'a@b.test']]);
    assert.deepEqual(parseAddressList(''), []);
  });

  test('flattenAddresses lists group members in place', () => {
    assert.deepEqual(
      flattenAddresses(parseAddressList('a@x.test, g: b@x.test, c@x.test;, d@x.test')).map((m) => m.address),
      ['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test'],
    );
  });
});
