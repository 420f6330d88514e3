/*
 * The Bayes classifier's tokens of a message: the words of the subject
 * (S:), the From address, its domain and display-name words (F:), the
 * registered domains linked to (U:) and the words of the text (body
 * words bare), lower case, between MIN_TOKEN_CHARS and MAX_TOKEN_CHARS
 * characters (longer ones are kept as their start with a mark, as
 * SpamAssassin's "sk:" tokens are), each counted once per message, at
 * most MAX_TOKENS of them. Tokens are stored as hashes (16 hex digits of
 * SHA-256): the table holds no words of anyone's mail, and every row has
 * the same size.
 *
 * Exports: tokenize, hashToken.
 * Security: reads the untrusted view (already bounded); the token count
 * and length are bounded here; the same message always gives the same
 * tokens, so it can be unlearned and relearned.
 */
import * as crypto from 'node:crypto';
import { MAX_TOKEN_CHARS, MAX_TOKENIZED_CHARS, MAX_TOKENS, MIN_TOKEN_CHARS } from '../limits.js';
import type { MessageView } from '../message.js';
import { registeredDomain, urlHosts } from '../urls.js';

/** What is not part of a word: words are letters, digits and the currency and percent signs, with dots, dashes and apostrophes inside ("u.s.", "e-mail", "don't"). */
const SEPARATORS = /[^\p{L}\p{N}'$€£%.-]+/u;

const isEdge = (code: number) => code === 0x2e || code === 0x2d || code === 0x27; // . - '

/** crypto.hash (Node 20.12 and later) is a third of createHash's cost for a short input: a message has hundreds of tokens. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex = oneShot ? (text: string) => oneShot('sha256', text, 'hex') : (text: string) => crypto.createHash('sha256').update(text).digest('hex');

/** Without the dots, dashes and apostrophes around a word, which belong to the sentence or a quote. */
function trim(word: string): string {
  let start = 0;
  let end = word.length;
  while (start < end && isEdge(word.charCodeAt(start))) start++;
  while (end > start && isEdge(word.charCodeAt(end - 1))) end--;
  return start === 0 && end === word.length ? word : word.slice(start, end);
}

export function hashToken(token: string): string {
  return sha256Hex(token).slice(0, 16);
}

/** The distinct tokens of a message, hashed, in the order first met; hosts: its linked hosts when already known. */
export function tokenize(view: MessageView, hosts: readonly string[] = urlHosts(view.text, view.html)): string[] {
  const out = new Set<string>();
  const add = (prefix: string, word: string) => {
    if (out.size >= MAX_TOKENS) return;
    const w = word.toLowerCase();
    if (w.length < MIN_TOKEN_CHARS) return;
    out.add(w.length > MAX_TOKEN_CHARS ? `${prefix}sk:${w.slice(0, MAX_TOKEN_CHARS)}` : prefix + w);
  };
  const words = (prefix: string, text: string) => {
    // Splitting is several times faster than matching word by word (no match object per word).
    for (const piece of text.slice(0, MAX_TOKENIZED_CHARS).split(SEPARATORS)) {
      if (out.size >= MAX_TOKENS) return;
      add(prefix, trim(piece));
    }
  };
  words('S:', view.subject);
  for (const f of view.from.slice(0, 1)) {
    if (f.mailbox !== null && f.host !== null) add('F:', `${f.mailbox}@${f.host}`);
    if (f.host !== null) add('F:', `@${f.host}`);
    if (f.name !== null) words('F:', f.name);
  }
  for (const host of hosts) {
    const domain = registeredDomain(host);
    if (domain !== undefined) add('U:', domain);
  }
  words('', view.text);
  // Hashed once each, after the words are made distinct: a message repeats its words.
  return [...out].map(hashToken);
}
