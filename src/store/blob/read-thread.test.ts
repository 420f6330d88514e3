import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileBlobStore } from './files.js';
import { BlobReadThread } from './read-thread.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-blob-read-'));
let store: FileBlobStore;
let reader: BlobReadThread;

before(async () => {
  store = await FileBlobStore.open(dir, { fsync: false });
  reader = new BlobReadThread(dir);
});

after(async () => {
  await reader.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('blob read thread', () => {
  it('reads what the blob store wrote: whole blobs, small and of 1 MiB, and heads', async () => {
    const small = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    const large = randomBytes(1024 * 1024);
    const [s, l] = await store.putMany([small, large]);
    assert.deepEqual(await reader.get(s!), small);
    assert.deepEqual(await reader.get(l!), large);
    assert.deepEqual(await reader.head(s!, 13), small.subarray(0, 13));
    assert.deepEqual(await reader.head(s!, 0), Buffer.alloc(0));
    assert.deepEqual(await reader.head(s!, 10_000), small, 'a head longer than the blob is the whole blob');
    assert.deepEqual(await reader.head(l!, 70_000), large.subarray(0, 70_000));
  });

  it('200 reads at once each get their own bytes', async () => {
    const blobs = Array.from({ length: 200 }, (_, i) => Buffer.from(`message ${i} `.repeat(1 + (i % 50))));
    const hashes = await store.putMany(blobs);
    const read = await Promise.all(hashes.map((h, i) => (i % 2 ? reader.get(h) : reader.head(h, 12))));
    read.forEach((bytes, i) => assert.deepEqual(bytes, i % 2 ? blobs[i] : blobs[i]!.subarray(0, 12)));
  });

  it('a missing blob fails with ENOENT; a name that is not a hash never reaches the file system', async () => {
    await assert.rejects(reader.get('0'.repeat(64)), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    await assert.rejects(reader.head('../../etc/passwd', 10), /not a blob hash/);
    // The thread still serves after a failure.
    const hash = await store.put(Buffer.from('still here'));
    assert.equal((await reader.get(hash)).toString(), 'still here');
  });

  it('after close, reads fail', async () => {
    const own = new BlobReadThread(dir);
    const hash = await store.put(Buffer.from('x'));
    assert.equal((await own.get(hash)).toString(), 'x');
    await own.close();
    await assert.rejects(own.get(hash), /closed/);
  });
});
