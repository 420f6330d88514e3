/*
 * NOTIFY SET / NOTIFY NONE: which changes of which mailboxes the session
 * reports on its own, also between commands. SET replaces the previous
 * request; NONE turns notifications off. With STATUS, a STATUS response
 * for each mailbox the request names comes first.
 *
 * Exports: notify.
 * Security: the request is checked (notify.ts checkNotify) before anything
 * changes; only the account's own mailboxes are ever reported.
 * Standards: RFC 5465 sections 3 and 6 (BAD for forbidden combinations,
 * NO [BADEVENT] listing the supported events for the others).
 */
import type { Handler } from '../context.js';
import { checkNotify, SUPPORTED_EVENTS } from '../notify.js';

export const notify: Handler<'NOTIFY'> = async (s, cmd) => {
  if (cmd.args.kind === 'NONE') {
    s.setNotify(null);
    return s.tagged(cmd.tag, 'OK', 'NOTIFY completed, notifications off');
  }
  const check = checkNotify(cmd.args);
  if (!check.ok) {
    if (check.kind === 'BADEVENT') return s.tagged(cmd.tag, 'NO', 'Unsupported event', { code: 'BADEVENT', events: SUPPORTED_EVENTS });
    return s.tagged(cmd.tag, 'BAD', check.text);
  }
  const notifier = s.setNotify(check.spec);
  if (check.spec.status) await notifier?.initialStatus(s);
  s.tagged(cmd.tag, 'OK', 'NOTIFY completed');
};
