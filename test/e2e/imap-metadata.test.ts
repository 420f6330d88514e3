/*
 * METADATA against the real IMAP listener and SQLite store: server and
 * mailbox entries, NIL removal, DEPTH and MAXSIZE, the MAXSIZE, TOOMANY
 * and LONGENTRIES codes, binary values, /private/specialuse, entries that
 * follow RENAME and go with DELETE, and one user never seeing another's.
 *
 * Security: test only; 127.0.0.1.
 * Standards: RFC 5464, RFC 6154 section 4.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startImap, type ImapHarness } from '../support/imap-harness.js';

let h: ImapHarness;

before(async () => {
  h = await startImap({ users: ['alice', 'bob', 'carol', 'dave'] });
});

after(async () => {
  await h.close();
});

describe('IMAP METADATA', () => {
  it('advertises METADATA and METADATA-SERVER', async () => {
    const w = await h.login('alice');
    assert.match(await w.cmd('C', 'CAPABILITY'), / METADATA METADATA-SERVER/);
    w.close();
  });

  it('sets, reads and removes server and mailbox entries; a missing entry reads NIL', async () => {
    const w = await h.login('alice');
    assert.match(await w.cmd('S1', 'SETMETADATA "" (/private/vendor/ex/theme "dark" /private/comment "mine")'), /^S1 OK/m);
    assert.match(await w.cmd('S2', 'SETMETADATA INBOX (/shared/comment "Family mail" /private/Comment "my inbox")'), /^S2 OK/m);
    assert.match(await w.cmd('G1', 'GETMETADATA "" /private/comment'), /^\* METADATA "" \(\/private\/comment "mine"\)\r\nG1 OK/m);
    assert.match(await w.cmd('G2', 'GETMETADATA INBOX (/shared/comment /private/comment /private/nothing)'), /^\* METADATA "?INBOX"? \(\/shared\/comment "Family mail" \/private\/comment "my inbox" \/private\/nothing NIL\)\r\n/m);
    assert.match(await w.cmd('S3', 'SETMETADATA INBOX (/private/comment NIL)'), /^S3 OK/m);
    assert.match(await w.cmd('G3', 'GETMETADATA INBOX /private/comment'), /\(\/private\/comment NIL\)/);
    assert.match(await w.cmd('G4', 'GETMETADATA Nowhere /private/comment'), /^G4 NO \[NONEXISTENT\]/m);
    w.close();
  });

  it('follows DEPTH 0, 1 and infinity, and leaves out values over MAXSIZE with LONGENTRIES', async () => {
    const w = await h.login('bob');
    const big = 'x'.repeat(300);
    assert.match(await w.cmd('S', `SETMETADATA "" (/private/vendor/a "1" /private/vendor/a/b "2" /private/vendor/a/b/c "3" /private/vendor/big "${big}")`), /^S OK/m);
    assert.match(await w.cmd('D0', 'GETMETADATA "" /private/vendor/a'), /\(\/private\/vendor\/a "1"\)\r\n/);
    assert.match(await w.cmd('D1', 'GETMETADATA (DEPTH 1) "" /private/vendor/a'), /\(\/private\/vendor\/a "1" \/private\/vendor\/a\/b "2"\)\r\n/);
    assert.match(await w.cmd('DI', 'GETMETADATA (DEPTH infinity) "" /private/vendor/a'), /\(\/private\/vendor\/a "1" \/private\/vendor\/a\/b "2" \/private\/vendor\/a\/b\/c "3"\)\r\n/);
    const r = await w.cmd('M', 'GETMETADATA (MAXSIZE 100 DEPTH infinity) "" /private/vendor');
    assert.doesNotMatch(r, /vendor\/big/);
    assert.match(r, /^M OK \[METADATA LONGENTRIES 300\]/m);
    assert.match(r, /\/private\/vendor\/a\/b\/c "3"/);
    w.close();
  });

  it('enforces the value size and entry count limits, all or nothing', async () => {
    const w = await h.login('carol');
    const tooBig = Buffer.alloc(64 * 1024 + 1, 0x61);
    const r = await w.raw('B', Buffer.concat([Buffer.from(`B SETMETADATA "" (/private/vendor/x "ok" /private/vendor/big {${tooBig.length}+}\r\n`), tooBig, Buffer.from(')\r\n')]));
    assert.match(r, /^B NO \[METADATA MAXSIZE 65536\]/m);
    assert.match(await w.cmd('G', 'GETMETADATA "" /private/vendor/x'), /\(\/private\/vendor\/x NIL\)/, 'nothing of a refused SETMETADATA is kept');
    const pairs = (from: number, n: number) => Array.from({ length: n }, (_, i) => `/private/vendor/e${from + i} "v"`).join(' ');
    for (let i = 0; i < 5; i++) assert.match(await w.cmd(`F${i}`, `SETMETADATA "" (${pairs(i * 100, 100)})`), /OK/);
    assert.match(await w.cmd('T', 'SETMETADATA INBOX (/private/comment "one more")'), /^T NO \[METADATA TOOMANY\]/m);
    assert.match(await w.cmd('R', 'SETMETADATA "" (/private/vendor/e0 NIL)'), /^R OK/m);
    assert.match(await w.cmd('T2', 'SETMETADATA INBOX (/private/comment "now it fits")'), /^T2 OK/m);
    w.close();
  });

  it('keeps binary values, shows /private/specialuse read-only, refuses server /shared writes', async () => {
    const w = await h.login('dave');
    const bin = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x01]);
    assert.match(await w.raw('B', Buffer.concat([Buffer.from(`B SETMETADATA Drafts (/private/vendor/bin ~{${bin.length}+}\r\n`), bin, Buffer.from(')\r\n')])), /^B OK/m);
    const start = w.buf.length;
    await w.cmd('G', 'GETMETADATA Drafts (/private/vendor/bin /private/specialuse)');
    const out = w.buf.subarray(start);
    assert.ok(out.includes(Buffer.concat([Buffer.from(`/private/specialuse "\\\\Drafts" /private/vendor/bin ~{${bin.length}}\r\n`), bin])) || out.includes(Buffer.concat([Buffer.from(`/private/vendor/bin ~{${bin.length}}\r\n`), bin])), out.toString('latin1'));
    assert.match(out.toString('latin1'), /\/private\/specialuse "\\\\Drafts"/);
    assert.match(await w.cmd('U', 'SETMETADATA Drafts (/private/specialuse "\\\\Trash")'), /^U NO/m);
    assert.match(await w.cmd('X', 'SETMETADATA "" (/shared/admin "mailto:me@example.com")'), /^X NO \[NOPERM\]/m);
    assert.match(await w.cmd('Y', 'SETMETADATA "" (/private "x")'), /^Y BAD/m);
    w.close();
  });

  it('moves entries with RENAME, drops them with DELETE, and never shows one user another user\'s', async () => {
    const w = await h.login('alice');
    await w.cmd('C', 'CREATE Projects');
    assert.match(await w.cmd('S', 'SETMETADATA Projects (/private/comment "p")'), /^S OK/m);
    assert.match(await w.cmd('R', 'RENAME Projects Work'), /^R OK/m);
    assert.match(await w.cmd('G1', 'GETMETADATA Work /private/comment'), /\(\/private\/comment "p"\)/);
    assert.match(await w.cmd('D', 'DELETE Work'), /^D OK/m);
    await w.cmd('C2', 'CREATE Work');
    assert.match(await w.cmd('G2', 'GETMETADATA Work /private/comment'), /\(\/private\/comment NIL\)/);
    w.close();
    const b = await h.login('bob');
    assert.match(await b.cmd('G3', 'GETMETADATA "" /private/comment'), /\(\/private\/comment NIL\)/, "alice's server entry is hers");
    assert.match(await b.cmd('G4', 'GETMETADATA INBOX /shared/comment'), /\(\/shared\/comment NIL\)/);
    b.close();
  });
});
