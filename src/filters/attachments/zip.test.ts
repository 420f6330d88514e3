/*
 * The zip reader and the magic numbers: archives built in the test
 * (test-zip.ts) listed with their names and flags, members read stored and
 * deflated, whole or just their head; what a hostile archive does (a
 * deflate bomb, offsets past the end, a directory that lies, random
 * damage) ends in an error, never a throw or a read out of bounds; and the
 * executables told by their first octets, from literal bytes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { executableKind, isZip } from './magic.js';
import { buildZip } from './test-zip.js';
import { readMember, readZipDirectory, type ZipEntry } from './zip.js';

const HEAD = { head: true, headBytes: 64, headInput: 4096, maxOutput: 5 * 1024 * 1024 } as const;

function listing(zip: Buffer): ZipEntry[] {
  const dir = readZipDirectory(zip, 100);
  assert.ok(dir.ok, JSON.stringify(dir));
  return dir.entries;
}

describe('zip directory', () => {
  it('lists names, flags and sizes; reads stored and deflated members', () => {
    const text = Buffer.from('hello '.repeat(100));
    const zip = buildZip([
      { name: 'docs/readme.txt', data: text },
      { name: 'raw.bin', data: Buffer.from('stored'), method: 0 },
      { name: 'Übersicht.pdf', data: Buffer.from('%PDF-1.4'), utf8: true },
      { name: 'secret.doc', data: randomBytes(50), encrypted: true },
      { name: 'docs/', data: Buffer.alloc(0), method: 0 },
    ]);
    const entries = listing(zip);
    assert.deepEqual(entries.map((e) => [e.name, e.method, e.encrypted, e.directory, e.size]), [
      ['docs/readme.txt', 8, false, false, 600],
      ['raw.bin', 0, false, false, 6],
      ['Übersicht.pdf', 8, false, false, 8],
      ['secret.doc', 8, true, false, 50],
      ['docs/', 0, false, true, 0],
    ]);
    assert.deepEqual(readMember(zip, entries[0]!, { head: false, maxOutput: 10_000 }), { ok: true, data: text });
    assert.deepEqual(readMember(zip, entries[0]!, HEAD), { ok: true, data: text.subarray(0, 64) });
    assert.deepEqual(readMember(zip, entries[1]!, HEAD), { ok: true, data: Buffer.from('stored') });
    assert.deepEqual(readMember(zip, entries[3]!, HEAD), { ok: false, detail: 'encrypted' });
  });

  it('allows for data in front of the archive (a self-extractor\'s stub)', () => {
    const zip = buildZip([{ name: 'run.exe', data: Buffer.from('MZ...') }], Buffer.alloc(5000, 0x90));
    const [entry] = listing(zip);
    assert.deepEqual(readMember(zip, entry!, HEAD), { ok: true, data: Buffer.from('MZ...') });
  });

  it('reads the head of a deflate bomb and refuses to inflate it whole', () => {
    const bomb = buildZip([{ name: 'zeros.bin', data: Buffer.alloc(40 * 1024 * 1024) }]);
    assert.ok(bomb.length < 100_000, `${bomb.length}`);
    const [entry] = listing(bomb);
    const head = readMember(bomb, entry!, HEAD);
    assert.ok(head.ok && head.data.length === 64 && head.data.every((b) => b === 0));
    assert.deepEqual(readMember(bomb, entry!, { head: false, maxOutput: 1024 * 1024 }), { ok: false, detail: `${40 * 1024 * 1024} octets when inflated` });
    // The same bomb claiming to be small: inflating stops at the bound all the same.
    const liar = buildZip([{ name: 'zeros.bin', data: Buffer.alloc(8 * 1024 * 1024), claimedSize: 10 }]);
    assert.deepEqual(readMember(liar, listing(liar)[0]!, { head: false, maxOutput: 1024 * 1024 }), { ok: false, detail: 'inflates to more than 1048576 octets' });
  });

  it('lists at most maxEntries members and says so', () => {
    const zip = buildZip(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from('x'), method: 0 as const })));
    const dir = readZipDirectory(zip, 10);
    assert.ok(dir.ok && dir.entries.length === 10 && dir.truncated);
  });

  it('a damaged archive is an error, not a throw', () => {
    const good = buildZip([{ name: 'a.txt', data: Buffer.from('hello') }]);
    const offsetPastEnd = Buffer.from(good);
    offsetPastEnd.writeUInt32LE(0x7fffffff, good.length - 6); // the directory's offset
    const cases: [string, Buffer, RegExp][] = [
      ['not a zip', Buffer.from('PK\x03\x04 but nothing else'), /no end of central directory/],
      ['empty', Buffer.alloc(0), /no end of central directory/],
      ['the directory past the end', offsetPastEnd, /overlaps|outside|no central directory header/],
      ['cut in the middle', Buffer.concat([good.subarray(0, 20), good.subarray(good.length - 22)]), /overlaps|outside|no central directory header/],
    ];
    for (const [what, zip, detail] of cases) {
      const dir = readZipDirectory(zip, 100);
      assert.ok(!dir.ok && detail.test(dir.detail), `${what}: ${JSON.stringify(dir)}`);
    }
    const lying = listing(good)[0]!;
    assert.equal(readMember(good, { ...lying, localOffset: good.length - 4 }, HEAD).ok, false);
    assert.equal(readMember(good, { ...lying, compressedSize: 1e9 }, HEAD).ok, true, 'a head reads only what is there to read');
    assert.equal(readMember(good, { ...lying, compressedSize: 1e9 }, { head: false, maxOutput: 100 }).ok, false);
    assert.deepEqual(readMember(good, { ...lying, method: 12 }, HEAD), { ok: false, detail: 'compression method 12' });
  });

  it('random damage to a real archive never throws', () => {
    const good = buildZip([{ name: 'a.exe', data: randomBytes(300) }, { name: 'b/c.txt', data: Buffer.from('text '.repeat(50)) }]);
    for (let i = 0; i < 3000; i++) {
      const zip = Buffer.from(good);
      for (let n = 1 + (i % 4); n > 0; n--) zip[Math.floor(Math.random() * zip.length)] = Math.floor(Math.random() * 256);
      const dir = readZipDirectory(zip, 100);
      if (!dir.ok) continue;
      for (const entry of dir.entries) {
        readMember(zip, entry, HEAD);
        readMember(zip, entry, { head: false, maxOutput: 4096 });
      }
    }
  });
});

describe('magic numbers', () => {
  const pe = Buffer.alloc(0x90);
  pe.write('MZ', 0, 'latin1');
  pe.writeUInt32LE(0x80, 0x3c);
  pe.write('PE\0\0', 0x80, 'latin1');
  const mzOnly = Buffer.from(pe);
  mzOnly.write('XX', 0x80, 'latin1');
  const iso = Buffer.alloc(0x8010);
  iso.write('\x01CD001\x01', 0x8000, 'latin1');
  const cases: [string, Buffer, string | null][] = [
    ['a PE executable', pe, 'Windows executable'],
    ['MZ without a PE header', mzOnly, null],
    ['MZ and nothing more', Buffer.from('MZ'), null],
    ['ELF', Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), 'ELF executable'],
    ['Mach-O 64-bit', Buffer.from('cffaedfe07000001', 'hex'), 'Mach-O executable'],
    ['a Java class', Buffer.from('cafebabe00000034', 'hex'), 'Mach-O universal binary or Java class'],
    ['a shell script', Buffer.from('#!/bin/sh\necho hi\n'), 'script (#!)'],
    ['env with a space', Buffer.from('#! /usr/bin/env python3\n'), 'script (#!)'],
    ['"#!" in prose', Buffer.from('#!important notes'), null],
    ['a Windows shortcut', Buffer.concat([Buffer.from('4c0000000114020000000000c000000000000046', 'hex'), Buffer.alloc(60)]), 'Windows shortcut'],
    ['an ISO 9660 image', iso, 'ISO 9660 disk image'],
    ['a PDF', Buffer.from('%PDF-1.7\n'), null],
    ['nothing', Buffer.alloc(0), null],
  ];
  for (const [what, head, kind] of cases) it(what, () => assert.equal(executableKind(head), kind));

  it('zip by its first signature', () => {
    assert.equal(isZip(buildZip([{ name: 'a', data: Buffer.from('b') }])), true);
    assert.equal(isZip(buildZip([])), true);
    assert.equal(isZip(Buffer.from('PK')), false);
  });
});
