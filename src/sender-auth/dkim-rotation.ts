/*
 * DKIM key rotation, as Postfix/OpenDKIM operators do it by hand: make a
 * new key under a new selector, publish its record, switch signing once
 * the record is visible, keep the old record published for a while (mail
 * in flight, queued retries and late verifiers still check the old
 * signature), then say the old record can go.
 *
 *   pending --(record visible with our p=)--> active --(a newer key of the
 *   same algorithm becomes active)--> retiring --(retire_after)--> retired
 *
 * The switch step (runDkimRotation) looks every pending key's record up
 * through the resolver Petrel is configured with, and activates the key
 * only when exactly one DKIM record is there and its p= is ours (and its
 * k= our algorithm): a record with another key, a truncated paste or two
 * records at the selector leave the key pending and say why. It runs in
 * `petrel serve` (app/dkim-rotation.ts) and from `petrel dkim check`.
 *
 * Selectors of a rotation are dated by month (s202612, s202612-ed for the
 * Ed25519 key) so a yearly selector of `domain add` (s2026) never clashes,
 * with a letter added when the month's name is taken (s202612b).
 *
 * Exports: runDkimRotation, rotationSelector, publishedKeyProblem,
 * RotationDeps, RotationReport, KeyCheck.
 * Security: reads TXT records (zone-controlled text) through the bounded
 * DNS client; only the p= and k= tags are looked at, the text is not kept.
 * Standards: RFC 6376 sections 3.6.1 (the key record) and 3.6.2.2 (the
 * strings of one TXT record joined), RFC 8463 (k=ed25519).
 */
import type { DnsClient } from '../dns/client.js';
import type { DkimKeyRecord, DkimKeyStore } from '../store/types.js';

export interface RotationDeps {
  keys: DkimKeyStore;
  dns: Pick<DnsClient, 'txt'>;
  now: () => number;
  /** How long a key that stopped signing stays published ([dkim] retire_after). */
  retireAfterMs: number;
}

/** What the switch step found for one pending key. */
export type KeyCheck =
  | { outcome: 'activated'; key: DkimKeyRecord; retiring: DkimKeyRecord[] }
  /** No record at the selector yet (or the lookup failed: try again later). */
  | { outcome: 'not-visible'; key: DkimKeyRecord; detail: string }
  /** A record is there but it is not this key's: the key stays pending. */
  | { outcome: 'mismatch'; key: DkimKeyRecord; detail: string };

export interface RotationReport {
  checked: KeyCheck[];
  /** Keys whose grace ran out now: their records may be removed. */
  retired: DkimKeyRecord[];
}

/** The TXT record name of a key. */
export const recordName = (key: Pick<DkimKeyRecord, 'selector' | 'domain'>): string => `${key.selector}._domainkey.${key.domain}`;

/** The tags of a key record as a map (later duplicates ignored; the doctor judges syntax). */
function tags(record: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).replace(/[ \t\r\n]+/g, ''));
  }
  return out;
}

/** Why these TXT records do not publish key, or undefined when they do (one DKIM record, our p= and k=). */
export function publishedKeyProblem(records: readonly string[], key: Pick<DkimKeyRecord, 'algorithm' | 'publicKey'>): string | undefined {
  const dkim = records.map(tags).filter((t) => t.has('p'));
  if (dkim.length === 0) return `${records.length} TXT record(s) at the name, none with a key (p=)`;
  if (dkim.length > 1) return `${dkim.length} DKIM records at the name; a verifier takes any one of them, so publish exactly one`;
  const t = dkim[0]!;
  const published = t.get('p')!;
  if (published === '') return 'the published record is revoked (empty p=)';
  if (published !== key.publicKey) return `the published p= (${published.slice(0, 16)}...${published.slice(-8)}, ${published.length} characters) is not this key (${key.publicKey.slice(0, 16)}...${key.publicKey.slice(-8)}, ${key.publicKey.length}): another key, or cut while pasting`;
  const k = t.get('k') ?? 'rsa';
  const wanted = key.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
  if (k !== wanted) return `the published record says k=${k}, the key is ${wanted}`;
  return undefined;
}

/** Checks one pending key's record and activates the key when it is published. */
async function checkKey(deps: RotationDeps, key: DkimKeyRecord): Promise<KeyCheck> {
  const answer = await deps.dns.txt(recordName(key));
  if (!answer.ok) {
    const detail = answer.kind === 'temporary' ? `lookup failed (${answer.detail}); asked again at the next check` : `no TXT record at ${recordName(key)} yet (${answer.kind})`;
    return { outcome: 'not-visible', key, detail };
  }
  const problem = publishedKeyProblem(answer.records, key);
  if (problem) return { outcome: 'mismatch', key, detail: problem };
  const retiring = await deps.keys.activateDkimKey(key.id);
  // undefined: another process (the server's step and `petrel dkim check`) activated it first.
  if (!retiring) return { outcome: 'not-visible', key, detail: 'no longer pending' };
  return { outcome: 'activated', key: { ...key, state: 'active', activatedAt: deps.now() }, retiring };
}

/**
 * The switch step: every pending key (of one domain, or of all) whose record is visible becomes active and
 * retires the previous key of its algorithm; retiring keys whose grace has run out become retired.
 */
export async function runDkimRotation(deps: RotationDeps, domain?: string): Promise<RotationReport> {
  const pending = domain === undefined ? await deps.keys.dkimKeysIn(['pending']) : await deps.keys.dkimKeys(domain, ['pending']);
  const checked: KeyCheck[] = [];
  for (const key of pending) checked.push(await checkKey(deps, key));
  // Retirement is due for every domain alike, whichever domain was asked about.
  const retired = await deps.keys.retireDkimKeys(deps.now() - deps.retireAfterMs);
  return { checked, retired };
}

/**
 * The selector for a rotation made at `now`: "s" and the year and month (s202612), or the operator's, with a
 * letter added while that name, or its "-ed" twin, is taken by any key of the domain (retired ones too).
 */
export function rotationSelector(taken: ReadonlySet<string>, now: Date, requested?: string): string {
  const base = requested ?? `s${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const free = (s: string) => !taken.has(s) && !taken.has(`${s}-ed`);
  if (free(base)) return base;
  if (requested !== undefined) throw new Error(`selector ${requested} is taken by a key of this domain; choose another`);
  for (const letter of 'bcdefghijklmnopqrstuvwxyz') if (free(`${base}${letter}`)) return `${base}${letter}`;
  throw new Error(`every selector ${base}b..${base}z is taken; give one with --selector`);
}
