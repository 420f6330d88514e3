/*
 * Table-driven tests of Content-Type / Content-Disposition parameter parsing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContentType, parseDisposition, parseEncoding, parseLanguageList, parseStructuredValue } from './content-params.js';

const cases: [string, string, [string, string][]][] = [
  ['text/plain', 'text/plain', []],
  ['text/plain; charset=UTF-8; Format="flowed"', 'text/plain', [['charset', 'UTF-8'], ['format', 'flowed']]],
  ['text / plain (comment) ; charset = "a \\"b\\" c"', 'text/plain', [['charset', 'a "b" c']]],
  ['multipart/mixed; boundary="----=_Part_1;x"', 'multipart/mixed', [['boundary', '----=_Part_1;x']]],
  ['a/b; z=1; a=2; z=3', 'a/b', [['z', '1'], ['a', '2']]],
  ['a/b; 2=two; 1=one', 'a/b', [['2', 'two'], ['1', 'one']]],
  ['a/b; name=Invoice(1).pdf', 'a/b', [['name', 'Invoice(1).pdf']]],
  ['a/b; noequals; x=1', 'a/b', [['x', '1']]],
  ["a/b; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", 'a/b', [['title', 'This is ***fun***']]],
  ['a/b; title*1*=%20two; title*0*=utf-8\'\'one; title*2=" three"', 'a/b', [['title', 'one two three']]],
  ["a/b; filename=\"plain.txt\"; filename*=UTF-8''%E2%82%AC.txt", 'a/b', [['filename', '€.txt']]],
  ["a/b; f*=iso-8859-2''%B1; g*=x-unknown''%41%zz", 'a/b', [['f', 'ą'], ['g', 'A%zz']]],
  ['a/b; __proto__=x; constructor=y', 'a/b', [['__proto__', 'x'], ['constructor', 'y']]],
  ['a/b; unterminated="abc', 'a/b', [['unterminated', 'abc']]],
];

describe('parseStructuredValue', () => {
  for (const [input, value, params] of cases) {
    it(JSON.stringify(input), () => {
      assert.deepEqual(parseStructuredValue(input), { value, params });
    });
  }
});

describe('parseContentType and friends', () => {
  it('lower-cases type and subtype, refuses what is not token/token', () => {
    assert.deepEqual(parseContentType('TEXT/HTML; Charset=X'), { type: 'text', subtype: 'html', params: [['charset', 'X']] });
    for (const bad of ['', 'text', 'text/', '/html', 'te xt/html', 'text/ht"ml', 'text/html/x']) assert.equal(parseContentType(bad), null, bad);
  });

  it('reads dispositions, encodings and languages', () => {
    assert.deepEqual(parseDisposition('Attachment; filename="a b.txt"'), { type: 'attachment', params: [['filename', 'a b.txt']] });
    assert.equal(parseDisposition('; filename=x'), null);
    assert.equal(parseEncoding(' Base64 (comment)'), 'base64');
    assert.equal(parseEncoding(''), null);
    assert.deepEqual(parseLanguageList('en-US, (c) fr ,,'), ['en-US', 'fr']);
    assert.equal(parseLanguageList(' , '), null);
  });
});
