/*
 * GETQUOTAROOT mailbox: the quota roots of a mailbox (the account's root
 * "" for every mailbox, none when the account has no quota), each followed
 * by its QUOTA response.
 *
 * Exports: getquotaroot.
 * Security: the logged-in account's own mailboxes only.
 * Standards: RFC 9208 section 4.3.
 */
import { encodeQuota, encodeQuotaRoot } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';
import { QUOTA_ROOT, accountQuota } from '../quota.js';

export const getquotaroot: Handler<'GETQUOTAROOT'> = async (s, cmd) => {
  const mailbox = await s.mailboxes.get(cmd.args.mailbox);
  if (!mailbox) return s.tagged(cmd.tag, 'NO', 'No such mailbox', { code: 'NONEXISTENT' });
  const resources = await accountQuota(s);
  s.send(encodeQuotaRoot(mailbox.name, resources ? [QUOTA_ROOT] : [], s.encoder));
  if (resources) s.send(encodeQuota(QUOTA_ROOT, resources));
  s.tagged(cmd.tag, 'OK', 'GETQUOTAROOT completed');
};
