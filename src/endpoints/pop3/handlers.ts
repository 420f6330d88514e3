/*
 * The POP3 handler table: every command this server implements, with its
 * handler and whether it needs TLS. The codec's COMMAND_STATES says in
 * which state a command is allowed; the session enforces both in one place
 * (dispatch).
 *
 * Exports: HANDLERS, handlerFor.
 * Security: USER, PASS and AUTH carry requiresTls, so no credential is
 * read on a plaintext connection.
 * Standards: RFC 1939, RFC 2449, RFC 2595, RFC 5034.
 */
import type { Pop3CommandName } from '../../proto/pop3/index.js';
import type { HandlerSpec } from './context.js';
import { auth } from './commands/auth.js';
import { capa } from './commands/capa.js';
import { dele } from './commands/dele.js';
import { list } from './commands/list.js';
import { noop } from './commands/noop.js';
import { pass } from './commands/pass.js';
import { quit } from './commands/quit.js';
import { retr, top } from './commands/retr.js';
import { rset } from './commands/rset.js';
import { stat } from './commands/stat.js';
import { stls } from './commands/stls.js';
import { uidl } from './commands/uidl.js';
import { user } from './commands/user.js';

type Table = { [K in Pop3CommandName]: HandlerSpec<K> };

const open = <K extends Pop3CommandName>(handler: HandlerSpec<K>['handler']): HandlerSpec<K> => ({ handler, requiresTls: false });
const tlsOnly = <K extends Pop3CommandName>(handler: HandlerSpec<K>['handler']): HandlerSpec<K> => ({ handler, requiresTls: true });

export const HANDLERS: Table = {
  CAPA: open(capa),
  STLS: open(stls),
  USER: tlsOnly(user),
  PASS: tlsOnly(pass),
  AUTH: tlsOnly(auth),
  QUIT: open(quit),
  NOOP: open(noop),
  STAT: open(stat),
  LIST: open(list),
  UIDL: open(uidl),
  RETR: open(retr),
  TOP: open(top),
  DELE: open(dele),
  RSET: open(rset),
};

export function handlerFor(name: Pop3CommandName): HandlerSpec {
  return HANDLERS[name] as unknown as HandlerSpec;
}
