/*
 * RFC 5322 date parsing and RFC 5260 date parts with literal values, and
 * address extraction for the address test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateParts, parseMessageDate, parseZone } from './date.js';
import { addressPart, extractAddresses } from './address.js';

test('parseMessageDate: RFC 5322 forms, obsolete zones, invalid dates', () => {
  const iso = (v: string) => {
    const d = parseMessageDate(v);
    return d ? `${new Date(d.utc).toISOString()} ${d.zone}` : null;
  };
  assert.equal(iso('Tue, 1 Apr 1997 09:06:31 -0800 (PST)'), '1997-04-01T17:06:31.000Z -480');
  assert.equal(iso('1 Apr 97 09:06 EST'), '1997-04-01T14:06:00.000Z -300');
  assert.equal(iso('Sat, 07 Jul 2007 10:00:00 +0200'), '2007-07-07T08:00:00.000Z 120');
  assert.equal(iso('7 Jul 2007 10:00:00 GMT'), '2007-07-07T10:00:00.000Z 0');
  assert.equal(iso('7 Jul 2007 10:00:00 Q'), '2007-07-07T10:00:00.000Z 0'); // military zones mean -0000
  assert.equal(iso('7 Foo 2007 10:00:00 +0000'), null);
  assert.equal(iso('32 Jul 2007 10:00:00 +0000'), null);
  assert.equal(iso('7 Jul 2007 25:00:00 +0000'), null);
  assert.equal(iso('yesterday'), null);
});

test('dateParts (RFC 5260 4.2)', () => {
  const d = parseMessageDate('Tue, 1 Apr 1997 09:06:31 -0800')!;
  const parts = (zone: number) =>
    ['year', 'month', 'day', 'date', 'julian', 'hour', 'minute', 'second', 'time', 'iso8601', 'std11', 'zone', 'weekday'].map((p) => dateParts(d.utc, zone, p));
  assert.deepEqual(parts(d.zone), ['1997', '04', '01', '1997-04-01', '50539', '09', '06', '31', '09:06:31', '1997-04-01T09:06:31-08:00', 'Tue, 01 Apr 1997 09:06:31 -0800', '-0800', '2']);
  assert.deepEqual(parts(120).slice(0, 10), ['1997', '04', '01', '1997-04-01', '50539', '19', '06', '31', '19:06:31', '1997-04-01T19:06:31+02:00']);
  assert.equal(dateParts(d.utc, 0, 'century'), null);
  assert.equal(parseZone('+0530'), 330);
  assert.equal(parseZone('-0000'), -0);
  assert.equal(parseZone('+0560'), null);
  assert.equal(parseZone('CET'), null);
});

test('extractAddresses and address parts', () => {
  assert.deepEqual(extractAddresses('"Doe, John" <john@example.com>, jane@ex.org (Jane)'), ['john@example.com', 'jane@ex.org']);
  assert.deepEqual(extractAddresses('undisclosed-recipients:;'), []);
  assert.deepEqual(extractAddresses('Team: a@b.example, "x y" <d@e.example>;, g@h.example'), ['a@b.example', 'd@e.example', 'g@h.example']);
  assert.deepEqual(extractAddresses('<@relay.example:x@y.example>'), ['x@y.example']);
  assert.deepEqual(extractAddresses('"quoted local"@x.example'), ['"quoted local"@x.example']);
  assert.deepEqual(extractAddresses('Just A Name'), []);
  assert.deepEqual(extractAddresses('postmaster'), ['postmaster']);
  const a = 'ken+sieve+x@example.org';
  assert.deepEqual(['all', 'localpart', 'domain', 'user', 'detail'].map((p) => addressPart(a, p)), [a, 'ken+sieve+x', 'example.org', 'ken', 'sieve+x']);
  assert.equal(addressPart('ken@example.org', 'detail'), null);
  assert.equal(addressPart('', 'all'), '');
});
