/*
 * Builds zip archives for the attachment policy's tests, header by header
 * (local file headers, central directory, end record), so a test can make
 * exactly the archive it needs: stored or deflated members, the encrypted
 * and UTF-8 flags, data in front (a self-extractor's stub), sizes that lie.
 *
 * Exports: buildZip, ZipMember.
 * Security: test code; writes only what it is given.
 * Standards: PKWARE APPNOTE.TXT 4.3.7, 4.3.12, 4.3.16.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipMember {
  name: string;
  data: Buffer;
  /** 8 (deflate, the default) or 0 (stored). */
  method?: 0 | 8;
  /** Sets the encrypted flag; the data is written as given (no real encryption is needed to be refused). */
  encrypted?: boolean;
  /** Sets flag bit 11 (the name is UTF-8). */
  utf8?: boolean;
  /** Written in the central directory instead of the real uncompressed size. */
  claimedSize?: number;
}

export function buildZip(members: ZipMember[], prefix: Buffer = Buffer.alloc(0)): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const method = m.method ?? 8;
    const stored = method === 8 ? deflateRawSync(m.data) : m.data;
    const name = Buffer.from(m.name, m.utf8 ? 'utf8' : 'latin1');
    const flags = (m.encrypted ? 1 : 0) | (m.utf8 ? 0x800 : 0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc32(m.data), 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    local.copy(central, 8, 6, 26); // flags, method, time, date, crc, sizes
    central.writeUInt32LE(m.claimedSize ?? m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([prefix, ...locals, directory, end]);
}
