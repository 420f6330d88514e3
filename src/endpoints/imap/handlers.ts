/*
 * The IMAP handler table: every command the codec parses, each with its
 * handler and flags. The codec's COMMANDS table says in which states a
 * command is allowed; this one says whether it needs TLS. The session
 * enforces both in one place (dispatch). The table's type requires an
 * entry for every command name, so the codec and the server cannot drift
 * apart.
 *
 * Exports: HANDLERS, handlerFor.
 * Security: LOGIN and AUTHENTICATE carry requiresTls.
 * Standards: RFC 9051 section 6.
 */
import type { CommandName } from '../../proto/imap/index.js';
import type { HandlerSpec } from './context.js';
import { append } from './commands/append.js';
import { authenticate } from './commands/authenticate.js';
import { capability } from './commands/capability.js';
import { close } from './commands/close.js';
import { compress } from './commands/compress.js';
import { copy, move } from './commands/copy.js';
import { create } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { enable } from './commands/enable.js';
import { expunge } from './commands/expunge.js';
import { getmetadata } from './commands/getmetadata.js';
import { getquota } from './commands/getquota.js';
import { getquotaroot } from './commands/getquotaroot.js';
import { fetch } from './commands/fetch.js';
import { id } from './commands/id.js';
import { idle } from './commands/idle.js';
import { list } from './commands/list.js';
import { login } from './commands/login.js';
import { logout } from './commands/logout.js';
import { lsub } from './commands/lsub.js';
import { namespace } from './commands/namespace.js';
import { notify } from './commands/notify.js';
import { check, noop } from './commands/noop.js';
import { rename } from './commands/rename.js';
import { search } from './commands/search.js';
import { examine, select } from './commands/select.js';
import { sort } from './commands/sort.js';
import { starttls } from './commands/starttls.js';
import { setmetadata } from './commands/setmetadata.js';
import { setquota } from './commands/setquota.js';
import { status } from './commands/status.js';
import { store } from './commands/store.js';
import { subscribe } from './commands/subscribe.js';
import { thread } from './commands/thread.js';
import { unselect } from './commands/unselect.js';
import { unsubscribe } from './commands/unsubscribe.js';

type Table = { [K in CommandName]: HandlerSpec<K> };

const open = <K extends CommandName>(handler: HandlerSpec<K>['handler']): HandlerSpec<K> => ({ handler, requiresTls: false });
const tlsOnly = <K extends CommandName>(handler: HandlerSpec<K>['handler']): HandlerSpec<K> => ({ handler, requiresTls: true });

export const HANDLERS: Table = {
  CAPABILITY: open(capability),
  NOOP: open(noop),
  LOGOUT: open(logout),
  ID: open(id),
  STARTTLS: open(starttls),
  LOGIN: tlsOnly(login),
  AUTHENTICATE: tlsOnly(authenticate),
  ENABLE: open(enable),
  NAMESPACE: open(namespace),
  LIST: open(list),
  LSUB: open(lsub),
  CREATE: open(create),
  DELETE: open(deleteCommand),
  RENAME: open(rename),
  SUBSCRIBE: open(subscribe),
  UNSUBSCRIBE: open(unsubscribe),
  STATUS: open(status),
  SELECT: open(select),
  EXAMINE: open(examine),
  CLOSE: open(close),
  UNSELECT: open(unselect),
  FETCH: open(fetch),
  STORE: open(store),
  EXPUNGE: open(expunge),
  CHECK: open(check),
  COPY: open(copy),
  MOVE: open(move),
  APPEND: open(append),
  GETQUOTA: open(getquota),
  GETQUOTAROOT: open(getquotaroot),
  SETQUOTA: open(setquota),
  GETMETADATA: open(getmetadata),
  SETMETADATA: open(setmetadata),
  COMPRESS: open(compress),
  SEARCH: open(search),
  SORT: open(sort),
  THREAD: open(thread),
  IDLE: open(idle),
  NOTIFY: open(notify),
};

const TABLE: ReadonlyMap<CommandName, HandlerSpec> = new Map(Object.entries(HANDLERS) as [CommandName, HandlerSpec][]);

export function handlerFor(name: CommandName): HandlerSpec {
  return TABLE.get(name)!;
}
