/*
 * Tests of the UID-set and flag helpers the SQL repositories share.
 *
 * Security: test code; covers the bound on parameters per statement.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inUidSet, normaliseFlags, normaliseUidSet, uidWhere } from './uid-set.js';

describe('UID sets', () => {
  it('merges overlapping, adjacent and reversed ranges in order', () => {
    assert.deepEqual(normaliseUidSet([9, [3, 1], [4, 5], [7, 8], 20]), [[1, 5], [7, 9], [20, 20]]);
    assert.deepEqual(normaliseUidSet([]), []);
  });

  it('binds every value and matches nothing for an empty set', () => {
    assert.deepEqual(uidWhere([[1, 5], [7, 7]]), { sql: '(uid BETWEEN ? AND ? OR uid = ?)', params: [1, 5, 7] });
    assert.deepEqual(uidWhere([]), { sql: '1 = 0', params: [] });
  });

  it('leaves a set of many ranges to the in-memory filter (no statement with thousands of parameters)', () => {
    const ranges = normaliseUidSet(Array.from({ length: 5000 }, (_, i) => 2 * i + 1));
    assert.equal(uidWhere(ranges), null);
    assert.equal(inUidSet(ranges, 9999), true);
    assert.equal(inUidSet(ranges, 5000), false);
    assert.equal(inUidSet(ranges, 10001), false);
  });
});

describe('flag normalisation', () => {
  it('spells system flags as the RFC does, drops duplicates case-insensitively and never stores \\Recent', () => {
    assert.deepEqual(normaliseFlags(['\\SEEN', '$Junk', '\\recent', '$junk', '\\Seen', '', '\\draft']), ['\\Seen', '$Junk', '\\Draft']);
  });
});
