/*
 * The CAPABILITY list for a session, from what is implemented now and the
 * session's state: STARTTLS/LOGINDISABLED before TLS on 143, AUTH= only
 * over TLS, the extensions only once they can be used.
 *
 * Exports: sessionCapabilities, IMPLEMENTED_AFTER_LOGIN.
 * Security: no AUTH= mechanism is offered before TLS, and STARTTLS is no
 * longer listed once TLS is active (security.md, TLS section).
 * Standards: RFC 9051 section 7.2.2, RFC 3501, RFC 2595 (LOGINDISABLED),
 * RFC 4959 (SASL-IR), RFC 7888 (LITERAL+), RFC 5161 (ENABLE), RFC 2971 (ID),
 * RFC 2342 (NAMESPACE), RFC 3691 (UNSELECT), RFC 3348 (CHILDREN), RFC 6154,
 * RFC 5258, RFC 5819 (LIST-STATUS), RFC 8438 (STATUS=SIZE), RFC 6855,
 * RFC 3516 (BINARY), RFC 8970 (PREVIEW), RFC 4315 (UIDPLUS), RFC 6851
 * (MOVE), RFC 3502 (MULTIAPPEND), RFC 7889 (APPENDLIMIT),
 * RFC 9208 (QUOTA, QUOTA=RES-STORAGE; no QUOTASET), RFC 5464 (METADATA,
 * METADATA-SERVER), RFC 7162 (CONDSTORE, QRESYNC), RFC 8474 (OBJECTID),
 * RFC 4978 (COMPRESS=DEFLATE), RFC 4731 (ESEARCH), RFC 5182 (SEARCHRES),
 * RFC 5032 (WITHIN), RFC 8514 (SAVEDATE), RFC 5256 (SORT,
 * THREAD=ORDEREDSUBJECT, THREAD=REFERENCES), RFC 5267 (ESORT), RFC 2177
 * (IDLE), RFC 5465 (NOTIFY).
 */
import { MAX_LITERAL_BYTES } from '../../proto/imap/limits.js';
import type { ImapState } from './context.js';

const BASE = ['IMAP4rev2', 'IMAP4rev1', 'LITERAL+', 'ID', 'ENABLE'];

/** Extensions usable after login; grows as commands are implemented. */
export const IMPLEMENTED_AFTER_LOGIN: readonly string[] = [
  'NAMESPACE', 'UNSELECT', 'CHILDREN', 'SPECIAL-USE', 'CREATE-SPECIAL-USE', 'LIST-EXTENDED', 'LIST-STATUS', 'STATUS=SIZE', 'UTF8=ACCEPT', 'BINARY', 'PREVIEW', 'UIDPLUS', 'MOVE',
  'MULTIAPPEND', `APPENDLIMIT=${MAX_LITERAL_BYTES}`, 'QUOTA', 'QUOTA=RES-STORAGE',
  'METADATA', 'METADATA-SERVER',
  'CONDSTORE', 'QRESYNC', 'OBJECTID', 'COMPRESS=DEFLATE',
  'ESEARCH', 'SEARCHRES', 'WITHIN', 'SAVEDATE', 'SORT', 'ESORT', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES',
  'IDLE', 'NOTIFY',
];

export function sessionCapabilities(state: ImapState, secure: boolean, canStartTls: boolean): string[] {
  if (state === 'not-authenticated') {
    if (!secure) return [...BASE, ...(canStartTls ? ['STARTTLS'] : []), 'LOGINDISABLED'];
    return [...BASE, 'SASL-IR', 'AUTH=PLAIN'];
  }
  return [...BASE, ...IMPLEMENTED_AFTER_LOGIN];
}
