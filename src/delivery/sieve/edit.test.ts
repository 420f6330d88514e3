import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyHeaderEdits } from './edit.js';

const msg = 'Received: a\r\nX-Tag: one\r\n two\r\nSubject: hi\r\nX-Tag: three\r\n\r\nbody\r\nX-Tag: not a header\r\n';

describe('applyHeaderEdits (RFC 5293 on the delivered copy)', () => {
  it('adds at the top or, with :last, at the end of the header', () => {
    const out = applyHeaderEdits(Buffer.from(msg), [
      { op: 'add', name: 'X-First', value: 'f', last: false },
      { op: 'add', name: 'X-Last', value: 'l', last: true },
    ]).toString();
    assert.ok(out.startsWith('X-First: f\r\nReceived: a\r\n'));
    assert.ok(out.includes('X-Tag: three\r\nX-Last: l\r\n\r\nbody'));
  });

  it('deletes the n-th occurrence as counted after the earlier edits, continuation lines included, never a body line', () => {
    const out = applyHeaderEdits(Buffer.from(msg), [{ op: 'delete', name: 'x-tag', index: 1 }, { op: 'delete', name: 'X-Tag', index: 1 }]).toString();
    assert.equal(out, 'Received: a\r\nSubject: hi\r\n\r\nbody\r\nX-Tag: not a header\r\n');
  });

  it('encodes a non-ASCII value (RFC 2047) so the header stays 7-bit and one field', () => {
    const out = applyHeaderEdits(Buffer.from(msg), [{ op: 'add', name: 'X-Note', value: 'café', last: false }]).toString('latin1');
    assert.match(out, /^X-Note: =\?UTF-8\?Q\?caf=C3=A9\?=\r\nReceived/);
  });
});
