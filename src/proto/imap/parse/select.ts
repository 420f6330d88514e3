/*
 * SELECT and EXAMINE mailbox [(CONDSTORE | QRESYNC (...))].
 *
 * Exports: parseSelect, SelectArgs, QresyncParams.
 * Security: parses untrusted client input through the bounded Reader.
 * Standards: RFC 9051 sections 6.3.2-6.3.3, RFC 7162 sections 3.1.8 and 3.2.5.
 */
import type { Reader, SequenceSet } from '../reader.js';

export interface QresyncParams {
  uidValidity: number;
  modSeq: bigint;
  knownUids: SequenceSet | null;
  /** Message sequence numbers and the matching UIDs the client knows. */
  seqMatch: { seqs: SequenceSet; uids: SequenceSet } | null;
}

export interface SelectArgs {
  mailbox: string;
  condstore: boolean;
  qresync: QresyncParams | null;
}

export function parseSelect(r: Reader): SelectArgs {
  r.sp();
  const mailbox = r.mailbox();
  const out: SelectArgs = { mailbox, condstore: false, qresync: null };
  if (r.maybeSp()) {
    r.list(() => {
      if (r.keyword('CONDSTORE')) out.condstore = true;
      else if (r.keyword('QRESYNC')) {
        r.sp();
        r.open();
        const uidValidity = r.nzNumber();
        r.sp();
        const modSeq = r.number64();
        let knownUids: SequenceSet | null = null;
        let seqMatch: QresyncParams['seqMatch'] = null;
        if (r.maybeSp()) {
          if (!r.is('(')) knownUids = r.sequenceSet();
          if (knownUids === null || r.maybeSp()) {
            r.open();
            const seqs = r.sequenceSet();
            r.sp();
            const uids = r.sequenceSet();
            r.close();
            seqMatch = { seqs, uids };
          }
        }
        r.close();
        out.qresync = { uidValidity, modSeq, knownUids, seqMatch };
      } else throw r.error('unknown select parameter');
    }, false);
  }
  return out;
}
