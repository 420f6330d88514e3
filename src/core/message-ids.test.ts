/*
 * Message-IDs for threading, from literal header values: folded fields,
 * comments, duplicates, caps.
 *
 * Security: test only; covers the cap on references a sender can make us look up.
 * Standards: RFC 5322 sections 3.6.4 and 2.2.3.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_THREAD_REFS, messageIdsIn, threadRefsOf } from './message-ids.js';

describe('messageIdsIn', () => {
  const table: Array<[string | null, string[]]> = [
    [null, []],
    ['', []],
    ['<a@x>', ['<a@x>']],
    ['  <a@x> (comment) ', ['<a@x>']],
    ['<a@x> <b@y>\r\n\t<c@z>', ['<a@x>', '<b@y>', '<c@z>']],
    ['no brackets@x', []],
    ['<with space@x>', []],
  ];
  for (const [value, want] of table) it(JSON.stringify(value), () => assert.deepEqual(messageIdsIn(value), want));
  it(`keeps the last ${MAX_THREAD_REFS}`, () => {
    const ids = Array.from({ length: 80 }, (_, i) => `<r${i}@x>`);
    assert.deepEqual(messageIdsIn(ids.join(' ')), ids.slice(-MAX_THREAD_REFS));
  });
});

describe('threadRefsOf', () => {
  it('In-Reply-To then folded References, without duplicates', () => {
    const header = 'From: a@x\r\nIn-Reply-To: <p@x>\r\nReferences: <r@x>\r\n <p@x>\r\nSubject: re\r\n\r\n';
    assert.deepEqual(threadRefsOf(header), ['<p@x>', '<r@x>']);
  });
  it('field names are case-insensitive and other fields are not read', () => {
    assert.deepEqual(threadRefsOf('X-References: <no@x>\r\nreferences:<yes@x>\r\n'), ['<yes@x>']);
  });
  it('none', () => assert.deepEqual(threadRefsOf('Subject: hi\r\n\r\n'), []));
});
