/*
 * OBJECTID message identifiers (RFC 8474) as the SQL repositories assign
 * them. EMAILID comes from the content hash, so a copy, a move or a second
 * delivery of the same bytes has the same one. THREADID is chosen when a
 * message is stored: the thread of an earlier message of the same account
 * with the same Message-ID or one the new message refers to (In-Reply-To,
 * References), or else a new thread named after this message, as Gmail
 * and Fastmail thread. A THREADID never changes afterwards (RFC 8474 5.2),
 * so a reply stored before its parent keeps a thread of its own.
 *
 * Exports: emailIdOf, threadIdFor.
 * Security: Message-IDs come from senders; they are bound values, capped
 * in number (MAX_THREAD_REFS) and length, and only compared within the
 * recipient's own account.
 * Standards: RFC 8474 sections 5.1-5.2, RFC 5322 section 3.6.4.
 */
import { MAX_THREAD_REFS, messageIdsIn } from '../../core/message-ids.js';
import type { SqlExecutor } from './driver.js';

/** EMAILID: `M` and the blob's SHA-256 (whole: a prefix could collide across different messages). */
export const emailIdOf = (blobHash: string): string => `M${blobHash}`;

/** A new thread is named after its first message's content. */
const newThreadId = (blobHash: string): string => `T${blobHash}`;

/** In-Reply-To from a stored MIME index (JSON), for callers that pass no references. */
function refsFromIndex(indexJson: string): string[] {
  try {
    const index = JSON.parse(indexJson) as { envelope?: { inReplyTo?: string | null } };
    return messageIdsIn(index.envelope?.inReplyTo);
  } catch {
    return [];
  }
}

/**
 * The THREADID for a message being stored in an account: an existing
 * message's thread with the same Message-ID or one of refs, else a new one.
 */
export async function threadIdFor(
  tx: SqlExecutor,
  accountId: number,
  blob: { hash: string; index: string },
  messageId: string | null,
  refs: readonly string[] | undefined,
): Promise<string> {
  const ids = [...messageIdsIn(messageId).slice(0, 1), ...(refs ?? refsFromIndex(blob.index)).slice(-MAX_THREAD_REFS)];
  if (ids.length === 0) return newThreadId(blob.hash);
  const row = await tx.get<{ thread_id: string }>(
    `SELECT m.thread_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE b.account_id = ? AND m.message_id IN (${ids.map(() => '?').join(', ')}) AND m.thread_id IS NOT NULL LIMIT 1`,
    [accountId, ...ids],
  );
  return row?.thread_id ?? newThreadId(blob.hash);
}
