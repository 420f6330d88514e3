/*
 * What a file is by its first octets, whatever it is called: the programs
 * and scripts the attachment policy refuses by content, and the zip
 * archives it looks into.
 *
 *   Windows executable   "MZ", and "PE\0\0" where the DOS header's e_lfanew points
 *   ELF executable       7F "ELF"
 *   Mach-O executable    FEEDFACE, FEEDFACF (either byte order); CAFEBABE is a
 *                        universal binary or a Java class, a program either way
 *   script               "#!" and a path ("#!/bin/sh", "#! /usr/bin/env python")
 *   Windows shortcut     the .lnk header (size 0x4C and its CLSID)
 *   ISO 9660 image       "CD001" at 0x8001
 *   zip archive          "PK\3\4", or "PK\5\6" for an empty one
 *
 * Exports: executableKind, isZip.
 * Security: pure; reads at most the head it is given, every offset
 * checked against its length.
 * Standards: Microsoft PE/COFF (the MS-DOS stub and e_lfanew at 0x3C),
 * the System V ABI (ELF), MS-SHLLINK section 2.1, ECMA-119 (ISO 9660),
 * PKWARE APPNOTE.TXT 4.3.7 / 4.3.16 (zip signatures).
 */

const LNK_HEADER = Buffer.from('4c0000000114020000000000c000000000000046', 'hex');

const startsWith = (head: Buffer, bytes: readonly number[], at = 0): boolean =>
  head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);

/** The kind of program the head starts, or null. */
export function executableKind(head: Buffer): string | null {
  if (startsWith(head, [0x4d, 0x5a]) && head.length >= 0x40) {
    const pe = head.readUInt32LE(0x3c);
    if (startsWith(head, [0x50, 0x45, 0, 0], pe)) return 'Windows executable';
  }
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return 'ELF executable';
  const magic = head.length >= 4 ? head.readUInt32BE(0) : 0;
  if (magic === 0xfeedface || magic === 0xfeedfacf || magic === 0xcefaedfe || magic === 0xcffaedfe) return 'Mach-O executable';
  if (magic === 0xcafebabe) return 'Mach-O universal binary or Java class';
  if (startsWith(head, [0x23, 0x21]) && /^#! ?\//.test(head.subarray(0, 4).toString('latin1'))) return 'script (#!)';
  if (head.length >= LNK_HEADER.length && head.subarray(0, LNK_HEADER.length).equals(LNK_HEADER)) return 'Windows shortcut';
  if (startsWith(head, [0x43, 0x44, 0x30, 0x30, 0x31], 0x8001)) return 'ISO 9660 disk image';
  return null;
}

/** A zip archive's first signature (a local file header, or the end record of an empty archive). */
export function isZip(head: Buffer): boolean {
  return startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]);
}
