/*
 * The Bayes classifier's verdict as rules, in SpamAssassin's bands: the
 * probability of spam falls in one band (BAYES_00 for under 1 % up to
 * BAYES_99 for 99 % and more, BAYES_999 added above 99.9 %), each with
 * SpamAssassin's default score, so a well-trained classifier moves a
 * message about 3.5 points either way at most.
 *
 * Exports: BAYES_RULES.
 * Security: the probability is ours (bayes/classify.ts).
 */
import type { Rule } from './types.js';

const band = (name: string, score: number, from: number, to: number): Rule => ({
  name,
  score,
  description: `Bayes: spam probability ${from * 100} to ${to * 100} %`,
  test: ({ evidence }) => evidence.bayes !== undefined && evidence.bayes >= from && (evidence.bayes < to || to === 1),
});

export const BAYES_RULES: Rule[] = [
  band('BAYES_00', -1.9, 0, 0.01),
  band('BAYES_05', -0.5, 0.01, 0.05),
  band('BAYES_20', -0.001, 0.05, 0.2),
  band('BAYES_40', -0.001, 0.2, 0.4),
  band('BAYES_50', 0.8, 0.4, 0.6),
  band('BAYES_60', 1.5, 0.6, 0.8),
  band('BAYES_80', 2.0, 0.8, 0.95),
  band('BAYES_95', 3.0, 0.95, 0.99),
  band('BAYES_99', 3.5, 0.99, 1),
  band('BAYES_999', 0.2, 0.999, 1),
];
