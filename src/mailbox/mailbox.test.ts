/*
 * Unit tests of the mailbox layer's pure parts: name checks (path escape
 * attempts), LIST pattern matching and the LIST attribute computation.
 *
 * Security: test only.
 * Standards: RFC 9051 sections 5.1 and 6.3.9, RFC 5258.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MailboxRecord } from '../store/types.js';
import { checkMailboxName, compilePattern, listMailboxes } from './index.js';

describe('mailbox names cannot escape the account', () => {
  const refused = ['', '..', '../x', 'a/../b', 'a/..', '.', 'a/./b', '/a', 'a/', 'a//b', 'a\u0000b', 'a\nb', 'a\rb', 'a\u007fb', 'a*', 'b%', '\ud800x', 'x'.repeat(2000)];
  for (const name of refused) {
    it(`refuses ${JSON.stringify(name.slice(0, 20))}`, () => assert.equal(checkMailboxName(name).ok, false));
  }
  it('accepts normal names and normalises INBOX', () => {
    assert.deepEqual(checkMailboxName('Work/2026'), { ok: true, name: 'Work/2026' });
    assert.deepEqual(checkMailboxName('inbox'), { ok: true, name: 'INBOX' });
    assert.deepEqual(checkMailboxName('Inbox/sub'), { ok: true, name: 'INBOX/sub' });
    assert.deepEqual(checkMailboxName('a..b'), { ok: true, name: 'a..b' });
    assert.deepEqual(checkMailboxName('Entwürfe'), { ok: true, name: 'Entwürfe' });
  });
});

describe('LIST patterns', () => {
  const table: [string, string, boolean][] = [
    ['*', 'a/b/c', true],
    ['%', 'a', true],
    ['%', 'a/b', false],
    ['a/%', 'a/b', true],
    ['a/%', 'a/b/c', false],
    ['a/*', 'a/b/c', true],
    ['inbox', 'INBOX', true],
    ['*b', 'a/b', true],
    ['x%y', 'xay', true],
    ['x%y', 'x/y', false],
  ];
  for (const [p, n, want] of table) it(`${p} ~ ${n} = ${want}`, () => assert.equal(compilePattern(p)(n), want));
  it('many stars stay fast', () => {
    const t = Date.now();
    assert.equal(compilePattern('*a'.repeat(200) + 'b')('a'.repeat(1000)), false);
    assert.ok(Date.now() - t < 2000);
  });
});

describe('LIST attributes', () => {
  const rec = (id: number, name: string, specialUse: string | null = null): MailboxRecord => ({
    id, accountId: 1, name, specialUse, uidValidity: 1, uidNext: 1, highestModseq: 1, messageCount: 0, totalSize: 0, subscribed: false, objectId: `F1-${id}`, recentUid: 1,
  });
  const records = [rec(1, 'INBOX'), rec(2, 'Sent', '\\Sent'), rec(3, 'a'), rec(4, 'a/b'), rec(5, 'x/y')];
  const q = { reference: '', patterns: ['*'], subscribedOnly: false, specialUseOnly: false, recursiveMatch: false };
  it('children, special use and order', () => {
    const l = listMailboxes(records, [], q);
    assert.deepEqual(l.map((e) => e.name), ['INBOX', 'Sent', 'a', 'a/b', 'x/y']);
    assert.equal(l.find((e) => e.name === 'a')!.hasChildren, true);
    assert.equal(l.find((e) => e.name === 'Sent')!.specialUse, '\\Sent');
  });
  it('subscribed-only names that do not exist', () => {
    const l = listMailboxes(records, ['gone', 'Sent'], { ...q, subscribedOnly: true });
    assert.deepEqual(l.map((e) => [e.name, e.exists]), [['Sent', true], ['gone', false]]);
  });
  it('RECURSIVEMATCH reports a parent with subscribed children', () => {
    const l = listMailboxes(records, ['x/y'], { ...q, patterns: ['%'], subscribedOnly: true, recursiveMatch: true });
    assert.deepEqual(l.map((e) => [e.name, e.childSubscribed]), [['x', true]]);
  });
  it('special-use selection', () => {
    assert.deepEqual(listMailboxes(records, [], { ...q, specialUseOnly: true }).map((e) => e.name), ['Sent']);
  });
});
