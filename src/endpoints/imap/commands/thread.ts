/*
 * THREAD and UID THREAD: the messages matching the search keys, grouped
 * into threads by ORDEREDSUBJECT or REFERENCES (mailbox/thread.ts) over
 * the keys stored at delivery.
 *
 * Exports: thread, THREAD_ALGORITHMS.
 * Security: the search is bounded as SEARCH's; threading never links a
 * loop (see mailbox/thread.ts).
 * Standards: RFC 5256 sections 3 and 4 (`* THREAD` response); the sent
 * date falls back to the internal date (section 2.2).
 */
import { threadOrderedSubject, threadReferences, type ThreadItem } from '../../../mailbox/index.js';
import { encodeThread } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';
import { checkKeys, runSearch } from './search.js';
import { sortKeysOf } from './sort.js';

export const THREAD_ALGORITHMS = ['ORDEREDSUBJECT', 'REFERENCES'] as const;

export const thread: Handler<'THREAD'> = async (s, cmd) => {
  const selected = s.selected!;
  const { algorithm, charset, query } = cmd.args;
  if (!(THREAD_ALGORITHMS as readonly string[]).includes(algorithm)) return s.tagged(cmd.tag, 'BAD', 'Unsupported threading algorithm');
  if (!checkKeys(s, cmd.tag, charset, query)) return;
  const result = await runSearch(s, selected, query);
  const items: ThreadItem[] = (await sortKeysOf(s, selected, result.messages)).map((k) => ({
    id: cmd.uid ? k.record.uid : k.seq,
    seq: k.seq,
    date: k.sentDate ?? k.internalDate,
    subject: k.subject,
    messageId: k.messageId,
    references: k.references,
    inReplyTo: k.inReplyTo,
  }));
  const threads = algorithm === 'REFERENCES' ? threadReferences(items) : threadOrderedSubject(items);
  s.send(encodeThread(threads));
  s.tagged(cmd.tag, 'OK', `${cmd.uid ? 'UID THREAD' : 'THREAD'} completed`);
};
