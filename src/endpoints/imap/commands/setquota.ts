/*
 * SETQUOTA: always refused. Quotas are the operator's (`petrel user
 * quota`), so the QUOTASET capability is not advertised.
 *
 * Exports: setquota.
 * Security: a user can never raise their own limit.
 * Standards: RFC 9208 section 4.1 (SETQUOTA is optional; without QUOTASET
 * the server answers NO).
 */
import type { Handler } from '../context.js';

export const setquota: Handler<'SETQUOTA'> = (s, cmd) => {
  s.tagged(cmd.tag, 'NO', 'Quotas are set by the administrator', { code: 'NOPERM' });
};
