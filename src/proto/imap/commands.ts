/*
 * The IMAP command table: every command the codec knows, with the session
 * states it is allowed in, whether `UID` may prefix it, and its parser.
 * The session enforces states in one place from this table.
 *
 * Exports: COMMANDS, CommandName, CommandSpec, SessionState, CommandArgs,
 * ImapCommand, lookupCommand.
 * Security: the lookup uses a Map, so a peer-chosen name can never reach
 * Object.prototype; STARTTLS/LOGIN/AUTHENTICATE are the only commands besides
 * CAPABILITY/NOOP/LOGOUT/ID allowed before authentication.
 * Standards: RFC 9051 section 6 and section 3 (states), plus the extensions
 * named in each parser.
 *
 * Each command has its parser in parse/<command>.ts, except where two
 * commands share one grammar exactly and a second file would only re-export:
 * EXAMINE uses select.ts, MOVE copy.ts, DELETE/SUBSCRIBE/UNSUBSCRIBE/
 * GETQUOTAROOT mailbox.ts, UID EXPUNGE expunge.ts, and the commands without
 * arguments no-args.ts.
 */
import type { Reader } from './reader.js';
import { parseAppend } from './parse/append.js';
import { parseAuthenticate } from './parse/authenticate.js';
import { parseCompress } from './parse/compress.js';
import { parseCopy } from './parse/copy.js';
import { parseCreate } from './parse/create.js';
import { parseEnable } from './parse/enable.js';
import { parseExpunge } from './parse/expunge.js';
import { parseFetch } from './parse/fetch.js';
import { parseId } from './parse/id.js';
import { parseList } from './parse/list.js';
import { parseLsub } from './parse/lsub.js';
import { parseLogin } from './parse/login.js';
import { parseMailboxArg } from './parse/mailbox.js';
import { parseGetMetadata } from './parse/getmetadata.js';
import { parseSetMetadata } from './parse/setmetadata.js';
import { parseNoArgs } from './parse/no-args.js';
import { parseNotify } from './parse/notify.js';
import { parseGetQuota } from './parse/getquota.js';
import { parseSetQuota } from './parse/setquota.js';
import { parseRename } from './parse/rename.js';
import { parseSearch } from './parse/search.js';
import { parseSelect } from './parse/select.js';
import { parseSort } from './parse/sort.js';
import { parseThread } from './parse/thread.js';
import { parseStatus } from './parse/status.js';
import { parseStore } from './parse/store.js';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected';

export interface CommandSpec {
  states: readonly SessionState[];
  /** May be prefixed by UID (the parser then gets uid = true). */
  uid: boolean;
  parse: (r: Reader, uid: boolean) => unknown;
}

const ANY: readonly SessionState[] = ['not-authenticated', 'authenticated', 'selected'];
const PRE: readonly SessionState[] = ['not-authenticated'];
const AUTH: readonly SessionState[] = ['authenticated', 'selected'];
const SEL: readonly SessionState[] = ['selected'];

export const COMMANDS = {
  CAPABILITY: { states: ANY, uid: false, parse: parseNoArgs },
  NOOP: { states: ANY, uid: false, parse: parseNoArgs },
  LOGOUT: { states: ANY, uid: false, parse: parseNoArgs },
  ID: { states: ANY, uid: false, parse: parseId },
  STARTTLS: { states: PRE, uid: false, parse: parseNoArgs },
  AUTHENTICATE: { states: PRE, uid: false, parse: parseAuthenticate },
  LOGIN: { states: PRE, uid: false, parse: parseLogin },
  // RFC 5161 section 3.1: only before a mailbox is selected.
  ENABLE: { states: ['authenticated'], uid: false, parse: parseEnable },
  SELECT: { states: AUTH, uid: false, parse: parseSelect },
  EXAMINE: { states: AUTH, uid: false, parse: parseSelect },
  CREATE: { states: AUTH, uid: false, parse: parseCreate },
  DELETE: { states: AUTH, uid: false, parse: parseMailboxArg },
  RENAME: { states: AUTH, uid: false, parse: parseRename },
  SUBSCRIBE: { states: AUTH, uid: false, parse: parseMailboxArg },
  UNSUBSCRIBE: { states: AUTH, uid: false, parse: parseMailboxArg },
  LIST: { states: AUTH, uid: false, parse: parseList },
  LSUB: { states: AUTH, uid: false, parse: parseLsub },
  NAMESPACE: { states: AUTH, uid: false, parse: parseNoArgs },
  STATUS: { states: AUTH, uid: false, parse: parseStatus },
  APPEND: { states: AUTH, uid: false, parse: parseAppend },
  IDLE: { states: AUTH, uid: false, parse: parseNoArgs },
  GETQUOTA: { states: AUTH, uid: false, parse: parseGetQuota },
  GETQUOTAROOT: { states: AUTH, uid: false, parse: parseMailboxArg },
  SETQUOTA: { states: AUTH, uid: false, parse: parseSetQuota },
  COMPRESS: { states: AUTH, uid: false, parse: parseCompress },
  NOTIFY: { states: AUTH, uid: false, parse: parseNotify },
  GETMETADATA: { states: AUTH, uid: false, parse: parseGetMetadata },
  SETMETADATA: { states: AUTH, uid: false, parse: parseSetMetadata },
  CLOSE: { states: SEL, uid: false, parse: parseNoArgs },
  UNSELECT: { states: SEL, uid: false, parse: parseNoArgs },
  CHECK: { states: SEL, uid: false, parse: parseNoArgs },
  EXPUNGE: { states: SEL, uid: true, parse: parseExpunge },
  FETCH: { states: SEL, uid: true, parse: parseFetch },
  STORE: { states: SEL, uid: true, parse: parseStore },
  COPY: { states: SEL, uid: true, parse: parseCopy },
  MOVE: { states: SEL, uid: true, parse: parseCopy },
  SEARCH: { states: SEL, uid: true, parse: parseSearch },
  SORT: { states: SEL, uid: true, parse: parseSort },
  THREAD: { states: SEL, uid: true, parse: parseThread },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
export type CommandArgs = { [K in CommandName]: ReturnType<(typeof COMMANDS)[K]['parse']> };

/** A parsed command; `name` discriminates `args`. */
export type ImapCommand = {
  [K in CommandName]: { tag: string; name: K; uid: boolean; args: CommandArgs[K] };
}[CommandName];

const TABLE: ReadonlyMap<string, CommandSpec> = new Map(Object.entries(COMMANDS));

/** Upper-case name → spec, or undefined. */
export function lookupCommand(name: string): { name: CommandName; spec: CommandSpec } | undefined {
  const upper = name.toUpperCase();
  const spec = TABLE.get(upper);
  return spec ? { name: upper as CommandName, spec } : undefined;
}

/** Whether the command may run in the given state (the session answers BAD otherwise). */
export function allowedIn(name: CommandName, state: SessionState): boolean {
  return (COMMANDS[name].states as readonly SessionState[]).includes(state);
}
