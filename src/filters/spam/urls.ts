/*
 * The hosts of the URLs a message links to, for the URI blocklists and
 * the rules: http(s) URLs and bare www. names in the text, and href/src
 * attributes in the HTML, as written (the sender's own obfuscation, such
 * as user@host or percent-escapes in the host, undone the way a browser
 * does it); and the registered domain a blocklist is asked about.
 *
 * Exports: urlHosts, registeredDomain, isIpHost.
 * Security: untrusted text; linear regular expressions, at most
 * MAX_URL_HOSTS hosts kept and four times as many distinct URLs parsed;
 * hosts are parsed by WHATWG URL (IDNs become A-labels), anything it
 * refuses is dropped.
 * Standards: RFC 3986 (URI syntax), WHATWG URL (host parsing).
 * Deviation: no public suffix list: the registered domain is the last two
 * labels, or three under the common two-level public suffixes below
 * (co.uk, com.au...), which is what DBL-style lists are keyed by for
 * nearly all spam domains.
 */
import { isIP } from 'node:net';
import { MAX_URL_HOSTS } from './limits.js';

const URL_IN_TEXT = /\b(?:https?:\/\/|www\.)[^\s<>"'`()[\]{}\\^|]{1,500}/gi;

/** Second-level labels under which registration happens a level lower (a few, not the public suffix list). */
const TWO_LEVEL = new Set([
  'co.uk', 'org.uk', 'me.uk', 'ac.uk', 'gov.uk', 'ltd.uk', 'plc.uk', 'com.au', 'net.au', 'org.au', 'co.nz', 'org.nz',
  'co.jp', 'ne.jp', 'or.jp', 'co.za', 'com.br', 'com.cn', 'net.cn', 'com.mx', 'co.in', 'com.tr', 'co.kr', 'com.ar',
  'com.sg', 'com.hk', 'com.tw', 'com.ua', 'com.ru', 'co.il', 'com.pl', 'co.id', 'com.my', 'com.ph', 'com.vn',
]);

/** The host of one URL as a browser would go to it, lower case, or undefined. */
function hostOf(raw: string): string | undefined {
  const withScheme = /^https?:\/\//i.test(raw) ? raw : `http://${raw}`;
  try {
    const host = new URL(withScheme).hostname.replace(/\.$/, '');
    return host.includes('.') || host.startsWith('[') ? host : undefined;
  } catch {
    return undefined;
  }
}

/** Distinct hosts linked from the text and the HTML, in order of appearance. */
export function urlHosts(text: string, html: readonly { source: string }[]): string[] {
  const hosts = new Set<string>();
  // A newsletter repeats its links: each distinct one is parsed once.
  const seen = new Set<string>();
  const scan = (s: string) => {
    for (const m of s.matchAll(URL_IN_TEXT)) {
      if (hosts.size >= MAX_URL_HOSTS || seen.size >= 4 * MAX_URL_HOSTS) return;
      if (seen.has(m[0])) continue;
      seen.add(m[0]);
      const host = hostOf(m[0]);
      if (host !== undefined) hosts.add(host);
    }
  };
  // Attributes first: an href's target is what matters, whatever text the link shows.
  for (const h of html) scan(h.source.replace(/&amp;/gi, '&'));
  scan(text);
  return [...hosts];
}

export function isIpHost(host: string): boolean {
  return isIP(host.replace(/^\[|\]$/g, '')) !== 0;
}

/** The domain a blocklist knows a host by, or undefined for an IP address or a single label. */
export function registeredDomain(host: string): string | undefined {
  if (isIpHost(host)) return undefined;
  const labels = host.toLowerCase().split('.').filter((l) => l !== '');
  if (labels.length < 2) return undefined;
  const lastTwo = labels.slice(-2).join('.');
  if (TWO_LEVEL.has(lastTwo)) return labels.length >= 3 ? labels.slice(-3).join('.') : undefined;
  return lastTwo;
}
