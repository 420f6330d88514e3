/*
 * HAVESPACE name size: whether PUTSCRIPT of that size under that name
 * would fit now (size, script count, total storage).
 *
 * Exports: havespace.
 * Security: answers from the limits and the user's own usage only.
 * Standards: RFC 5804 section 2.5.
 */
import type { Handler } from '../context.js';
import { newName } from './names.js';
import { refuseSpace } from './quota.js';

export const havespace: Handler<'HAVESPACE'> = async (s, cmd) => {
  const name = newName(s, cmd.script);
  if (name === undefined) return;
  const outcome = await s.scripts.haveSpace(s.account.id, name, cmd.size);
  if (outcome === 'ok') s.ok('Putscript would succeed');
  else refuseSpace(s, outcome);
};
