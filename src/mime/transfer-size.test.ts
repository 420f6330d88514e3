/*
 * Tests of BINARY.SIZE counting for each transfer encoding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexMessage } from './index.js';
import { transferDecodedSize } from './transfer-size.js';

const cases: [string, string | null, number | null][] = [
  ['hello\r\nworld', null, 12],
  ['hello\r\nworld', '8bit', 12],
  ['hello', 'binary', 5],
  ['aGVsbG8gd29ybGQ=', 'base64', 11],
  ['aGVs\r\nbG8g\r\nd29y bGQ=\r\n', 'base64', 11],
  ['aGVsbG8*!gd29ybGQ=', 'base64', 11],
  ['', 'base64', 0],
  ['caf=E9 =3D x', 'quoted-printable', 8],
  ['soft=\r\nbreak', 'quoted-printable', 9],
  ['soft= \t\r\nbreak', 'quoted-printable', 9],
  ['soft=\nbare', 'quoted-printable', 8],
  ['trailing   \r\nspace', 'quoted-printable', 15],
  ['keep  inner', 'quoted-printable', 11],
  ['bad =ZZ and =', 'quoted-printable', 12],
  ['ends with spaces  ', 'quoted-printable', 16],
  ['x', 'x-uuencode', null],
];

describe('transferDecodedSize', () => {
  for (const [body, encoding, expected] of cases) {
    it(`${encoding} ${JSON.stringify(body)}`, () => {
      const buf = Buffer.from(`junk${body}junk`, 'latin1');
      assert.equal(transferDecodedSize(buf, 4, buf.length - 4, encoding), expected);
    });
  }

  it('base64 sizes agree with Buffer decoding on clean input', () => {
    for (let n = 0; n < 100; n++) {
      const data = Buffer.alloc(n, 0xa5);
      const encoded = Buffer.from(data.toString('base64').replace(/(.{76})/g, '$1\r\n'));
      assert.equal(transferDecodedSize(encoded, 0, encoded.length, 'base64'), n);
    }
  });

  it('the index carries BINARY.SIZE for leaves and identity containers', () => {
    const buf = Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b\r\nContent-Transfer-Encoding: x-foo\r\n\r\nzz\r\n--b--\r\n');
    const index = indexMessage(buf);
    assert.equal(index.root.binarySize, index.root.bodyEnd - index.root.bodyStart);
    assert.deepEqual(index.root.children?.map((c) => c.binarySize), [3, null]);
  });
});
