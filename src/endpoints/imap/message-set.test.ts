/*
 * toUidSet: the UID set handed to the store is compact (one range for a
 * contiguous `1:*`), so a large mailbox is one query parameter, not n.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toUidSet } from './message-set.js';

describe('toUidSet', () => {
  it('merges runs into ranges, keeps singletons, sorts and drops duplicates', () => {
    assert.deepEqual(toUidSet([5, 1, 2, 3, 9, 3, 10]), [[1, 3], 5, [9, 10]]);
    assert.deepEqual(toUidSet([]), []);
  });
  it('100,000 contiguous UIDs become one range', () => {
    assert.deepEqual(toUidSet(Array.from({ length: 100_000 }, (_, i) => i + 1)), [[1, 100_000]]);
  });
});
