import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { blobPath, FileBlobStore, sha256 } from './files.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-blob-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('file blob store', () => {
  it('stores bytes under their SHA-256 and reads them back', async () => {
    const store = await FileBlobStore.open(join(dir, 'a'), { fsync: true });
    const bytes = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    const hash = await store.put(bytes);
    assert.equal(hash, sha256(bytes));
    assert.deepEqual(await store.get(hash), bytes);
    assert.ok(existsSync(join(dir, 'a', hash.slice(0, 2), hash)));
  });

  it('keeps one copy of identical content', async () => {
    const store = await FileBlobStore.open(join(dir, 'b'), { fsync: true });
    const bytes = Buffer.from('same');
    const hashes = await store.putMany([bytes, bytes, Buffer.from('other')]);
    assert.equal(hashes[0], hashes[1]);
    const files = readdirSync(join(dir, 'b', hashes[0]!.slice(0, 2))).filter((f) => f === hashes[0]);
    assert.equal(files.length, 1);
    assert.deepEqual(readdirSync(join(dir, 'b', 'tmp')), []);
  });

  it('removes temporary files a crash left behind, at open', async () => {
    const root = join(dir, 'c');
    await FileBlobStore.open(root, { fsync: false });
    writeFileSync(join(root, 'tmp', 'deadbeef.partial'), 'half a message');
    await FileBlobStore.open(root, { fsync: false });
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);
  });

  it('refuses names that are not hashes', async () => {
    const store = await FileBlobStore.open(join(dir, 'd'), { fsync: false });
    await assert.rejects(store.get('../../etc/passwd'), /not a blob hash/);
  });
});

describe('file blob store, blocking calls (the commit worker)', () => {
  it('stores, dedupes and reads back like the asynchronous one', async () => {
    const store = await FileBlobStore.open(join(dir, 'blocking'), { fsync: true, blocking: true });
    const bytes = Buffer.from('blocking write\r\n');
    const [a, b] = await store.putMany([bytes, bytes]);
    assert.equal(a, sha256(bytes));
    assert.equal(a, b);
    assert.deepEqual(await store.get(a!), bytes);
    assert.deepEqual(readdirSync(join(dir, 'blocking', 'tmp')), []);
    store.close();
  });

  it('head: the first bytes of a blob, all of a shorter one', async () => {
    const store = await FileBlobStore.open(join(dir, 'head'), { fsync: false });
    const bytes = Buffer.from('Subject: hi\r\nFrom: a@example.org\r\n\r\nbody\r\n');
    const hash = await store.put(bytes);
    assert.deepEqual(await store.head(hash, 35), bytes.subarray(0, 35));
    assert.deepEqual(await store.head(hash, 0), Buffer.alloc(0));
    assert.deepEqual(await store.head(hash, 1000), bytes);
    assert.deepEqual(await store.get(hash), bytes);
  });

  it('blobPath: a hash gives <root>/<first two digits>/<hash>; anything else throws', () => {
    const hash = 'ab'.repeat(32);
    assert.equal(blobPath('/r', hash), `/r/ab/${hash}`);
    for (const bad of ['../x', 'AB'.repeat(32), 'ab'.repeat(31), `${'ab'.repeat(32)}/..`]) assert.throws(() => blobPath('/r', bad), /not a blob hash/);
  });
});
