/*
 * CLOSE: expunges the \Deleted messages of a read-write mailbox silently,
 * then leaves the selected state.
 *
 * Exports: close.
 * Security: acts on the selected mailbox of the logged-in account only.
 * Standards: RFC 9051 section 6.4.1.
 */
import type { Handler } from '../context.js';

export const close: Handler<'CLOSE'> = async (s, cmd) => {
  const selected = s.selected;
  if (selected && !selected.readOnly) await s.mailboxes.expungeDeleted(selected.record);
  s.select(undefined);
  s.tagged(cmd.tag, 'OK', 'CLOSE completed');
};
