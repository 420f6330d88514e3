/*
 * Which key an issuance uses, and whether a new next key is made: the
 * bookkeeping of DANE key rollover, pure.
 *
 * - A rollover (asked for, or pending from a failed attempt) uses the next
 *   key, which becomes current, and makes a new next key. Without a next
 *   key there is nothing to roll to: the current key is kept.
 * - A first certificate uses the next key when one exists (made by
 *   daneKeys() so its TLSA could be published first), else a new key.
 * - Otherwise the current key is kept (a renewal must not break TLSA
 *   3 1 1), and a next key is made when there is none or when the
 *   configured key type changed (so the next rollover changes the type).
 *
 * Exports: planKeys, KeyPlan.
 *
 * Security: none (decides over booleans).
 * Standards: RFC 7671 section 8.1 (publish the next key's TLSA first, then
 * switch), RFC 6698 (3 1 1 pins the SubjectPublicKeyInfo).
 */

export interface KeyPlan {
  use: 'current' | 'next' | 'new';
  /** The key changed from a current one to the next one. */
  rolledOver: boolean;
  /** Make (and write) a new next key after the certificate is written. */
  makeNext: boolean;
}

export function planKeys(disk: { hasCurrent: boolean; hasNext: boolean; nextTypeMatches: boolean; rolloverPending: boolean }, roll: boolean): KeyPlan {
  if ((roll || disk.rolloverPending) && disk.hasNext && disk.hasCurrent) return { use: 'next', rolledOver: true, makeNext: true };
  if (!disk.hasCurrent && disk.hasNext) return { use: 'next', rolledOver: false, makeNext: true };
  return { use: disk.hasCurrent ? 'current' : 'new', rolledOver: false, makeNext: !disk.hasNext || !disk.nextTypeMatches };
}
