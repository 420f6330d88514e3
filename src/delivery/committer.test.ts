/*
 * Group commit's contract, against fakes that record the order of events:
 * no acknowledgement before its blob and its transaction are durable;
 * messages ready together share one transaction; a failure fails only the
 * messages it concerns.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../telemetry/logger.js';
import type { BlobStore } from '../store/blob/files.js';
import { sha256 } from '../store/blob/files.js';
import type { AtomicDeliveryResult, DeliveryRequest, DeliveryResult, DeliveryStore } from '../store/types.js';
import { Committer, type CommitItem } from './committer.js';

const logger = createLogger({ level: 'error', write: () => {} });

/** A blob store whose puts finish when the test says so. */
class ManualBlobs implements BlobStore {
  events: string[] = [];
  private waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  put(bytes: Buffer): Promise<string> {
    const name = bytes.toString();
    return new Promise<void>((resolve, reject) => this.waiting.set(name, { resolve, reject })).then(() => {
      this.events.push(`blob ${name}`);
      return sha256(bytes);
    });
  }
  finish(name: string): void {
    this.waiting.get(name)!.resolve();
  }
  fail(name: string): void {
    this.waiting.get(name)!.reject(new Error('disk full'));
  }
  async putMany(list: readonly Buffer[]): Promise<string[]> {
    return Promise.all(list.map((b) => this.put(b)));
  }
  get = async (): Promise<Buffer> => Buffer.alloc(0);
  has = async (): Promise<boolean> => true;
  remove = async (): Promise<void> => {};
}

class RecordingDeliveries implements DeliveryStore {
  batches: string[][] = [];
  failNext = false;
  constructor(private readonly events: string[]) {}
  async commit(requests: readonly DeliveryRequest[]): Promise<DeliveryResult[]> {
    const ids = requests.map((r) => r.queueId);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database is locked');
    }
    this.batches.push(ids);
    this.events.push(`commit ${ids.join(',')}`);
    return requests.map(() => ({ local: [{ ok: true, mailboxId: 1, uidValidity: 1, uid: 1, modseq: 2 }] }));
  }
  async commitAtomic(requests: readonly DeliveryRequest[]): Promise<AtomicDeliveryResult> {
    const ids = requests.map((r) => r.queueId);
    this.batches.push(['atomic', ...ids]);
    this.events.push(`atomic ${ids.join(',')}`);
    return { committed: true, results: requests.map(() => ({ local: [{ ok: true, mailboxId: 1, uidValidity: 1, uid: 1, modseq: 2 }] })) };
  }
}

const item = (name: string): CommitItem => ({
  bytes: Buffer.from(name),
  index: '{}',
  request: { internalDate: 0, messageId: null, queueId: name, local: [{ accountId: 1, mailbox: 'INBOX', enforceQuota: false }] },
});

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('acknowledges a message only after its blob and the transaction holding it', async () => {
    const blobs = new ManualBlobs();
    const deliveries = new RecordingDeliveries(blobs.events);
    const committer = new Committer(blobs, deliveries, logger);
    let acked = false;
    const done = committer.commit(item('a')).then(() => {
      acked = true;
      blobs.events.push('ack a');
    });
    await turn();
    assert.equal(acked, false, 'no acknowledgement while the blob is being written');
    blobs.finish('a');
    await done;
    assert.deepEqual(blobs.events, ['blob a', 'commit a', 'ack a']);
  });

  it('puts the messages whose blobs finish together into one transaction', async () => {
    const blobs = new ManualBlobs();
    const deliveries = new RecordingDeliveries(blobs.events);
    const committer = new Committer(blobs, deliveries, logger);
    const all = ['a', 'b', 'c'].map((n) => committer.commit(item(n)));
    for (const n of ['a', 'b', 'c']) blobs.finish(n);
    await Promise.all(all);
    assert.deepEqual(deliveries.batches, [['a', 'b', 'c']]);
  });

  it('fails only the message whose blob could not be written', async () => {
    const blobs = new ManualBlobs();
    const deliveries = new RecordingDeliveries(blobs.events);
    const committer = new Committer(blobs, deliveries, logger);
    const a = committer.commit(item('a'));
    const b = committer.commit(item('b'));
    blobs.fail('a');
    blobs.finish('b');
    await assert.rejects(a, /disk full/);
    await b;
    assert.deepEqual(deliveries.batches, [['b']]);
  });

  it('fails every message of a failed transaction and none of the next', async () => {
    const blobs = new ManualBlobs();
    const deliveries = new RecordingDeliveries(blobs.events);
    const committer = new Committer(blobs, deliveries, logger);
    deliveries.failNext = true;
    const first = [committer.commit(item('a')), committer.commit(item('b'))];
    blobs.finish('a');
    blobs.finish('b');
    for (const p of first) await assert.rejects(p, /database is locked/);
    const c = committer.commit(item('c'));
    blobs.finish('c');
    await c;
    assert.deepEqual(deliveries.batches, [['c']]);
  });

  it('commits an all-or-nothing group only after every blob of it, in a transaction of its own', async () => {
    const blobs = new ManualBlobs();
    const deliveries = new RecordingDeliveries(blobs.events);
    const committer = new Committer(blobs, deliveries, logger);
    const group = committer.commitAll([item('g1'), item('g2')]);
    const single = committer.commit(item('s'));
    blobs.finish('g1');
    blobs.finish('s');
    await single;
    await turn();
    assert.deepEqual(deliveries.batches, [['s']], 'the group waits for its last blob');
    blobs.finish('g2');
    const r = await group;
    assert.equal(r.committed, true);
    assert.deepEqual(deliveries.batches, [['s'], ['atomic', 'g1', 'g2']]);
  });

  it('fails the whole group when one of its blobs cannot be written', async () => {
    const blobs = new ManualBlobs();
    const deliveries = new RecordingDeliveries(blobs.events);
    const committer = new Committer(blobs, deliveries, logger);
    const group = committer.commitAll([item('g1'), item('g2')]);
    blobs.finish('g1');
    blobs.fail('g2');
    await assert.rejects(group, /disk full/);
    await committer.idle();
    assert.deepEqual(deliveries.batches, []);
  });

  it('idle() waits for messages still writing their blobs', async () => {
    const blobs = new ManualBlobs();
    const deliveries = new RecordingDeliveries(blobs.events);
    const committer = new Committer(blobs, deliveries, logger);
    const a = committer.commit(item('a'));
    let idle = false;
    const waiting = committer.idle().then(() => (idle = true));
    await turn();
    assert.equal(idle, false);
    blobs.finish('a');
    await a;
    await waiting;
    assert.equal(idle, true);
  });
});
