/*
 * The Let's Encrypt layout writer: atomic replacement (no temporary file
 * left, a symlinked certbot file replaced by a regular one, the old content
 * whole until the rename), exact modes under any umask, names that cannot
 * leave live/, state files that are not ours refused, and the lock between
 * processes (a live holder refuses, a dead or stale one is taken over, a
 * lock of an earlier process with our pid is stale).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir } from '../../../test/support/certs.js';
import { isSafeLineageName, listLineages, livePaths, readState, withLock, writeFileAtomic, writeState } from './layout.js';
import type { ManagedState } from './types.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => {
  tmp = await makeTempDir('petrel-acme-layout-');
});
after(() => tmp.cleanup());

const state: ManagedState = { version: 1, names: ['mail.example.com'], directoryUrl: 'https://ca.example/dir', renewJitterMs: 5, rolloverPending: false, issuedAt: 1 };

describe('livePaths', () => {
  it('puts each file under <certsDir>/live/<name>', () => {
    const p = livePaths('/c', 'mail.example.com');
    assert.equal(p.fullchain, '/c/live/mail.example.com/fullchain.pem');
    assert.equal(p.privkey, '/c/live/mail.example.com/privkey.pem');
    assert.equal(p.nextPrivkey, '/c/live/mail.example.com/next-privkey.pem');
    assert.equal(p.state, '/c/live/mail.example.com/petrel-acme.json');
  });

  it('path traversal: names that are not one DNS-like path component are refused', () => {
    for (const bad of ['', '.', '..', '../etc', 'a/b', 'a\\b', '.hidden', 'a..b', 'x '.trim() + '/', 'a\0b']) {
      assert.equal(isSafeLineageName(bad), false, bad);
      assert.throws(() => livePaths('/c', bad), RangeError);
    }
    for (const good of ['example.com', 'mail.example.com', 'xn--bcher-kva.example', '_dmarc.x', 'a']) assert.equal(isSafeLineageName(good), true, good);
  });
});

describe('writeFileAtomic', () => {
  it('writes with the exact mode whatever the umask, and leaves no temporary file', async () => {
    const dir = join(tmp.dir, 'modes');
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(join(dir, 'cert.pem'), 'CERT', 0o644);
    } finally {
      process.umask(old);
    }
    await writeFileAtomic(join(dir, 'key.pem'), 'KEY', 0o600);
    assert.equal((await stat(join(dir, 'cert.pem'))).mode & 0o777, 0o644);
    assert.equal((await stat(join(dir, 'key.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual((await readdir(dir)).sort(), ['cert.pem', 'key.pem']);
  });

  it('replaces a certbot symlink by a regular file and leaves the archive file it pointed to alone', async () => {
    const dir = join(tmp.dir, 'certbot');
    await mkdir(join(dir, 'archive'), { recursive: true });
    await mkdir(join(dir, 'live'), { recursive: true });
    await writeFile(join(dir, 'archive', 'fullchain1.pem'), 'OLD');
    await symlink(join('..', 'archive', 'fullchain1.pem'), join(dir, 'live', 'fullchain.pem'));
    await writeFileAtomic(join(dir, 'live', 'fullchain.pem'), 'NEW', 0o644);
    assert.ok((await lstat(join(dir, 'live', 'fullchain.pem'))).isFile());
    assert.equal(await readFile(join(dir, 'live', 'fullchain.pem'), 'utf8'), 'NEW');
    assert.equal(await readFile(join(dir, 'archive', 'fullchain1.pem'), 'utf8'), 'OLD');
  });

  it('a reader during many rewrites sees one whole version or the other, never part of one', async () => {
    const path = join(tmp.dir, 'torn', 'fullchain.pem');
    const versions = ['A', 'B'].map((c) => c.repeat(256 * 1024));
    await writeFileAtomic(path, versions[0]!, 0o644);
    let writing = true;
    const reads: string[] = [];
    const reader = (async () => {
      while (writing) reads.push(await readFile(path, 'utf8'));
    })();
    for (let i = 0; i < 20; i++) await writeFileAtomic(path, versions[i % 2]!, 0o644);
    writing = false;
    await reader;
    assert.ok(reads.length > 0);
    for (const r of reads) assert.ok(r === versions[0] || r === versions[1], `a read of ${r.length} octets mixing versions`);
  });
});

describe('state files', () => {
  it('round-trips, and a file that is not ours is refused rather than trusted', async () => {
    const paths = livePaths(tmp.dir, 'state.example');
    assert.equal(await readState(paths), undefined);
    await writeState(paths, state);
    assert.deepEqual(await readState(paths), state);
    await writeFile(paths.state, JSON.stringify({ version: 2 }));
    await assert.rejects(readState(paths), /not a Petrel ACME state file/);
    await writeFile(paths.state, 'x'.repeat(70 * 1024));
    await assert.rejects(readState(paths), /larger than/);
  });

  it('listLineages lists only directories with a state file, sorted', async () => {
    const certs = join(tmp.dir, 'list');
    await writeState(livePaths(certs, 'b.example'), state);
    await writeState(livePaths(certs, 'a.example'), state);
    await mkdir(join(certs, 'live', 'certbot.example'), { recursive: true });
    await writeFile(join(certs, 'live', 'README'), 'certbot readme');
    assert.deepEqual(await listLineages(certs), ['a.example', 'b.example']);
    assert.deepEqual(await listLineages(join(tmp.dir, 'missing')), []);
  });
});

describe('withLock', () => {
  it('a lock held by a live process refuses a second writer; the lock goes when the holder is done', async () => {
    const paths = livePaths(join(tmp.dir, 'locks'), 'held.example');
    assert.equal(paths.lock, join(tmp.dir, 'locks', 'live', '.held.example.petrel-acme.lock'));
    const child = spawn('sleep', ['30']);
    try {
      await mkdir(join(tmp.dir, 'locks', 'live'), { recursive: true });
      await writeFile(paths.lock, JSON.stringify({ pid: child.pid, at: Date.now() }));
      await assert.rejects(withLock(paths, async () => 'ran'), new RegExp(`pid ${child.pid}`));
    } finally {
      child.kill();
    }
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(await withLock(paths, async () => 'ran'), 'ran', 'the holder died: its lock is taken over');
    await assert.rejects(stat(paths.lock), { code: 'ENOENT' });
  });

  it('a lock older than LOCK_STALE_MS, or of an earlier process with our pid (a container restart), is stale', async () => {
    const paths = livePaths(join(tmp.dir, 'locks'), 'stale.example');
    await mkdir(join(tmp.dir, 'locks', 'live'), { recursive: true });
    await writeFile(paths.lock, JSON.stringify({ pid: process.pid, at: Date.now() - process.uptime() * 1000 - 10_000 }));
    assert.equal(await withLock(paths, async () => 1), 1);
    await writeFile(paths.lock, JSON.stringify({ pid: 1, at: Date.now() - 3 * 3_600_000 }));
    assert.equal(await withLock(paths, async () => 2), 2);
    await writeFile(paths.lock, 'garbage');
    assert.equal(await withLock(paths, async () => 3), 3);
  });

  it('two writers in this process: the second is refused while the first runs', async () => {
    const paths = livePaths(join(tmp.dir, 'locks'), 'twice.example');
    let release!: () => void;
    const first = withLock(paths, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await assert.rejects(withLock(paths, async () => undefined), /being renewed/);
    release();
    await first;
  });

  it('the lock is removed when the work throws', async () => {
    const paths = livePaths(join(tmp.dir, 'locks'), 'throws.example');
    await assert.rejects(withLock(paths, async () => Promise.reject(new Error('boom'))), /boom/);
    await assert.rejects(stat(paths.lock), { code: 'ENOENT' });
  });
});
