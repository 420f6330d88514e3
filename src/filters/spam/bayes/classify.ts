/*
 * The Bayesian classifier: Gary Robinson's per-token probabilities with
 * his prior (a token seen little leans to 0.5), combined by Fisher's
 * chi-squared method as SpamBayes does it: the 150 tokens farthest from
 * 0.5 (at least 0.1 away) give a spam and a ham indication, and the
 * probability is (1 + S - H) / 2: near 1 spam, near 0 ham, near 0.5
 * unsure (both or neither).
 *
 * The table asked is the recipient's own (per user) when it has learned
 * at least minSpam spam and minHam ham messages, else the global one if
 * that has; otherwise there is no verdict (undefined), as an untrained
 * classifier's guesses would only add noise.
 *
 * Exports: combine, tokenProbability, classify, Classification.
 * Security: counts come from our store; the work is linear in the tokens
 * (at most MAX_TOKENS), one store lookup per table.
 * Standards: none (Robinson, "A Statistical Approach to the Spam
 * Problem", 2003; Fisher's method for combining probabilities).
 */
import type { BayesCounts, BayesStore } from '../../../store/types.js';
import { MAX_BAYES_CLUES } from '../limits.js';
import type { BayesSettings } from '../settings.js';

/** Robinson's s (strength of the prior) and x (the prior for a token never seen). */
const STRENGTH = 1;
const PRIOR = 0.5;
/** Tokens closer to 0.5 than this say nothing and are left out. */
const MIN_DISTANCE = 0.1;
/** Probabilities are kept inside (0, 1) so a logarithm never sees 0. */
const EPSILON = 1e-6;

/** f(w): the probability that a message with this token is spam, from its counts and the table's totals. */
export function tokenProbability(counts: BayesCounts, totals: BayesCounts): number {
  const spamRatio = totals.spam > 0 ? counts.spam / totals.spam : 0;
  const hamRatio = totals.ham > 0 ? counts.ham / totals.ham : 0;
  const n = counts.spam + counts.ham;
  const p = spamRatio + hamRatio > 0 ? spamRatio / (spamRatio + hamRatio) : PRIOR;
  return (STRENGTH * PRIOR + n * p) / (STRENGTH + n);
}

/** The upper tail of the chi-squared distribution with an even number of degrees of freedom. */
function chi2Q(x2: number, degrees: number): number {
  const m = x2 / 2;
  let term = Math.exp(-m);
  let sum = term;
  for (let i = 1; i < degrees / 2; i++) {
    term *= m / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

/** Fisher-Robinson combination of token probabilities; 0.5 when none is telling. */
export function combine(probabilities: readonly number[]): number {
  const clues = probabilities
    .filter((p) => Math.abs(p - 0.5) >= MIN_DISTANCE)
    .sort((a, b) => Math.abs(b - 0.5) - Math.abs(a - 0.5))
    .slice(0, MAX_BAYES_CLUES)
    .map((p) => Math.min(1 - EPSILON, Math.max(EPSILON, p)));
  if (clues.length === 0) return 0.5;
  let lnSpam = 0;
  let lnHam = 0;
  for (const p of clues) {
    lnHam += Math.log(p);
    lnSpam += Math.log(1 - p);
  }
  const spam = 1 - chi2Q(-2 * lnSpam, 2 * clues.length);
  const ham = 1 - chi2Q(-2 * lnHam, 2 * clues.length);
  return (1 + spam - ham) / 2;
}

export interface Classification {
  probability: number;
  /** Which table answered. */
  table: 'user' | 'global';
}

const trained = (t: BayesCounts, s: BayesSettings) => t.spam >= s.minSpam && t.ham >= s.minHam;

/** The probability of spam, or undefined when no table has learned enough. accountId: the one recipient's account, if any. */
export async function classify(store: BayesStore, tokens: readonly string[], accountId: number | null, settings: BayesSettings): Promise<Classification | undefined> {
  let table: Classification['table'] = 'global';
  let id: number | null = null;
  let totals: BayesCounts | undefined;
  if (settings.perUser && accountId !== null) {
    const own = await store.totals(accountId);
    if (trained(own, settings)) {
      table = 'user';
      id = accountId;
      totals = own;
    }
  }
  totals ??= await store.totals(null);
  if (!trained(totals, settings)) return undefined;
  const counts = await store.tokenCounts(id, tokens);
  const probabilities = tokens.map((t) => tokenProbability(counts.get(t) ?? { spam: 0, ham: 0 }, totals));
  return { probability: combine(probabilities), table };
}
