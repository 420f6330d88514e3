/*
 * DANE key rollover bookkeeping as a table: which key an issuance uses
 * and when a new next key is made, for every combination of what is on
 * disk, a pending rollover and a rollover asked for. The invariant behind
 * it: the served key changes only to a next key (whose TLSA could be
 * published first), never to a key nobody saw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planKeys, type KeyPlan } from './rollover.js';

const disk = (hasCurrent: boolean, hasNext: boolean, extra: { pending?: boolean; typeMatches?: boolean } = {}) => ({
  hasCurrent,
  hasNext,
  nextTypeMatches: hasNext && (extra.typeMatches ?? true),
  rolloverPending: extra.pending ?? false,
});

describe('planKeys', () => {
  const table: { what: string; disk: ReturnType<typeof disk>; roll: boolean; plan: KeyPlan }[] = [
    { what: 'a renewal keeps the current key and the next key', disk: disk(true, true), roll: false, plan: { use: 'current', rolledOver: false, makeNext: false } },
    { what: 'a renewal without a next key makes one', disk: disk(true, false), roll: false, plan: { use: 'current', rolledOver: false, makeNext: true } },
    { what: 'a rollover uses the next key and makes a new next one', disk: disk(true, true), roll: true, plan: { use: 'next', rolledOver: true, makeNext: true } },
    { what: 'a pending rollover (an earlier attempt failed) is carried out by the renewal', disk: disk(true, true, { pending: true }), roll: false, plan: { use: 'next', rolledOver: true, makeNext: true } },
    { what: 'a rollover with no next key keeps the current key (nothing was published to roll to)', disk: disk(true, false), roll: true, plan: { use: 'current', rolledOver: false, makeNext: true } },
    { what: 'a first certificate takes the next key made (and perhaps published) before it', disk: disk(false, true), roll: false, plan: { use: 'next', rolledOver: false, makeNext: true } },
    { what: 'a first certificate with no key at all gets a new one and a next one', disk: disk(false, false), roll: false, plan: { use: 'new', rolledOver: false, makeNext: true } },
    { what: 'a changed key type replaces the next key, never the current one', disk: disk(true, true, { typeMatches: false }), roll: false, plan: { use: 'current', rolledOver: false, makeNext: true } },
    { what: 'a crash after privkey.pem was replaced by the next key: the same key again, then a new next', disk: disk(true, true, { pending: true }), roll: false, plan: { use: 'next', rolledOver: true, makeNext: true } },
  ];
  for (const row of table) it(row.what, () => assert.deepEqual(planKeys(row.disk, row.roll), row.plan));

  it('the served key never changes to a key that was not the next key', () => {
    for (const hasCurrent of [true, false]) {
      for (const hasNext of [true, false]) {
        for (const pending of [true, false]) {
          for (const roll of [true, false]) {
            const plan = planKeys(disk(hasCurrent, hasNext, { pending }), roll);
            if (hasCurrent) assert.notEqual(plan.use, 'new', JSON.stringify({ hasCurrent, hasNext, pending, roll }));
            if (plan.use === 'next') assert.ok(plan.makeNext, 'a used next key is replaced');
          }
        }
      }
    }
  });
});
