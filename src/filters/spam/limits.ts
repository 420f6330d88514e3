/*
 * Limits on the work the spam filter does for one message, each with its
 * reason. The message is the sender's choice; these bound what reading it,
 * looking its URLs up and asking the external scorers may cost.
 *
 * Exports: the constants below.
 * Security: every number bounds CPU, memory, DNS queries or bytes read
 * from a peer for hostile input.
 */

/** Of each text part, this much is read for the rules and the tokens: spam says what it wants at the top, and a 10 MB text part must not cost 10 MB of regular expressions. */
export const MAX_PART_BYTES = 256 * 1024;
/** Text and HTML parts read per message: real mail has one or two (plain and HTML alternatives), more are attachments. */
export const MAX_TEXT_PARTS = 16;
/** Distinct URL hosts kept per message: enough for any newsletter; a message listing thousands is itself suspicious and not worth more work. */
export const MAX_URL_HOSTS = 200;
/** URI blocklist lookups (domain x zone) per message, whatever the settings say: each is a DNS query the sender caused. */
export const MAX_URI_LOOKUPS = 50;
/** Distinct Bayes tokens per message: the classifier uses the most telling 150; more only costs store lookups. */
export const MAX_TOKENS = 1500;
/** Characters of text split into words for the tokens: the distinct words of a message are nearly all in its first 256 K. */
export const MAX_TOKENIZED_CHARS = 256 * 1024;
/** Tokens shorter than this are noise ("a", "to"), longer ones are hashes, base64 or URLs' paths, kept only as their start. */
export const MIN_TOKEN_CHARS = 3;
export const MAX_TOKEN_CHARS = 40;
/** Clues the chi-squared combination uses (Robinson's and SpamBayes' choice: the 150 farthest from 0.5). */
export const MAX_BAYES_CLUES = 150;
/** A spamd or rspamd reply larger than this is not read: a symbols list is a few hundred bytes, a REPORT a few kilobytes. */
export const MAX_EXTERNAL_REPLY_BYTES = 64 * 1024;
/** Messages larger than this are not sent to spamd/rspamd (spamc's own default, 500 KB, for the same reason: spam is small, big mail is slow to scan). */
export const DEFAULT_EXTERNAL_MAX_BYTES = 500 * 1024;
/** Tests named in X-Spam-Status: the names of every rule that hit, but no more than this, so the header stays bounded. */
export const MAX_STATUS_TESTS = 60;
