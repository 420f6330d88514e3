/*
 * RETR n and TOP n lines: the message (or its header and first lines of
 * body) from the blob store, dot-stuffed and sent in MESSAGE_CHUNK_BYTES
 * pieces, each written only once the unsent output is under
 * MAX_PENDING_OUTPUT_BYTES. RETR marks the message \Seen (Dovecot's
 * default too; TOP does not); the flag is written at QUIT with the
 * deletions, so a dropped session changes nothing.
 *
 * Exports: retr, top.
 * Security: one message's bytes are held at a time per session; a client
 * that pipelines RETRs without reading stalls at the output bound.
 * Standards: RFC 1939 section 5 (RETR), section 7 (TOP, optional) and
 * section 3 (byte-stuffing, termination octet).
 */
import { TERMINATOR, dotStuffChunks, messageTop } from '../../../proto/pop3/index.js';
import type { Handler, SessionApi } from '../context.js';
import { MESSAGE_CHUNK_BYTES } from '../limits.js';
import type { MaildropMessage } from '../maildrop.js';

async function sendMessage(s: SessionApi, m: MaildropMessage, status: string, select: (bytes: Buffer) => Buffer): Promise<boolean> {
  let bytes: Buffer;
  try {
    bytes = await s.mailboxes.messageBytes(m.record);
  } catch (err) {
    s.log.error('message-unreadable', { uid: m.record.uid, blob: m.record.blobHash, reason: err instanceof Error ? err.message : String(err) });
    s.err('Message is unavailable, try again later', 'SYS/TEMP');
    return false;
  }
  s.ok(status);
  for (const chunk of dotStuffChunks(select(bytes), MESSAGE_CHUNK_BYTES)) {
    s.send(chunk);
    if (!(await s.flush())) return false;
  }
  s.send(TERMINATOR);
  return true;
}

export const retr: Handler<'RETR'> = async (s, cmd) => {
  const m = s.maildrop.get(cmd.msg);
  if (!m) return s.err('No such message');
  if (await sendMessage(s, m, `${m.record.size} octets`, (b) => b)) m.retrieved = true;
};

export const top: Handler<'TOP'> = async (s, cmd) => {
  const m = s.maildrop.get(cmd.msg);
  if (!m) return s.err('No such message');
  await sendMessage(s, m, 'Top of message follows', (b) => messageTop(b, cmd.lines));
};
