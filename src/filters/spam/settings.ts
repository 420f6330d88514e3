/*
 * The spam filter's settings, with their defaults: the score thresholds
 * (and each hosted domain's own), rule score overrides, the URI
 * blocklists, the Bayes classifier, and the external scorers (spamd,
 * rspamd) with the weight their score counts with. The configuration
 * schema maps its [spam] keys onto this shape; the filter never reads
 * configuration itself.
 *
 * Exports: SpamSettings, SpamThresholds, UriBlocklist, BayesSettings,
 * SpamdSettings, RspamdSettings, DEFAULT_SPAM_SETTINGS, thresholdsFor.
 * Security: operator input only.
 */
import type { ClientInfo } from '../types.js';
import { DEFAULT_EXTERNAL_MAX_BYTES } from './limits.js';

/** What a score means for a recipient. */
export interface SpamThresholds {
  /** At or above: spam (X-Spam-Status: Yes), delivered to the recipient's Junk or held, as spamAction says. Default 5, SpamAssassin's required_score. */
  junk: number;
  /** At or above: refused during the session (550 5.7.1). null: never refused. Default 15 (rspamd's reject score; GTUBE's 1000 passes it). */
  reject: number | null;
  /** Where spam goes: "junk" (the recipient's Junk mailbox) or "quarantine" (held for the operator). Default junk. */
  spamAction: 'junk' | 'quarantine';
}

/** A URI blocklist asked as `<registered domain>.<zone>`, type A (SURBL, URIBL, Spamhaus DBL style). */
export interface UriBlocklist {
  zone: string;
  /** The test name; default URIBL_ and the zone in capitals ("multi.uribl.com" gives URIBL_MULTI_URIBL_COM). */
  name?: string;
  /** Added once per message however many of its domains the zone lists. */
  score: number;
  /** For lists that answer with bits (multi.uribl.com: 2 black, 4 grey, 8 red): listed only when the last octet has one of these bits. Absent: any answer that is not "could not tell". */
  mask?: number;
}

export interface BayesSettings {
  enabled: boolean;
  /** Messages of each kind a table must have learned before it is trusted (SpamAssassin's bayes_min_spam_num / bayes_min_ham_num: 200). */
  minSpam: number;
  minHam: number;
  /** Classify with the recipient's own table when it has learned enough, else the global one. */
  perUser: boolean;
}

/** SpamAssassin's spamd, over the SPAMC/SPAMD protocol. */
export interface SpamdSettings {
  /** "127.0.0.1:783", "[::1]:783", or an absolute path to spamd's unix socket. */
  address: string;
  /** One message's whole exchange, connection included. Default 10 s (spamc: 600 s, too long for an SMTP session). */
  timeoutMs: number;
  /** spamd's score counts as weight x its score, scaled from its required score to our junk threshold. Default 1. */
  weight: number;
  /** Larger messages are not sent (spamc -s; default 500 KB). */
  maxBytes: number;
  /** The user spamd should score for (spamc -u); empty: spamd's default. */
  user: string;
}

/** rspamd's HTTP API (POST /checkv2). */
export interface RspamdSettings {
  /** Its controller or normal worker, "http://127.0.0.1:11333". */
  url: string;
  /** The Password header, when the worker wants one; empty: none. */
  password: string;
  timeoutMs: number;
  /** As for spamd, scaled from rspamd's required_score (its "add header" action, 6 by default) to our junk threshold. */
  weight: number;
  maxBytes: number;
}

export interface SpamSettings {
  /** The sessions whose mail is scored. Default the MX and LMTP (mail an MTA in front hands over); submission is our own users'. */
  roles: ClientInfo['role'][];
  /** The default thresholds. */
  thresholds: SpamThresholds;
  /** Thresholds of a hosted domain (A-label, lower case) that differ from the default, key by key. */
  domains: Record<string, Partial<SpamThresholds>>;
  /** Scores that replace a rule's own, by test name ("MISSING_DATE": 2); 0 turns the rule off. */
  scores: Record<string, number>;
  /** URI blocklists; empty: URLs are not looked up. */
  uriBlocklists: UriBlocklist[];
  /** Lookups (domain x zone) per message, at most MAX_URI_LOOKUPS. Default 20. */
  maxUriLookups: number;
  /** Added for each DNSBL zone that lists the client (the DNSBL filter's facts, action "score" or a postmaster@ message). Default 3. */
  dnsblScore: number;
  bayes: BayesSettings;
  /** null: not asked. */
  spamd: SpamdSettings | null;
  rspamd: RspamdSettings | null;
}

export const DEFAULT_SPAMD: Omit<SpamdSettings, 'address'> = { timeoutMs: 10_000, weight: 1, maxBytes: DEFAULT_EXTERNAL_MAX_BYTES, user: '' };
export const DEFAULT_RSPAMD: Omit<RspamdSettings, 'url'> = { password: '', timeoutMs: 10_000, weight: 1, maxBytes: DEFAULT_EXTERNAL_MAX_BYTES };

export const DEFAULT_SPAM_SETTINGS: SpamSettings = Object.freeze({
  roles: ['mx', 'lmtp'],
  thresholds: { junk: 5, reject: 15, spamAction: 'junk' },
  domains: {},
  scores: {},
  uriBlocklists: [],
  maxUriLookups: 20,
  dnsblScore: 3,
  bayes: { enabled: true, minSpam: 200, minHam: 200, perUser: true },
  spamd: null,
  rspamd: null,
}) as SpamSettings;

/** The thresholds for a recipient domain: the domain's own keys over the defaults. */
export function thresholdsFor(settings: SpamSettings, domain: string): SpamThresholds {
  const key = domain.toLowerCase();
  // The domain is a recipient's: looked up as an own key only, never through the prototype.
  const own = Object.hasOwn(settings.domains, key) ? settings.domains[key] : undefined;
  return own ? { ...settings.thresholds, ...own } : settings.thresholds;
}
