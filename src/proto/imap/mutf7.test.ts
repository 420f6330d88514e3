/*
 * Tests for modified UTF-7: RFC 3501 examples, round trips and the invalid
 * forms a hostile client could use to give one mailbox two names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMutf7, encodeMutf7, isValidMutf7, Mutf7Error } from './mutf7.js';

const VALID: Array<[string, string]> = [
  ['INBOX', 'INBOX'],
  ['~peter/mail/&U,BTFw-/&ZeVnLIqe-', '~peter/mail/台北/日本語'],
  ['&-', '&'],
  ['a&-b', 'a&b'],
  ['Entw&APw-rfe', 'Entwürfe'],
  ['&AOQA9gD8-', 'äöü'],
  ['&2D3eAA-', '😀'],
  ['Gel&APY-schte Elemente', 'Gelöschte Elemente'],
];

test('decodes and encodes the RFC 3501 and common names', () => {
  for (const [wire, name] of VALID) {
    assert.equal(decodeMutf7(wire), name, wire);
    assert.equal(encodeMutf7(name), wire, name);
  }
});

const INVALID = [
  ['&U,BTFw', 'unterminated shift'],
  ['&AGE-', 'printable ASCII encoded (non-canonical)'],
  ['&AOQ-&APY-', 'adjacent shifts not merged'],
  ['&AOR-', 'non-zero padding bits'],
  ['&AOQA-', 'excess bits'],
  ['&2D0-', 'lone high surrogate'],
  ['&3gA-', 'lone low surrogate'],
  ['caf\u00e9', 'bare 8-bit'],
  ['a\tb', 'control character'],
  ['&U/BTFw-', 'slash instead of comma'],
  ['&=-', 'bad base64'],
];

test('rejects invalid and non-canonical forms', () => {
  for (const [wire, why] of INVALID) {
    assert.throws(() => decodeMutf7(wire!), Mutf7Error, why);
    assert.equal(isValidMutf7(wire!), false, why);
  }
});

test('round-trips random Unicode names', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 500; i++) {
    let s = '';
    const n = rnd() % 12;
    for (let j = 0; j < n; j++) {
      const k = rnd() % 4;
      s += k === 0 ? '&' : k === 1 ? String.fromCharCode(0x20 + (rnd() % 95)) : k === 2 ? String.fromCodePoint(0x80 + (rnd() % 0xd700)) : String.fromCodePoint(0x10000 + (rnd() % 0xffff));
    }
    assert.equal(decodeMutf7(encodeMutf7(s)), s);
  }
});

test('random byte strings: decode either succeeds canonically or throws Mutf7Error', () => {
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const pool = 'AZaz09+,-&/ \u00e9\u0001';
  for (let i = 0; i < 5000; i++) {
    let s = '';
    for (let n = rnd() % 16; n > 0; n--) s += pool[rnd() % pool.length];
    try {
      const d = decodeMutf7(s);
      assert.equal(encodeMutf7(d), s, JSON.stringify(s));
    } catch (e) {
      assert.ok(e instanceof Mutf7Error, String(e));
    }
  }
});
