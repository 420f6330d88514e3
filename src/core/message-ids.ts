/*
 * Message-IDs in header values, for threading (OBJECTID THREADID): the
 * `<...>` msg-ids of Message-ID, In-Reply-To and References, and the
 * references of a header block.
 *
 * Exports: messageIdsIn, threadRefsOf, MAX_THREAD_REFS.
 * Security: header text comes from senders; the scan is linear, unfolded
 * fields are found with anchored patterns, and the result is capped in
 * number and in the length of each id.
 * Standards: RFC 5322 sections 3.6.4 (msg-id, In-Reply-To, References) and
 * 2.2.3 (folding).
 */

/** Message-IDs of one message used for threading: References chains are rarely longer; bounds the lookup. */
export const MAX_THREAD_REFS = 50;
/** A Message-ID longer than this is not a real one (RFC 5322 lines are 998 octets). */
const MAX_MESSAGE_ID_LENGTH = 998;

/** The `<...>` msg-ids of a header value, in order (comments and folding ignored); the last MAX_THREAD_REFS. */
export function messageIdsIn(value: string | null | undefined): string[] {
  if (!value) return [];
  const ids = value.match(/<[^<>\s]+>/g) ?? [];
  return ids.filter((id) => id.length <= MAX_MESSAGE_ID_LENGTH).slice(-MAX_THREAD_REFS);
}

const FIELD = (name: string) => new RegExp(`(?:^|\\r?\\n)${name}[ \\t]*:([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, 'i');
const IN_REPLY_TO = FIELD('in-reply-to');
const REFERENCES = FIELD('references');

/** In-Reply-To then References of a header block (latin1 text), without duplicates, at most MAX_THREAD_REFS. */
export function threadRefsOf(header: string): string[] {
  const ids = [...messageIdsIn(IN_REPLY_TO.exec(header)?.[1]), ...messageIdsIn(REFERENCES.exec(header)?.[1])];
  return [...new Set(ids)].slice(0, MAX_THREAD_REFS);
}
