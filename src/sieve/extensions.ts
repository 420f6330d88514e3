/*
 * The Sieve extensions Petrel implements, as capability strings.
 *
 * Exports: SIEVE_EXTENSIONS, IMPLICIT_EXTENSIONS, isKnownExtension.
 * Security: none (constants).
 * Standards: RFC 5228 (fileinto, envelope, encoded-character,
 * comparator-i;octet and i;ascii-casemap always present), RFC 5429 (reject,
 * ereject), RFC 5232 (imap4flags), RFC 5173 (body), RFC 5229 (variables),
 * RFC 5230 (vacation), RFC 6131 (vacation-seconds), RFC 5231 (relational),
 * RFC 4790 (comparator-i;ascii-numeric), RFC 5233 (subaddress), RFC 3894
 * (copy), RFC 5260 (date, index), RFC 5293 (editheader), RFC 5490 (mailbox),
 * RFC 5183 (environment), draft-ietf-sieve-regex (regex), RFC 6609 (include),
 * RFC 7352 (duplicate), RFC 5235 (spamtest, spamtestplus, virustest),
 * RFC 8579 (special-use), RFC 5703 (mime, foreverypart, extracttext),
 * RFC 5435 (enotify, mailto method), RFC 5463 (ihave).
 */

/** The order is the one ManageSieve's "SIEVE" capability lists. */
export const SIEVE_EXTENSIONS: readonly string[] = Object.freeze([
  'fileinto',
  'reject',
  'ereject',
  'envelope',
  'encoded-character',
  'imap4flags',
  'body',
  'variables',
  'vacation',
  'vacation-seconds',
  'relational',
  'comparator-i;ascii-numeric',
  'subaddress',
  'copy',
  'date',
  'index',
  'editheader',
  'mailbox',
  'environment',
  'regex',
  'include',
  'duplicate',
  'spamtest',
  'spamtestplus',
  'virustest',
  'special-use',
  'mime',
  'foreverypart',
  'extracttext',
  'enotify',
  'ihave',
]);

/** Always available and accepted by `require`, never listed (RFC 5228 section 2.7.3). */
export const IMPLICIT_EXTENSIONS: readonly string[] = Object.freeze(['comparator-i;octet', 'comparator-i;ascii-casemap']);

export function isKnownExtension(name: string): boolean {
  return SIEVE_EXTENSIONS.includes(name) || IMPLICIT_EXTENSIONS.includes(name);
}
