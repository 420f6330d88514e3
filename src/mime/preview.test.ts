/*
 * PREVIEW (RFC 8970): which part is read, decoding, markup removal, limits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIXTURES, crlf } from './imap-fixtures.test.js';
import { indexMessage } from './index.js';
import { PREVIEW_MAX_CHARS, preview } from './preview.js';

function previewOf(message: string | Buffer): string {
  const buf = Buffer.isBuffer(message) ? message : Buffer.from(message, 'latin1');
  return preview(buf, indexMessage(buf));
}

describe('PREVIEW', () => {
  it('a plain message, whitespace collapsed', () => {
    assert.equal(previewOf(FIXTURES.simple as string), 'Hello Bob, how are you?');
  });
  it('the text/plain alternative, quoted-printable and UTF-8 decoded', () => {
    assert.equal(previewOf(FIXTURES.alternative as string), 'Café at noon = fine');
  });
  it('the first text/plain in nested multiparts', () => {
    assert.equal(previewOf(FIXTURES.nested as string), 'plain text');
  });
  it('ISO-8859-1 through the charset decoder', () => {
    assert.equal(previewOf(FIXTURES.rawWords as string), 'André est là.');
  });
  it('HTML only: head, script, style, comments and tags removed, entities decoded', () => {
    const html = crlf(
      'Content-Type: text/html; charset=utf-8',
      '',
      '<html><head><title>T</title><style>p{}</style></head><body><!-- hidden --><SCRIPT>x()</SCRIPT>',
      '<p>Fish&nbsp;&amp;&#32;chips&#x21;</p><p>next &bogus; &lt;b&gt;</p></body></html>',
    );
    assert.equal(previewOf(html), 'Fish & chips! next &bogus; <b>');
  });
  it('attachments and attached messages are not previewed', () => {
    const message = crlf('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', 'Content-Disposition: attachment', '', 'secret', '--b', 'Content-Type: message/rfc822', '', 'Subject: s', '', 'inner', '--b--');
    assert.equal(previewOf(message), '');
    assert.equal(previewOf(FIXTURES.emptyMultipart as string), '');
  });
  it('at most 200 characters, counted in code points', () => {
    const long = crlf('Content-Type: text/plain; charset=utf-8', '', '\u00e9\u{1F600} '.repeat(300));
    const result = previewOf(Buffer.from(long, 'utf8'));
    assert.equal([...result].length, PREVIEW_MAX_CHARS);
    assert.ok(!result.endsWith(' '));
  });
  it('base64 text parts are decoded; an unknown encoding gives no preview', () => {
    assert.equal(previewOf(crlf('Content-Transfer-Encoding: base64', '', Buffer.from('hi  there').toString('base64'))), 'hi there');
    assert.equal(previewOf(crlf('Content-Transfer-Encoding: x-custom', '', 'hidden')), '');
  });
});
