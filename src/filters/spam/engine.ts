/*
 * The built-in scoring engine: runs every rule and rule family over one
 * message and adds up the scores of those that hit, each rule's score
 * replaced by the operator's (settings.scores) when given, 0 turning it
 * off, as SpamAssassin's `score` lines do.
 *
 * Exports: ScoreResult, scoreMessage, formatScore.
 * Security: pure; a rule that throws on hostile input counts as no hit
 * (logged by the caller through `failed`), it never fails the message.
 */
import { FAMILIES, RULES, type Hit, type RuleInput } from './rules/index.js';

export interface ScoreResult {
  score: number;
  /** The tests that hit, highest score first, then by name. */
  hits: Hit[];
  /** Rules that threw, by name. */
  failed: string[];
}

/** One decimal, as X-Spam-Score and SpamAssassin show it. */
export function formatScore(score: number): string {
  return (Math.round(score * 10) / 10).toFixed(1);
}

export function scoreMessage(input: RuleInput): ScoreResult {
  const overrides = input.settings.scores;
  const scoreOf = (name: string, own: number) => (Object.hasOwn(overrides, name) ? overrides[name]! : own);
  const hits: Hit[] = [];
  const failed: string[] = [];
  for (const rule of RULES) {
    const score = scoreOf(rule.name, rule.score);
    if (score === 0) continue;
    try {
      if (rule.test(input)) hits.push({ name: rule.name, score });
    } catch {
      failed.push(rule.name);
    }
  }
  for (const family of FAMILIES) {
    try {
      for (const h of family.hits(input)) {
        const score = scoreOf(h.name, h.score);
        if (score !== 0) hits.push({ name: h.name, score });
      }
    } catch {
      failed.push(family.prefix);
    }
  }
  hits.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { score: hits.reduce((sum, h) => sum + h.score, 0), hits, failed };
}
