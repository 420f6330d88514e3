/*
 * Table-driven tests of the RFC 5322 address-list parser behind ENVELOPE.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAddressList } from './address-list.js';
import type { EnvelopeAddress } from './types.js';

const a = (name: string | null, mailbox: string | null, host: string | null, adl: string | null = null): EnvelopeAddress => ({ name, adl, mailbox, host });
const END = a(null, null, null);

const cases: [string, EnvelopeAddress[] | null][] = [
  ['john@example.com', [a(null, 'john', 'example.com')]],
  ['John Doe <john@example.com>', [a('John Doe', 'john', 'example.com')]],
  ['"Doe, John" <john@example.com>, jane@example.org', [a('Doe, John', 'john', 'example.com'), a(null, 'jane', 'example.org')]],
  ['"Quote \\"me\\" \\\\ now" <q@example.com>', [a('Quote "me" \\ now', 'q', 'example.com')]],
  ['John   (middle)  Q.  Public <jqp@example.com>', [a('John Q. Public', 'jqp', 'example.com')]],
  ['jqp@example.com (John Q. Public)', [a(null, 'jqp', 'example.com')]],
  ['Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>', [a('Pete', 'pete', 'silly.test')]],
  ['john . doe @ example . com', [a(null, 'john.doe', 'example.com')]],
  ['"john doe"@example.com', [a(null, '"john doe"', 'example.com')]],
  ['<@route1.example,@route2.example:user@example.com>', [a(null, 'user', 'example.com', '@route1.example,@route2.example')]],
  ['Name <@r.example:user@example.com>', [a('Name', 'user', 'example.com', '@r.example')]],
  ['A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;', [a(null, 'A Group', null), a('Ed Jones', 'c', 'a.test'), a(null, 'joe', 'where.test'), a('John', 'jdoe', 'one.test'), END]],
  ['undisclosed-recipients:;', [a(null, 'undisclosed-recipients', null), END]],
  ['Team: alice@x.test', [a(null, 'Team', null), a(null, 'alice', 'x.test'), END]],
  ['Group: ; after@x.test', [a(null, 'Group', null), END, a(null, 'after', 'x.test')]],
  ['postmaster', [a(null, 'postmaster', 'MISSING_DOMAIN')]],
  ['Name <>', [a('Name', 'MISSING_MAILBOX', 'MISSING_DOMAIN')]],
  ['<user@[192.0.2.1]>', [a(null, 'user', '[192.0.2.1]')]],
  ['a@x.test,, ,b@y.test', [a(null, 'a', 'x.test'), a(null, 'b', 'y.test')]],
  ['=?UTF-8?Q?J=C3=B6rg?= <jorg@example.de>', [a('=?UTF-8?Q?J=C3=B6rg?=', 'jorg', 'example.de')]],
  ['Jörg <jörg@exämple.de>', [a('Jörg', 'jörg', 'exämple.de')]],
  ['Broken <no-close@example.com', [a('Broken', 'no-close', 'example.com')]],
  ['"unterminated <x@y.test>', [a(null, '"unterminated <x@y.test>"', 'MISSING_DOMAIN')]],
  ['', null],
  ['   (just a comment)  ', null],
  [',,,', null],
];

describe('parseAddressList', () => {
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => {
      assert.deepEqual(parseAddressList(input), expected);
    });
  }

  it('is linear on hostile input', () => {
    const hostile = '<@'.repeat(50_000) + '('.repeat(50_000) + '"'.repeat(10_001) + ':'.repeat(50_000);
    const started = performance.now();
    parseAddressList(hostile);
    assert.ok(performance.now() - started < 1000);
  });
});
