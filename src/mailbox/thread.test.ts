/*
 * Table tests of the RFC 5256 pure functions: base subject extraction,
 * SORT ordering, ORDEREDSUBJECT and REFERENCES threading.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeThread } from '../proto/imap/index.js';
import { baseSubject, casemap } from './base-subject.js';
import { sortItems, type SortItem } from './sort.js';
import { MAX_THREAD_DEPTH, parseMessageIds, threadOrderedSubject, threadReferences, type ThreadItem } from './thread.js';

describe('baseSubject (RFC 5256 2.1)', () => {
  const cases: [string, string, boolean][] = [
    ['Hello', 'Hello', false],
    ['Re: Hello', 'Hello', true],
    ['RE: re: Hello', 'Hello', true],
    ['Fw: Hello', 'Hello', true],
    ['FWD: Hello', 'Hello', true],
    ['Re[2]: Hello', 'Hello', true],
    ['[list] Re: Hello', 'Hello', true],
    ['Re: [list] Hello', 'Hello', true],
    ['[list] Hello', 'Hello', false],
    ['[list]', '[list]', false],
    ['[a] [b]', '[b]', false],
    ['Hello (fwd)', 'Hello', true],
    ['Hello (FWD) (fwd)  ', 'Hello', true],
    ['[Fwd: Re: Hello]', 'Hello', true],
    ['[fwd: [fwd: Hello]]', 'Hello', true],
    ['  Re:   Hello\t  world  ', 'Hello world', true],
    ['Reply: Hello', 'Reply: Hello', false],
    ['', '', false],
    ['Re:', '', true],
  ];
  for (const [input, base, reply] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(base)}`, () => {
      assert.deepEqual(baseSubject(input), { base, isReplyOrForward: reply });
    });
  }
  it('casemap upper-cases ASCII letters only', () => {
    assert.equal(casemap('abc-Äé xyz'), 'ABC-Äé XYZ');
  });
});

const item = (seq: number, over: Partial<SortItem> = {}): SortItem => ({
  seq, internalDate: seq * 1000, size: 100, sentDate: null, subject: '', fromMailbox: null, toMailbox: null, ccMailbox: null, ...over,
});

describe('sortItems (RFC 5256 3)', () => {
  const items = [
    item(1, { size: 300, subject: 'Re: banana', fromMailbox: 'zed', sentDate: 5000 }),
    item(2, { size: 100, subject: 'apple', fromMailbox: 'Amy', sentDate: null }),
    item(3, { size: 200, subject: 'Banana', fromMailbox: 'amy', sentDate: 1000, ccMailbox: 'x' }),
    item(4, { size: 100, subject: '[list] cherry', fromMailbox: null, sentDate: 2500 }),
  ];
  const order = (c: Parameters<typeof sortItems>[1]) => sortItems(items, c).map((i) => i.seq).join(' ');
  it('ARRIVAL, SIZE with the sequence as tie-break, REVERSE not flipping the tie-break', () => {
    assert.equal(order([{ key: 'ARRIVAL', reverse: false }]), '1 2 3 4');
    assert.equal(order([{ key: 'ARRIVAL', reverse: true }]), '4 3 2 1');
    assert.equal(order([{ key: 'SIZE', reverse: false }]), '2 4 3 1');
    assert.equal(order([{ key: 'SIZE', reverse: true }]), '1 3 2 4');
  });
  it('DATE falls back to the internal date', () => {
    // sent: 1 -> 5000, 2 -> (internal 2000), 3 -> 1000, 4 -> 2500
    assert.equal(order([{ key: 'DATE', reverse: false }]), '3 2 4 1');
  });
  it('SUBJECT uses the base subject and i;ascii-casemap', () => {
    assert.equal(order([{ key: 'SUBJECT', reverse: false }]), '2 1 3 4');
    assert.equal(order([{ key: 'SUBJECT', reverse: false }, { key: 'SIZE', reverse: true }]), '2 1 3 4');
    assert.equal(order([{ key: 'SUBJECT', reverse: false }, { key: 'SIZE', reverse: false }]), '2 3 1 4');
  });
  it('FROM and CC compare the addr-mailbox, missing as empty', () => {
    assert.equal(order([{ key: 'FROM', reverse: false }]), '4 2 3 1');
    assert.equal(order([{ key: 'CC', reverse: true }]), '3 1 2 4');
  });
});

const t = (id: number, subject: string, date: number, messageId: string | null, references: string | null = null, inReplyTo: string | null = null): ThreadItem =>
  ({ id, seq: id, date, subject, messageId, references, inReplyTo });
const wire = (threads: ReturnType<typeof threadReferences>) => encodeThread(threads).toString().trim();

describe('threadOrderedSubject (RFC 5256 3)', () => {
  it('groups by base subject, first message the parent, threads by date of their first', () => {
    const items = [t(1, 'b', 10, null), t(2, 'a', 5, null), t(3, 'Re: b', 20, null), t(4, 'Re: a', 1, null), t(5, 'RE: b', 15, null), t(6, 'c', 30, null)];
    assert.equal(wire(threadOrderedSubject(items)), '* THREAD (4 2)(1 (5)(3))(6)');
  });
  it('an empty list gives no threads', () => {
    assert.equal(wire(threadOrderedSubject([])), '* THREAD');
  });
});

describe('threadReferences (RFC 5256 3)', () => {
  it('links by References, sorts children by date', () => {
    const items = [
      t(1, 'root', 1, '<a@x>'),
      t(2, 'Re: root', 3, '<b@x>', '<a@x>'),
      t(3, 'Re: root', 2, '<c@x>', '<a@x>'),
      t(4, 'Re: Re: root', 4, '<d@x>', '<a@x> <c@x>'),
      t(5, 'other', 5, '<e@x>'),
    ];
    assert.equal(wire(threadReferences(items)), '* THREAD (1 (3 4)(2))(5)');
  });
  it('uses In-Reply-To when there are no References', () => {
    const items = [t(1, 'q', 1, '<a@x>'), t(2, 'answer', 2, '<b@x>', null, '<a@x> (comment)')];
    assert.equal(wire(threadReferences(items)), '* THREAD (1 2)');
  });
  it('a missing parent becomes a dummy: siblings under it stay together at the top', () => {
    const items = [t(1, 'x one', 1, '<b@x>', '<missing@x>'), t(2, 'x two', 2, '<c@x>', '<missing@x>')];
    assert.equal(wire(threadReferences(items)), '* THREAD ((1)(2))');
  });
  it('a dummy with one child is replaced by the child', () => {
    const items = [t(1, 'y', 1, '<b@x>', '<missing@x>')];
    assert.equal(wire(threadReferences(items)), '* THREAD (1)');
  });
  it('merges top-level threads by base subject: a reply goes under the original', () => {
    const items = [t(1, 'Lunch', 1, '<a@x>'), t(2, 'Re: Lunch', 2, '<b@x>')];
    assert.equal(wire(threadReferences(items)), '* THREAD (1 2)');
  });
  it('two non-replies of equal subject get a dummy parent', () => {
    const items = [t(1, 'Lunch', 1, '<a@x>'), t(2, 'lunch', 2, '<b@x>')];
    assert.equal(wire(threadReferences(items)), '* THREAD ((1)(2))');
  });
  it('duplicate and missing Message-IDs get unique ones, and reference loops are not linked', () => {
    const items = [
      t(1, 's1', 1, '<a@x>', '<b@x>'),
      t(2, 's2', 2, '<b@x>', '<a@x>'),
      t(3, 's3', 3, '<a@x>'),
      t(4, 's4', 4, null),
    ];
    const out = wire(threadReferences(items));
    // 1 is linked under 2 first; linking 2 under 1 would then be a loop.
    assert.equal(out, '* THREAD (2 1)(3)(4)');
  });
  it('hostile: a deeply branching reply tree is answered without exhausting the stack', () => {
    // Each message has two replies; the second replies again: depth grows by one per pair.
    const items: ThreadItem[] = [t(1, 's', 1, '<n1@x>')];
    let parent = 'n1';
    const pairs = 5000;
    for (let i = 0; i < pairs; i++) {
      const leaf = 2 + i * 2;
      items.push(t(leaf, 's', leaf, `<leaf${i}@x>`, `<${parent}@x>`));
      items.push(t(leaf + 1, 's', leaf + 1, `<n${leaf + 1}@x>`, `<${parent}@x>`));
      parent = `n${leaf + 1}`;
    }
    const threads = threadReferences(items);
    assert.equal(threads.length, 1);
    const ids: number[] = [];
    let depth = 0;
    const walk = (n: unknown, d: number): void => {
      if (typeof n === 'number') ids.push(n);
      else {
        depth = Math.max(depth, d);
        for (const x of n as unknown[]) walk(x, d + 1);
      }
    };
    walk(threads[0], 0);
    assert.equal(ids.length, items.length, 'every message is in the answer once');
    assert.equal(new Set(ids).size, items.length);
    assert.ok(depth <= MAX_THREAD_DEPTH + 2, `depth ${depth}`);
    assert.ok(encodeThread(threads).length > 0);
  });

  it('many subjects shared by two unrelated messages merge in linear time', () => {
    const pairs = 20000;
    const items: ThreadItem[] = [];
    for (let i = 0; i < pairs * 2; i++) items.push(t(i + 1, `subject ${i % pairs}`, i, `<u${i}@x>`));
    const started = performance.now();
    const threads = threadReferences(items);
    assert.ok(performance.now() - started < 3000, `took ${performance.now() - started} ms`);
    assert.equal(threads.length, pairs);
    assert.deepEqual(threads[0], [[1], [1 + pairs]]);
  });

  it('parseMessageIds keeps the ids in order and caps them', () => {
    assert.deepEqual(parseMessageIds('<a@x> junk <b@y>\r\n <c@z>'), ['a@x', 'b@y', 'c@z']);
    assert.deepEqual(parseMessageIds('<a@x><b@y>', 1), ['a@x']);
    assert.deepEqual(parseMessageIds(null), []);
  });
});
