/*
 * Limits on Sieve scripts (untrusted user input) at compile and run time.
 *
 * Exports: the MAX_* and DEFAULT_* constants.
 * Security: every number bounds memory or CPU spent on a script a user wrote
 * and on the message (from anyone) it runs against.
 * Standards: RFC 5228 section 2.6.3 allows implementation limits; RFC 5229
 * section 6 asks for limits on variable count and size.
 */

/** Default largest script; Dovecot's sieve_max_script_size is 1 MiB, real filters are a few KiB. */
export const DEFAULT_MAX_SCRIPT_SIZE = 64 * 1024;
/** Nesting of blocks and tests (if in if, allof in anyof); the parser and validator recurse. */
export const MAX_NESTING_DEPTH = 32;
/** Commands and tests in one script; bounds compiled size and validation time. */
export const MAX_COMMANDS = 10_000;
/** Strings in one string list; an allowlist of a few thousand addresses is real, more than fits in a 64 KiB script is not. */
export const MAX_LIST_ITEMS = 10_000;
/** Default run-time steps (one per command and test evaluated, plus per match attempt). */
export const DEFAULT_MAX_STEPS = 100_000;
/** Default redirects one run may produce (Dovecot's sieve_max_redirects is 4). */
export const DEFAULT_MAX_REDIRECTS = 4;
/** Length of a :regex pattern after expansion; long patterns are only an attack on the regex engine. */
export const MAX_REGEX_LENGTH = 1024;
/** Number of distinct variables (RFC 5229 section 6 requires at least 128). */
export const MAX_VARIABLES = 256;
/** Length of one variable's value (RFC 5229 asks for at least 4000 octets). */
export const MAX_VARIABLE_SIZE = 64 * 1024;
/** Length of a variable name (RFC 5229 requires at least 32). */
export const MAX_VARIABLE_NAME = 64;
/** Match variables ${0}..${9} only (RFC 5229 requires at least 10). */
export const MAX_MATCH_VARIABLES = 10;
/** Nested include depth (RFC 6609 leaves it to the implementation). */
export const MAX_INCLUDE_DEPTH = 10;
/** Number of actions one run may produce; beyond it the run fails and falls back to keep. */
export const MAX_ACTIONS = 1024;
/** Header edits (addheader/deleteheader) per run. */
export const MAX_HEADER_EDITS = 256;
/** Length of a header value produced by addheader (RFC 5293 says a folded field may be long; 8 KiB is plenty). */
export const MAX_ADDHEADER_VALUE = 8 * 1024;
/** Text of one body part a body test compares (RFC 5173); longer parts are compared by their first MiB only. */
export const MAX_BODY_TEXT = 1024 * 1024;
/** Longest subject a :regex runs against; longer header or body text is cut (the engine is linear, this bounds memory). */
export const MAX_REGEX_SUBJECT = 64 * 1024;
/** Instructions in one compiled :regex pattern after expanding {n,m}; ((a{100}){100}) would otherwise be a million. */
export const MAX_REGEX_PROGRAM = 10_000;
/** Capturing groups in one :regex pattern; only ${0}..${9} are visible, more is only memory per thread. */
export const MAX_REGEX_GROUPS = 64;
/** Addresses taken from one header value by the address test; real To/Cc lists stay far below. */
export const MAX_ADDRESSES_PER_VALUE = 1000;
/** MIME nesting the interpreter walks (foreverypart, :anychild, body); the security spec caps MIME at about 100 levels. */
export const MAX_MIME_DEPTH = 100;
/** Default duplicate tracking period when the script gives no :seconds (RFC 7352 leaves it to the implementation). */
export const DEFAULT_DUPLICATE_SECONDS = 7 * 86400;
/** Longest duplicate tracking period a script may ask for; bounds the tracking table. */
export const MAX_DUPLICATE_SECONDS = 90 * 86400;
/** parseSieveMessage: MIME nesting and part count it builds (dry runs and tests; delivery uses its own index). */
export const MAX_PARSED_MIME_DEPTH = 20;
export const MAX_PARSED_MIME_PARTS = 1000;
