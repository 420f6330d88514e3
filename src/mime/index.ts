/*
 * Public surface of the MIME index: computed once when a message is
 * delivered and stored as JSON, so that IMAP answers ENVELOPE,
 * BODYSTRUCTURE, BODY[section]<partial>, BINARY.SIZE and RFC822.SIZE from
 * it and byte ranges of the stored message.
 *
 * Exports: indexMessage, findPart, headerBlock, readHeaderFields, the index
 * types, MimeLimits and its defaults, MISSING_MAILBOX and MISSING_DOMAIN;
 * the delivery status notifications of dsn.ts (buildDsn and its helpers).
 * Security: pure functions over untrusted bytes, no I/O; see indexer.ts.
 * Standards: see the files re-exported here.
 */
export { indexMessage } from './indexer.js';
export { findPart, headerBlock } from './sections.js';
export { readHeaderFields, type HeaderField } from './header-fields.js';
export { MISSING_DOMAIN, MISSING_MAILBOX } from './address-list.js';
export { DEFAULT_MIME_LIMITS, type MimeLimits } from './limits.js';
export { MIME_INDEX_VERSION } from './types.js';
export type { Envelope, EnvelopeAddress, MessageIndex, MessageSummary, MimePart } from './types.js';
export {
  buildDsn, dsnKindSubject, dsnTransport, parseEnhancedStatus, wantsDsn, DSN_RETURN_LIMIT_DEFAULT,
  type DsnAction, type DsnInput, type DsnKind, type DsnRecipientReport,
} from './dsn.js';
