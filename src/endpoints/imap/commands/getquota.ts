/*
 * GETQUOTA root: the usage and limits of a quota root. Only "" (the
 * account) exists, and only when the account has a quota.
 *
 * Exports: getquota.
 * Security: the logged-in account's own quota only; any other root name
 * answers NO [NONEXISTENT] whether or not another user has one.
 * Standards: RFC 9208 section 4.2.
 */
import { encodeQuota } from '../../../proto/imap/index.js';
import type { Handler } from '../context.js';
import { QUOTA_ROOT, accountQuota } from '../quota.js';

export const getquota: Handler<'GETQUOTA'> = async (s, cmd) => {
  const resources = cmd.args.root === QUOTA_ROOT ? await accountQuota(s) : null;
  if (!resources) return s.tagged(cmd.tag, 'NO', 'No such quota root', { code: 'NONEXISTENT' });
  s.send(encodeQuota(QUOTA_ROOT, resources));
  s.tagged(cmd.tag, 'OK', 'GETQUOTA completed');
};
