/*
 * Property tests for the FETCH helpers on random and mutated messages, with
 * the index round-tripped through JSON as it is stored: every part number
 * the structure shows resolves to bytes of the size it announces (or is a
 * zero-size placeholder), no section form throws, BINARY's length is the
 * index's binarySize, and PREVIEW stays within its limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryBytes } from './binary.js';
import { FIXTURES } from './imap-fixtures.test.js';
import { bodyStructure, envelope } from './imap-structure.js';
import { sectionBytes, type SectionSpec } from './imap-sections.js';
import type { ImapValue } from './imap-value.js';
import { findPart, indexMessage, type MessageIndex } from './index.js';
import { PREVIEW_MAX_CHARS, preview } from './preview.js';

/** xorshift32: failures replay from their seed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const TOKENS = ['\r\n', '\n', '--', '--b', '--b--', '\r\n\r\n', ':', ' ', '=', '=3D', '=\r\n', 'QUJD', ';',
  'Content-Type: multipart/mixed; boundary=b\r\n', 'Content-Type: message/rfc822\r\n', 'Content-Type: message/global\r\n', 'Content-Type: multipart/digest; boundary=b\r\n',
  'Content-Transfer-Encoding: base64\r\n', 'Content-Transfer-Encoding: quoted-printable\r\n', 'Content-Type: text/plain\r\n', 'Subject: s\r\n'];

function randomMessage(next: () => number): Buffer {
  const pieces: Buffer[] = [];
  const n = Math.floor(next() * 120);
  for (let i = 0; i < n; i++) {
    if (next() < 0.6) pieces.push(Buffer.from(TOKENS[Math.floor(next() * TOKENS.length)] as string));
    else pieces.push(Buffer.from([Math.floor(next() * 256)]));
  }
  return Buffer.concat(pieces);
}

function mutate(source: Buffer, next: () => number): Buffer {
  let buf = source;
  const rounds = 1 + Math.floor(next() * 5);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(next() * (buf.length + 1));
    const op = Math.floor(next() * 4);
    if (op === 0) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + Math.floor(next() * 20))]);
    else if (op === 1) buf = Buffer.concat([buf.subarray(0, at), Buffer.from(TOKENS[Math.floor(next() * TOKENS.length)] as string), buf.subarray(at)]);
    else if (op === 2 && at < buf.length) {
      buf = Buffer.from(buf);
      buf[at] = Math.floor(next() * 256);
    } else buf = buf.subarray(0, at);
  }
  return buf;
}

/** Visits every node of a BODYSTRUCTURE with the part number IMAP gives it. */
function walk(node: ImapValue[], number: number[], messageRoot: boolean, visit: (number: number[], node: ImapValue[], leaf: boolean) => void): void {
  const first = node[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first) && 'run' in first) {
    visit(number, node, false);
    first.run.forEach((child, i) => walk(child as ImapValue[], [...number, i + 1], false, visit));
    return;
  }
  const own = messageRoot ? [...number, 1] : number;
  visit(own, node, true);
  if (node[0] === 'message' && Array.isArray(node[7]) && Array.isArray(node[8])) walk(node[8], own, true, visit);
}

const KINDS: SectionSpec['kind'][] = [undefined, 'HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', 'TEXT', 'MIME'];

function check(message: Buffer, stored: MessageIndex, next: () => number): number {
  let resolved = 0;
  const index = JSON.parse(JSON.stringify(stored)) as MessageIndex;
  const structure = bodyStructure(index, true, { imap4rev2: next() < 0.5, utf8: next() < 0.5 });
  bodyStructure(index, false);
  envelope(index.envelope);
  assert.ok([...preview(message, index)].length <= PREVIEW_MAX_CHARS);
  walk(structure, [], true, (number, node, leaf) => {
    for (const kind of KINDS) {
      const start = Math.floor(next() * 50);
      sectionBytes(message, index, { part: number, kind, fields: ['subject', 'Content-Type'] }, next() < 0.5 ? undefined : { start, length: Math.floor(next() * 50) });
    }
    const part = findPart(index.root, number);
    if (!leaf) {
      if (number.length > 0) assert.ok(part !== undefined, `multipart ${number.join('.')} resolves`);
      return;
    }
    const size = node[6] as number;
    const body = sectionBytes(message, index, { part: number });
    if (part === undefined) {
      // the placeholder of an empty or unindexed multipart, or the body of an encoded message/rfc822
      assert.equal(size, 0, `placeholder ${number.join('.')} has size 0`);
      assert.equal(body.length, 0);
      return;
    }
    if (!(part.type === 'multipart' && part.children === undefined)) assert.equal(body.length, size, `BODY[${number.join('.')}] is ${size} octets`);
    assert.equal(binaryBytes(message, index, number)?.length ?? null, part.binarySize, `BINARY[${number.join('.')}] length`);
    resolved++;
  });
  return resolved;
}

describe('fuzz: FETCH helpers on random and mutated messages', () => {
  it('part numbers resolve, sizes agree, nothing throws', () => {
    const samples = Object.values(FIXTURES).map((text) => Buffer.from(text, 'latin1'));
    for (let seed = 1; seed <= 2000; seed++) {
      const next = rng(seed * 7919);
      const message = seed % 4 === 0 ? randomMessage(next) : mutate(samples[seed % samples.length] as Buffer, next);
      const limits = seed % 5 === 0 ? { maxDepth: 2, maxParts: 4 } : {};
      try {
        check(message, indexMessage(message, limits), next);
      } catch (err) {
        assert.fail(`seed ${seed}: ${String(err)}\n${JSON.stringify(message.toString('latin1'))}`);
      }
    }
  });
  it('the fixtures themselves', () => {
    let resolved = 0;
    for (const text of Object.values(FIXTURES)) {
      const message = Buffer.from(text, 'latin1');
      resolved += check(message, indexMessage(message), rng(7));
    }
    // leaves with bytes behind them, fixture by fixture: 1+2+2+4+4+5+0+1+1+1
    assert.equal(resolved, 21);
  });
});
