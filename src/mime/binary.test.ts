/*
 * BINARY[section]: decoded bodies, and their length always the index's
 * BINARY.SIZE (RFC 3516), including malformed encodings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryBytes, decodeTransfer } from './binary.js';
import { FIXTURES, crlf } from './imap-fixtures.test.js';
import { findPart, indexMessage } from './index.js';
import { transferDecodedSize } from './transfer-size.js';

function binary(name: string, part: number[]): Buffer | null | undefined {
  const message = Buffer.from(FIXTURES[name] as string, 'latin1');
  return binaryBytes(message, indexMessage(message), part);
}

describe('BINARY[section]', () => {
  it('base64 part, lines joined', () => {
    assert.equal(binary('attachment', [2])?.toString('latin1'), '%PDF-1.4\nhello');
  });
  it('quoted-printable: escapes, soft breaks, whitespace before a soft break kept', () => {
    assert.equal(binary('alternative', [1])?.toString('utf8'), 'Café at  noon = fine');
  });
  it('quoted-printable: trailing whitespace dropped, a final soft break removed', () => {
    assert.equal(binary('rawWords', [1])?.toString('latin1'), 'Andr\u00e9\r\n  est   l\u00e0.');
  });
  it('identity encodings are the body itself; BINARY[] is the whole message', () => {
    assert.equal(binary('rfc822', [1])?.toString(), 'Forwarded below.');
    assert.equal(binary('rfc822', [])?.toString('latin1'), FIXTURES.rfc822);
  });
  it('a missing part is undefined, an unknown encoding is null (UNKNOWN-CTE)', () => {
    assert.equal(binary('rfc822', [9]), undefined);
    const message = Buffer.from(crlf('Content-Transfer-Encoding: x-uuencode', '', 'begin 644 x', ''));
    assert.equal(binaryBytes(message, indexMessage(message), [1]), null);
  });
  it('a base64 message/rfc822 is decoded like any leaf; a base64 multipart container is UNKNOWN-CTE', () => {
    assert.equal(binary('encodedRfc822', [1])?.toString(), 'Subject: x\r\n\r\ny\r\n');
    const message = Buffer.from(crlf('Content-Type: multipart/mixed; boundary=b', 'Content-Transfer-Encoding: base64', '', '--b', '', 'x', '--b--'));
    assert.equal(binaryBytes(message, indexMessage(message), []), message);
    assert.equal(binaryBytes(message, indexMessage(message), [1])?.toString(), 'x');
    const outer = Buffer.from(crlf('Content-Type: multipart/mixed; boundary=o', '', '--o', 'Content-Type: multipart/mixed; boundary=b', 'Content-Transfer-Encoding: base64', '', '--b', '', 'x', '--b--', '--o--'));
    assert.equal(binaryBytes(outer, indexMessage(outer), [1]), null);
  });
});

describe('decoded length equals transferDecodedSize (BINARY.SIZE)', () => {
  const cases: [string, string][] = [
    ['base64', 'QUJD\r\nREVG\r\n'],
    ['base64', 'QU JD*!R\r\nA==junk'],
    ['base64', 'Q'],
    ['base64', 'QUI'],
    ['base64', '===='],
    ['quoted-printable', 'a=\r\nb=41=4g=\r\n'],
    ['quoted-printable', 'a \t \r\nb \t'],
    ['quoted-printable', 'x= \t\r\ny=  \nz= '],
    ['quoted-printable', '=\r'],
    ['quoted-printable', 'a\rb\n=0D=0a =='],
    ['quoted-printable', 'tail=4'],
    ['7bit', 'anything\r\n'],
  ];
  for (const [encoding, body] of cases) {
    it(`${encoding} ${JSON.stringify(body)}`, () => {
      const buf = Buffer.from(body, 'latin1');
      assert.equal(decodeTransfer(buf, 0, buf.length, encoding)?.length, transferDecodedSize(buf, 0, buf.length, encoding));
    });
  }
  it('random bodies, both encodings', () => {
    let x = 12345;
    const next = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 0x1_0000_0000;
    };
    const alphabet = 'AB=  \t\r\n09af+/=3D=0=\r\nxyz';
    for (let n = 0; n < 3000; n++) {
      let body = '';
      const len = Math.floor(next() * 40);
      for (let i = 0; i < len; i++) body += next() < 0.8 ? (alphabet[Math.floor(next() * alphabet.length)] as string) : String.fromCharCode(Math.floor(next() * 256));
      const buf = Buffer.from(body, 'latin1');
      for (const encoding of ['base64', 'quoted-printable']) {
        assert.equal(decodeTransfer(buf, 0, buf.length, encoding)?.length, transferDecodedSize(buf, 0, buf.length, encoding), `${encoding} ${JSON.stringify(body)}`);
      }
    }
  });
  it('base64 decodes what Buffer encodes', () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff));
    const text = Buffer.from(data.toString('base64').replace(/.{76}/g, '$&\r\n'));
    assert.deepEqual(decodeTransfer(text, 0, text.length, 'base64'), data);
  });
  it('every leaf of the fixtures: length equals the stored binarySize', () => {
    for (const text of Object.values(FIXTURES)) {
      const message = Buffer.from(text, 'latin1');
      const index = indexMessage(message);
      const part = findPart(index.root, [1]);
      if (part === undefined) continue;
      assert.equal(binaryBytes(message, index, [1])?.length ?? null, part.binarySize);
    }
  });
});
