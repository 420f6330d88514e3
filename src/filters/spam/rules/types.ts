/*
 * The shape of a spam rule, as SpamAssassin's tests have it: a name, a
 * score and a description, and a test of the message. Static rules test
 * the message view and the facts; what needs I/O (URI blocklists, Bayes,
 * the external scorers) is found before the rules run and handed to them
 * as evidence, so every rule is a pure function and its tests literals.
 *
 * Exports: Rule, RuleFamily, RuleInput, Evidence, Hit.
 * Security: rules read untrusted input; each is linear in what it reads.
 */
import type { Facts } from '../../types.js';
import type { MessageView } from '../message.js';
import type { SpamSettings } from '../settings.js';
import type { UriLookupResult } from '../uribl.js';

/** What was found with I/O before the rules run. */
export interface Evidence {
  /** The hosts the message links to (urls.ts). */
  hosts: string[];
  uribl?: UriLookupResult;
  /** The Bayes probability of spam, 0 to 1, when a trained table was asked. */
  bayes?: number;
  /** External scorers' contributions, already weighted and scaled to our scale. */
  external?: { name: string; score: number }[];
}

export interface RuleInput {
  view: MessageView;
  facts: Readonly<Facts>;
  /** MAIL FROM ('' for the null sender). */
  sender: string;
  evidence: Evidence;
  settings: SpamSettings;
  /** Milliseconds since the epoch (the injected clock). */
  now: number;
}

/** A test that hit, with the score it adds. */
export interface Hit {
  name: string;
  score: number;
}

export interface Rule {
  /** Upper case, SpamAssassin style: MISSING_DATE. */
  name: string;
  score: number;
  description: string;
  test(input: RuleInput): boolean;
}

/** Rules whose names and scores come from the input: one per DNSBL zone listing the client, per URI list, per external scorer. */
export interface RuleFamily {
  /** What its names start with, for the documentation: RCVD_IN_, URIBL_. */
  prefix: string;
  description: string;
  hits(input: RuleInput): Hit[];
}
