/*
 * The spam filter (issue 6, "Spam"): built-in rules, URI blocklists, a
 * Bayesian classifier trained from Junk moves and `petrel spam learn`,
 * and the optional external scorers spamd and rspamd, combined into one
 * score that maps to an action per recipient domain.
 *
 * Exports: spamFilter and its settings; the trainer (trainFromEvents,
 * learnMessage, forgetMessage); the engine and the rules, for `petrel
 * spam` and the documentation; the spamd and rspamd clients.
 */
export { spamFilter, type SpamDeps } from './filter.js';
export {
  DEFAULT_RSPAMD, DEFAULT_SPAM_SETTINGS, DEFAULT_SPAMD, thresholdsFor,
  type BayesSettings, type RspamdSettings, type SpamdSettings, type SpamSettings, type SpamThresholds, type UriBlocklist,
} from './settings.js';
export { forgetMessage, learnMessage, trainFromEvents, type TrainingReport } from './bayes/learn.js';
export { classify, type Classification } from './bayes/classify.js';
export { tokenize } from './bayes/tokenize.js';
export { formatScore, scoreMessage, type ScoreResult } from './engine.js';
export { readMessage, type MessageView } from './message.js';
export { urlHosts } from './urls.js';
export { FAMILIES, GTUBE, RULES, type Rule } from './rules/index.js';
export { SpamdClient } from './external/spamd-client.js';
export { RspamdClient } from './external/rspamd-client.js';
