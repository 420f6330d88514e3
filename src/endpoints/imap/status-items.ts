/*
 * STATUS item values from the mailbox layer's counters, shared by STATUS
 * and LIST RETURN (STATUS ...).
 *
 * Exports: statusWanted, statusValues.
 * Security: output only; counts of the user's own mailbox.
 * Standards: RFC 9051 section 6.3.11, RFC 5819, RFC 8438, RFC 7162, RFC 7889, RFC 9208 (DELETED-STORAGE),
 * RFC 8474 (MAILBOXID), RFC 3501 (RECENT).
 */
import type { MailboxStatus, StatusWanted } from '../../mailbox/index.js';
import { MAX_LITERAL_BYTES, type ImapValue, type StatusItem } from '../../proto/imap/index.js';

export function statusWanted(items: readonly StatusItem[]): StatusWanted {
  return { unseen: items.includes('UNSEEN'), deleted: items.includes('DELETED') || items.includes('DELETED-STORAGE'), recent: items.includes('RECENT') };
}

/** Pairs in request order. */
export function statusValues(items: readonly StatusItem[], st: MailboxStatus): Array<[string, ImapValue]> {
  const out: Array<[string, ImapValue]> = [];
  for (const item of items) {
    switch (item) {
      case 'MESSAGES': out.push([item, st.messages]); break;
      case 'UIDNEXT': out.push([item, st.uidNext]); break;
      case 'UIDVALIDITY': out.push([item, st.uidValidity]); break;
      case 'UNSEEN': out.push([item, st.unseen]); break;
      case 'DELETED': out.push([item, st.deleted]); break;
      case 'SIZE': out.push([item, st.size]); break;
      case 'RECENT': out.push([item, st.recent]); break;
      case 'HIGHESTMODSEQ': out.push([item, st.highestModseq]); break;
      case 'APPENDLIMIT': out.push([item, MAX_LITERAL_BYTES]); break;
      // RFC 9208 4.2: in the units of STORAGE (1024 octets), rounded up so a \Deleted message never reads as 0.
      case 'DELETED-STORAGE': out.push([item, Math.ceil(st.deletedSize / 1024)]); break;
      case 'MAILBOXID': out.push([item, [{ atom: st.objectId }]]); break;
    }
  }
  return out;
}
