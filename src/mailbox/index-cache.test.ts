/*
 * The parsed-index cache: hits return the same object, the least recently
 * used entries leave first once the JSON byte budget is exceeded, and an
 * index larger than the whole budget is never held.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageIndex } from '../mime/index.js';
import { IndexCache } from './index-cache.js';

const fake = (n: number) => ({ v: 1, n }) as unknown as MessageIndex;

describe('IndexCache', () => {
  it('returns what was stored, and nothing for an unknown hash', () => {
    const c = new IndexCache(100);
    const a = fake(1);
    c.set('a', a, 10);
    assert.equal(c.get('a'), a);
    assert.equal(c.get('b'), undefined);
  });

  it('evicts the least recently used entries past the byte budget', () => {
    const c = new IndexCache(30);
    c.set('a', fake(1), 10);
    c.set('b', fake(2), 10);
    c.set('c', fake(3), 10);
    c.get('a'); // a is now the most recent; b the least
    c.set('d', fake(4), 10);
    assert.equal(c.get('b'), undefined);
    assert.ok(c.get('a') && c.get('c') && c.get('d'));
    assert.equal(c.size, 3);
  });

  it('does not hold an index larger than the budget, and re-setting replaces the weight', () => {
    const c = new IndexCache(30);
    c.set('huge', fake(1), 31);
    assert.equal(c.get('huge'), undefined);
    c.set('a', fake(1), 20);
    c.set('a', fake(2), 5);
    c.set('b', fake(3), 25);
    assert.equal((c.get('a') as unknown as { n: number }).n, 2);
    assert.ok(c.get('b'));
  });
});
