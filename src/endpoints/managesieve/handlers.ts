/*
 * The ManageSieve handler table: every command this server implements,
 * with its handler and whether it needs TLS. The codec's COMMAND_STATES
 * says in which state a command is allowed; the session enforces both in
 * one place (dispatch).
 *
 * Exports: HANDLERS, handlerFor.
 * Security: AUTHENTICATE carries requiresTls, so no credential is read on
 * a plaintext connection.
 * Standards: RFC 5804 section 2.
 */
import type { ManageSieveCommandName } from '../../proto/managesieve/index.js';
import type { HandlerSpec } from './context.js';
import { authenticate } from './commands/authenticate.js';
import { capability } from './commands/capability.js';
import { checkscript } from './commands/checkscript.js';
import { deletescript } from './commands/deletescript.js';
import { getscript } from './commands/getscript.js';
import { havespace } from './commands/havespace.js';
import { listscripts } from './commands/listscripts.js';
import { logout } from './commands/logout.js';
import { noop } from './commands/noop.js';
import { putscript } from './commands/putscript.js';
import { renamescript } from './commands/renamescript.js';
import { setactive } from './commands/setactive.js';
import { starttls } from './commands/starttls.js';
import { unauthenticate } from './commands/unauthenticate.js';

type Table = { [K in ManageSieveCommandName]: HandlerSpec<K> };

const open = <K extends ManageSieveCommandName>(handler: HandlerSpec<K>['handler']): HandlerSpec<K> => ({ handler, requiresTls: false });
const tlsOnly = <K extends ManageSieveCommandName>(handler: HandlerSpec<K>['handler']): HandlerSpec<K> => ({ handler, requiresTls: true });

export const HANDLERS: Table = {
  AUTHENTICATE: tlsOnly(authenticate),
  STARTTLS: open(starttls),
  CAPABILITY: open(capability),
  LOGOUT: open(logout),
  NOOP: open(noop),
  UNAUTHENTICATE: open(unauthenticate),
  LISTSCRIPTS: open(listscripts),
  HAVESPACE: open(havespace),
  PUTSCRIPT: open(putscript),
  CHECKSCRIPT: open(checkscript),
  GETSCRIPT: open(getscript),
  SETACTIVE: open(setactive),
  DELETESCRIPT: open(deletescript),
  RENAMESCRIPT: open(renamescript),
};

export function handlerFor(name: ManageSieveCommandName): HandlerSpec {
  return HANDLERS[name] as unknown as HandlerSpec;
}
