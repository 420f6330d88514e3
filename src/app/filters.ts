/*
 * The checks of incoming mail as this server runs them: the filters the
 * configuration turns on, in the order they must run (connection-level
 * first, the spam scorer last, as it reads what the others found), in
 * one FilterPipeline for the SMTP endpoints. Undefined when none is on,
 * so a server without checks pays nothing. Also the mapping of the
 * [spam] section onto the spam filter's settings, shared with
 * `petrel spam check`.
 *
 * Exports: filterPipelineFor, spamSettingsFrom, greylistSettingsFrom, FilterDeps.
 * Security: configuration only.
 */
import type { Config } from '../config/schema.js';
import type { DnsClient } from '../dns/client.js';
import { attachmentFilter, attachmentSettingsFrom } from '../filters/attachments/index.js';
import { clamavFilter, clamavSettingsFrom } from '../filters/clamav/index.js';
import { dnsblFilter } from '../filters/dnsbl/filter.js';
import { greylistFilter, type GreylistSettings } from '../filters/greylist/filter.js';
import { FilterPipeline } from '../filters/pipeline.js';
import { senderAuthFilter, senderAuthSettingsFrom } from '../filters/sender-auth/index.js';
import { spamFilter } from '../filters/spam/filter.js';
import { DEFAULT_SPAM_SETTINGS, type SpamSettings, type SpamThresholds } from '../filters/spam/settings.js';
import type { Filter } from '../filters/types.js';
import type { BayesStore, GreylistStore } from '../store/types.js';

export interface FilterDeps {
  dns: DnsClient;
  /** The Bayes tables (the store's); absent: no Bayes classification. */
  bayes?: BayesStore;
  /** Needed when [greylist] is on. */
  greylist?: GreylistStore;
}

/** [greylist] as the filter and the expiry read it. */
export function greylistSettingsFrom(g: Config['greylist']): GreylistSettings {
  return { enabled: g.enabled, delayMs: g.delay, retryWindowMs: g.retry_window, maxAgeMs: g.max_age, autoAllowAfter: g.auto_allowlist };
}

/** [spam] as the spam filter reads it. */
export function spamSettingsFrom(spam: Config['spam']): SpamSettings {
  const reject = (score: number | undefined) => (score === undefined ? undefined : score === 0 ? null : score);
  const domains: Record<string, Partial<SpamThresholds>> = {};
  for (const d of spam.domain) {
    const own: Partial<SpamThresholds> = {};
    if (d.junk_score !== undefined) own.junk = d.junk_score;
    if (d.reject_score !== undefined) own.reject = reject(d.reject_score)!;
    if (d.action !== undefined) own.spamAction = d.action;
    domains[d.name.toLowerCase()] = own;
  }
  return {
    ...DEFAULT_SPAM_SETTINGS,
    thresholds: { junk: spam.junk_score, reject: reject(spam.reject_score)!, spamAction: spam.action },
    domains,
    scores: { ...spam.scores },
    uriBlocklists: spam.uribl.map((u) => ({ zone: u.zone, score: u.score, ...(u.name ? { name: u.name } : {}), ...(u.mask ? { mask: u.mask } : {}) })),
    maxUriLookups: spam.max_uri_lookups,
    dnsblScore: spam.dnsbl_score,
    bayes: { enabled: spam.bayes.enabled, minSpam: spam.bayes.min_spam, minHam: spam.bayes.min_ham, perUser: spam.bayes.per_user },
    spamd: spam.spamd.address ? { address: spam.spamd.address, timeoutMs: spam.spamd.timeout, weight: spam.spamd.weight, maxBytes: spam.spamd.max_size, user: spam.spamd.user } : null,
    rspamd: spam.rspamd.url ? { url: spam.rspamd.url, password: spam.rspamd.password, timeoutMs: spam.rspamd.timeout, weight: spam.rspamd.weight, maxBytes: spam.rspamd.max_size } : null,
  };
}

export function filterPipelineFor(config: Config, deps: FilterDeps): FilterPipeline | undefined {
  const filters: Filter[] = [];
  if (config.dnsbl.zones.length > 0) filters.push(dnsblFilter(config.dnsbl, deps.dns));
  if (config.greylist.enabled) {
    if (!deps.greylist) throw new Error('[greylist] enabled needs the greylist store');
    filters.push(greylistFilter(greylistSettingsFrom(config.greylist), deps.greylist));
  }
  if (config.sender_auth.enabled) filters.push(senderAuthFilter(senderAuthSettingsFrom(config.sender_auth, config.filters.authserv_id || config.hostname), { dns: deps.dns }));
  if (config.clamav.enabled) filters.push(clamavFilter(clamavSettingsFrom(config.clamav)));
  if (config.attachments.enabled) filters.push(attachmentFilter(attachmentSettingsFrom(config.attachments)));
  // Last: it scores what the others found.
  if (config.spam.enabled) filters.push(spamFilter(spamSettingsFrom(config.spam), { dns: deps.dns, bayes: deps.bayes }));
  return filters.length > 0 ? new FilterPipeline(filters, { stageTimeoutMs: config.filters.stage_timeout }) : undefined;
}
