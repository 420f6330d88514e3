/*
 * Tests of the header field splitter IMAP's HEADER.FIELDS reuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readHeaderFields } from './header-fields.js';

describe('readHeaderFields', () => {
  it('splits folded fields, keeps byte ranges that slice back to the raw field', () => {
    const block = Buffer.from('Subject: a\r\n long\r\n\tsubject\r\nX-Empty:\r\nTo : b@example.com\r\n\r\nBody: not a field\r\n');
    const fields = readHeaderFields(block);
    assert.deepEqual(
      fields.map((f) => [f.name, f.value, block.toString('latin1', f.start, f.end)]),
      [
        ['Subject', 'a long\tsubject', 'Subject: a\r\n long\r\n\tsubject\r\n'],
        ['X-Empty', '', 'X-Empty:\r\n'],
        ['To', 'b@example.com', 'To : b@example.com\r\n'],
      ],
    );
  });

  it('accepts bare LF, a block without its blank line and without a final line break', () => {
    const block = Buffer.from('A: 1\n B\nC: 2');
    assert.deepEqual(
      readHeaderFields(block).map((f) => [f.name, f.value, f.start, f.end]),
      [['A', '1 B', 0, 8], ['C', '2', 8, 12]],
    );
  });

  it('skips lines that are not fields, with their continuations', () => {
    const block = Buffer.from(' orphan continuation\r\nFrom someone@example.com Mon Jan  1 00:00:00 2024\r\n cont\r\nno colon here\r\n: empty name\r\nOK: yes\r\n');
    assert.deepEqual(readHeaderFields(block).map((f) => [f.name, f.value]), [['OK', 'yes']]);
  });

  it('decodes UTF-8 values (RFC 6532) and keeps other 8-bit bytes as Latin-1', () => {
    const block = Buffer.concat([Buffer.from('Subject: caf\u00e9\r\n', 'utf8'), Buffer.from('X-Latin: caf\u00e9\r\n', 'latin1')]);
    assert.deepEqual(readHeaderFields(block).map((f) => f.value), ['caf\u00e9', 'caf\u00e9']);
  });

  it('is linear on long whitespace runs', () => {
    const block = Buffer.from(`X: ${' '.repeat(500_000)}x${' '.repeat(500_000)}\r\n`);
    const started = performance.now();
    assert.equal(readHeaderFields(block)[0]?.value, 'x');
    assert.ok(performance.now() - started < 1000);
  });
});
