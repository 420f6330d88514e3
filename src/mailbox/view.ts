/*
 * A session's view of its selected mailbox: the UIDs it knows, in order,
 * so that message sequence number n is the n-th of them. Sequence sets
 * (with `*`) resolve against this view, never against the store, so the
 * numbers a client sees change only when this session is told of a change
 * (EXPUNGE, EXISTS).
 *
 * Exports: MailboxView, ViewSet, ViewRange, ResolvedMessage, SetResolution.
 * Security: sequence sets come from the client; resolving one is
 * O(ranges * log n + matches), the number of ranges is capped by the codec.
 * Standards: RFC 9051 sections 2.3.1.1, 2.3.1.2 and 9 (`seq-number`,
 * `sequence-set`: `*` is the largest number in use, `a:b` equals `b:a`),
 * RFC 5182 (`$` with no saved result is empty).
 */

/** A bound of a range: a number or `*`. */
export type ViewNumber = number | '*';
export interface ViewRange {
  from: ViewNumber;
  to: ViewNumber;
}
/** A sequence set as the codec parses it: `$` (saved result) or ranges. */
export type ViewSet = { kind: 'saved' } | { kind: 'ranges'; ranges: readonly ViewRange[] };

export interface ResolvedMessage {
  seq: number;
  uid: number;
}

export type SetResolution = { ok: true; messages: ResolvedMessage[] } | { ok: false; reason: 'bad-seq' };

export class MailboxView {
  private uids: number[];

  /** uids: the mailbox's UIDs when selected, in any order. */
  constructor(uids: readonly number[]) {
    this.uids = [...uids].sort((a, b) => a - b);
  }

  get count(): number {
    return this.uids.length;
  }

  /** UID of sequence number seq (1-based), or undefined. */
  uidAt(seq: number): number | undefined {
    return this.uids[seq - 1];
  }

  /** Sequence number of uid, or 0 when this view does not hold it. */
  seqOf(uid: number): number {
    const i = this.lowerBound(uid);
    return this.uids[i] === uid ? i + 1 : 0;
  }

  /** Every message, in order. */
  all(): ResolvedMessage[] {
    return this.uids.map((uid, i) => ({ seq: i + 1, uid }));
  }

  /**
   * The messages a set names, in sequence order, each once. By sequence
   * number a number beyond the mailbox is a client error (BAD); by UID
   * (uidMode) UIDs that do not exist are skipped, and `n:*` always
   * includes the highest UID (RFC 9051 6.4.8).
   */
  resolve(set: ViewSet, uidMode: boolean): SetResolution {
    if (set.kind === 'saved') return { ok: true, messages: [] };
    const n = this.uids.length;
    const picked = new Set<number>();
    for (const r of set.ranges) {
      if (uidMode) {
        const max = n ? this.uids[n - 1]! : 0;
        const a = r.from === '*' ? max : r.from;
        const b = r.to === '*' ? max : r.to;
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        for (let i = this.lowerBound(lo); i < n && this.uids[i]! <= hi; i++) picked.add(i);
      } else {
        const a = r.from === '*' ? n : r.from;
        const b = r.to === '*' ? n : r.to;
        if (a < 1 || b < 1 || a > n || b > n) return { ok: false, reason: 'bad-seq' };
        for (let i = Math.min(a, b); i <= Math.max(a, b); i++) picked.add(i - 1);
      }
    }
    return { ok: true, messages: [...picked].sort((x, y) => x - y).map((i) => ({ seq: i + 1, uid: this.uids[i]! })) };
  }

  /** Adds UIDs the session has announced (EXISTS); they are above every UID held. */
  append(uids: readonly number[]): void {
    for (const u of [...uids].sort((a, b) => a - b)) if (u > (this.uids[this.uids.length - 1] ?? 0)) this.uids.push(u);
  }

  /**
   * Removes UIDs the session is announcing as expunged; returns the
   * sequence numbers to send, highest first, so each stays valid as sent.
   */
  remove(uids: readonly number[]): number[] {
    const seqs = uids.map((u) => this.seqOf(u)).filter((s) => s > 0).sort((a, b) => b - a);
    const unique = seqs.filter((s, i) => i === 0 || s !== seqs[i - 1]);
    for (const s of unique) this.uids.splice(s - 1, 1);
    return unique;
  }

  private lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.uids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.uids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
