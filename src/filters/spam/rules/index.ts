/*
 * Every built-in rule, by group, for the engine; and the external
 * scorers' contributions as a family of their own.
 *
 * Exports: RULES, FAMILIES, the rule types.
 */
import { AUTH_RULES } from './auth.js';
import { BAYES_RULES } from './bayes.js';
import { CONTENT_RULES } from './content.js';
import { HEADER_RULES } from './headers.js';
import { NETWORK_FAMILIES, NETWORK_RULES } from './network.js';
import type { Rule, RuleFamily } from './types.js';

export type { Evidence, Hit, Rule, RuleFamily, RuleInput } from './types.js';
export { GTUBE } from './content.js';

export const RULES: readonly Rule[] = [...HEADER_RULES, ...AUTH_RULES, ...NETWORK_RULES, ...CONTENT_RULES, ...BAYES_RULES];

const EXTERNAL: RuleFamily = {
  prefix: 'SPAMD, RSPAMD',
  description: 'An external scorer\'s score, weighted and scaled to ours',
  hits: ({ evidence }) => evidence.external ?? [],
};

export const FAMILIES: readonly RuleFamily[] = [...NETWORK_FAMILIES, EXTERNAL];
