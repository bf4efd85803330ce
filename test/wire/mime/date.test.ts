import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMailDate, parseMailDate } from '../../../src/wire/mime/date.js';

const iso = (s: string): string | undefined => parseMailDate(s)?.toISOString();

describe('mail dates (RFC 5322 §3.3)', () => {
  test('RFC 5322 appendix examples', () => {
    assert.equal(iso('Fri, 21 Nov 1997 09:55:06 -0600'), '1997-11-21T15:55:06.000Z');
    assert.equal(iso('Tue, 1 Jul 2003 10:52:37 +0200'), '2003-07-01T08:52:37.000Z');
    assert.equal(iso('Thu, 13 Feb 1969 23:32:54 -0330'), '1969-02-14T03:02:54.000Z');
    assert.equal(iso('Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)'), '1969-02-14T03:02:00.000Z');
  });

  test('obsolete forms: two-digit years, zone names, no day name, no seconds', () => {
    assert.equal(iso('21 Nov 97 09:55:06 GMT'), '1997-11-21T09:55:06.000Z');
    assert.equal(iso('1 Jan 05 00:00 EST'), '2005-01-01T05:00:00.000Z');
    assert.equal(iso('Mon, 2 Jan 2006 15:04:05 PDT'), '2006-01-02T22:04:05.000Z');
    assert.equal(iso('2 Jan 2006 15:04:05'), '2006-01-02T15:04:05.000Z');
  });

  test('what is not a date is null', () => {
    assert.equal(parseMailDate('not a date'), null);
    assert.equal(parseMailDate(''), null);
    assert.equal(parseMailDate(null), null);
  });

  test('formatMailDate writes RFC 5322 date-time in UTC', () => {
    assert.equal(formatMailDate(new Date(Date.UTC(2019, 6, 2, 13, 38, 53))), 'Tue, 02 Jul 2019 13:38:53 +0000');
    const d = new Date(Date.UTC(2024, 1, 29, 1, 2, 3));
    assert.equal(parseMailDate(formatMailDate(d))?.getTime(), d.getTime());
  });
});
