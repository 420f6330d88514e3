/*
 * The benchmarks' IMAP response reader (bench/lib/imap-wire.ts): literal
 * wire strings split at every byte boundary must give the same complete
 * responses, with literal bytes kept apart from the response text; and the
 * helpers that read EXISTS, EXPUNGE and SEARCH from untagged responses.
 *
 * Security: test only.
 * Standards: RFC 9051 section 4.3 (literals), 7.3.1 (EXISTS), 7.5.1
 * (EXPUNGE), RFC 3501 7.2.5 (SEARCH).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existsCount, expungeCount, ResponseReader, searchResults, type WireResponse } from '../../bench/lib/imap-wire.js';

const cases: { name: string; wire: string; responses: { text: string; literals: string[] }[] }[] = [
  { name: 'plain lines', wire: '* OK ready\r\na1 OK done\r\n', responses: [{ text: '* OK ready', literals: [] }, { text: 'a1 OK done', literals: [] }] },
  {
    name: 'a literal holding CRLF and a tag-like line',
    wire: '* 1 FETCH (BODY[] {20}\r\na1 OK fake\r\nbody\r\n\r\n)\r\na1 OK FETCH completed\r\n',
    responses: [
      { text: '* 1 FETCH (BODY[] {20})', literals: ['a1 OK fake\r\nbody\r\n\r\n'] },
      { text: 'a1 OK FETCH completed', literals: [] },
    ],
  },
  {
    name: 'two literals in one response, one empty',
    wire: '* 2 FETCH (BODY[HEADER] {5}\r\nAB\r\nC BODY[TEXT] {0}\r\n)\r\n',
    responses: [{ text: '* 2 FETCH (BODY[HEADER] {5} BODY[TEXT] {0})', literals: ['AB\r\nC', ''] }],
  },
  { name: 'a binary literal', wire: '* 3 FETCH (BINARY[1] ~{3}\r\n\x00\x01\x02)\r\n', responses: [{ text: '* 3 FETCH (BINARY[1] ~{3})', literals: ['\x00\x01\x02'] }] },
  { name: 'a {n} that does not end the line is text', wire: '* OK [ALERT] see {3} here\r\n', responses: [{ text: '* OK [ALERT] see {3} here', literals: [] }] },
];

function readAll(chunks: Buffer[]): WireResponse[] {
  const reader = new ResponseReader();
  return chunks.flatMap((c) => reader.push(c));
}

const plain = (rs: WireResponse[]) => rs.map((r) => ({ text: r.text, literals: r.literals.map((l) => l.toString('latin1')) }));

describe('bench ResponseReader', () => {
  for (const c of cases) {
    it(`${c.name}: whole, byte by byte, and split at every point`, () => {
      const wire = Buffer.from(c.wire, 'latin1');
      assert.deepEqual(plain(readAll([wire])), c.responses);
      assert.deepEqual(plain(readAll([...wire].map((b) => Buffer.from([b])))), c.responses);
      for (let i = 1; i < wire.length; i++) assert.deepEqual(plain(readAll([wire.subarray(0, i), wire.subarray(i)])), c.responses, `split at ${i}`);
    });
  }

  it('keeps an incomplete response until the rest arrives', () => {
    const reader = new ResponseReader();
    assert.deepEqual(reader.push(Buffer.from('* 1 FETCH (BODY[] {4}\r\nab')), []);
    assert.deepEqual(plain(reader.push(Buffer.from('cd)\r\n'))), [{ text: '* 1 FETCH (BODY[] {4})', literals: ['abcd'] }]);
  });
});

describe('bench untagged helpers', () => {
  const r = (text: string): WireResponse => ({ text, literals: [] });
  it('existsCount takes the last EXISTS, undefined without one', () => {
    assert.equal(existsCount([r('* 3 EXISTS'), r('* 0 RECENT'), r('* 4 EXISTS')]), 4);
    assert.equal(existsCount([r('* OK [UIDNEXT 5] x')]), undefined);
  });
  it('expungeCount counts EXPUNGE responses only', () => {
    assert.equal(expungeCount([r('* 3 EXPUNGE'), r('* 3 EXPUNGE'), r('* 2 EXISTS'), r('* 1 FETCH (FLAGS ())')]), 2);
  });
  it('searchResults reads the numbers of * SEARCH, empty for none', () => {
    assert.deepEqual(searchResults([r('* SEARCH 2 84 882')]), [2, 84, 882]);
    assert.deepEqual(searchResults([r('* SEARCH')]), []);
    assert.deepEqual(searchResults([r('* OK x')]), []);
  });
});
