/*
 * `petrel dkim`: the domain's DKIM keys and their rotation.
 *
 *   show DOMAIN [--json]      the TXT records to publish: every key that signs, is about to, or stopped
 *                             signing lately (pending, active, retiring), one per selector, each as a
 *                             zone-file line whose value is cut into strings of at most 255 octets in
 *                             ONE record, and as name and value for a DNS provider's web form; then
 *                             the retired selectors whose records can be removed
 *   status DOMAIN             each key's state, since when, and what happens next
 *   rotate DOMAIN [--selector S] [--algorithm rsa|ed25519|both]
 *                             new key(s) under a new selector, pending: prints the record to publish;
 *                             signing switches once it is visible (sender-auth/dkim-rotation.ts)
 *   check [DOMAIN]            the switch step now (the server runs it every [dkim] check_interval)
 *
 * Security: operator command; prints public keys only.
 */
import { dkimRotationDeps } from '../app/dkim-rotation.js';
import type { Config } from '../config/schema.js';
import { domainToAscii, domainToDisplay } from '../core/address.js';
import { generateDkimKey, dkimRecordStrings, dkimRecordValue, dkimZoneLine } from '../sender-auth/dkim-keys.js';
import { recordName, rotationSelector, runDkimRotation } from '../sender-auth/dkim-rotation.js';
import type { DkimKeyInput, DkimKeyRecord, DkimKeyState } from '../store/types.js';
import { need, UsageError, type CommandContext } from './context.js';
import type { Io } from './io.js';
import { table } from './table.js';

const USAGE = 'usage: petrel dkim show DOMAIN [--json] | status DOMAIN | rotate DOMAIN [--selector S] [--algorithm rsa|ed25519|both] | check [DOMAIN]';

/** The keys whose records must be published. */
export const PUBLISHED_STATES: readonly DkimKeyState[] = ['pending', 'active', 'retiring'];

/** Prints what to publish for these keys of domain (an A-label). */
export function printDkimRecords(io: Io, domain: string, keys: readonly DkimKeyRecord[]): void {
  if (keys.length === 0) {
    io.out(`${domainToDisplay(domain)} has no DKIM key`);
    return;
  }
  io.out(`publish for DKIM (one TXT record per selector; the quoted strings are one record):`);
  for (const key of keys) io.out(`  ${dkimZoneLine(domain, key)}`);
}

/** 7d, 36h, 1h, 90s: the largest unit that divides the duration. */
function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const day = (at: number | null) => (at === null ? '' : new Date(at).toISOString().slice(0, 16).replace('T', ' '));

/** What happens next to a key, for status. */
function nextStep(key: DkimKeyRecord, config: Config): string {
  switch (key.state) {
    case 'pending':
      return 'signs once its record is visible (petrel dkim check)';
    case 'active':
      return 'signs';
    case 'retiring':
      return `keep the record published; retired after ${day(key.retiredAt! + config.dkim.retire_after)}`;
    case 'retired':
      return 'the record can be removed';
  }
}

function printRetired(io: Io, keys: readonly DkimKeyRecord[]): void {
  for (const k of keys.filter((x) => x.state === 'retired')) io.out(`retired: ${recordName(k)} no longer signs nor needs publishing; its record can be removed`);
}

/** The algorithms a rotation makes keys for: as asked, or those of the domain's signing keys. */
function rotationAlgorithms(option: unknown, active: readonly DkimKeyRecord[]): DkimKeyInput['algorithm'][] {
  if (option === undefined) {
    const have = new Set(active.map((k) => k.algorithm));
    return have.has('ed25519-sha256') ? (have.has('rsa-sha256') ? ['rsa-sha256', 'ed25519-sha256'] : ['ed25519-sha256']) : ['rsa-sha256'];
  }
  const table: Record<string, DkimKeyInput['algorithm'][]> = { rsa: ['rsa-sha256'], ed25519: ['ed25519-sha256'], both: ['rsa-sha256', 'ed25519-sha256'] };
  const chosen = typeof option === 'string' ? table[option] : undefined;
  if (!chosen) throw new UsageError('--algorithm is rsa, ed25519 or both');
  return chosen;
}

export async function dkim(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  return ctx.withStores(async ({ directory, store }, { config }) => {
    switch (action) {
      case 'show': {
        need(rest, 1, 'petrel dkim show DOMAIN [--json]');
        const all = await directory.dkimKeys(rest[0]!);
        const keys = all.filter((k) => PUBLISHED_STATES.includes(k.state));
        const domain = all[0]?.domain ?? rest[0]!;
        if (ctx.options.json) {
          const records = keys.map((k) => ({ name: recordName(k), type: 'TXT', selector: k.selector, algorithm: k.algorithm, state: k.state, value: dkimRecordValue(k), strings: dkimRecordStrings(k) }));
          ctx.io.out(JSON.stringify(records, null, 2));
          return 0;
        }
        printDkimRecords(ctx.io, domain, keys);
        for (const key of keys) ctx.io.out(`  name: ${recordName(key)}   value: ${dkimRecordValue(key)}${key.state === 'active' ? '' : `   (${key.state})`}`);
        printRetired(ctx.io, all);
        return 0;
      }
      case 'status': {
        need(rest, 1, 'petrel dkim status DOMAIN');
        const keys = await directory.dkimKeys(rest[0]!);
        const rows = keys.map((k) => [k.selector, k.algorithm, k.state, day(k.state === 'retiring' || k.state === 'retired' ? k.retiredAt : k.activatedAt ?? k.createdAt), nextStep(k, config)]);
        for (const line of table(['SELECTOR', 'ALGORITHM', 'STATE', 'SINCE', 'NEXT'], rows)) ctx.io.out(line);
        return 0;
      }
      case 'rotate': {
        need(rest, 1, 'petrel dkim rotate DOMAIN [--selector S] [--algorithm rsa|ed25519|both]');
        const existing = await directory.dkimKeys(rest[0]!);
        const domain = domainToAscii(rest[0]!)!;
        const pending = existing.filter((k) => k.state === 'pending');
        if (pending.length > 0) {
          throw new Error(`${rest[0]} has a rotation waiting for its record: ${pending.map(recordName).join(', ')} (petrel dkim show ${rest[0]}; petrel dkim check ${rest[0]})`);
        }
        const requested = ctx.options.selector as string | undefined;
        if (requested !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])?$/.test(requested)) throw new UsageError('--selector must be a DNS label such as s202612');
        const selector = rotationSelector(new Set(existing.map((k) => k.selector)), new Date(), requested);
        const algorithms = rotationAlgorithms(ctx.options.algorithm, existing.filter((k) => k.state === 'active'));
        const added = await store.directory.addDkimKeys(domain, algorithms.map((a) => generateDkimKey(a, selector)));
        ctx.io.out(`new DKIM key${added.length > 1 ? 's' : ''} for ${domainToDisplay(domain)}: ${added.map((k) => `${k.selector} (${k.algorithm})`).join(', ')}, pending`);
        printDkimRecords(ctx.io, domain, added);
        for (const key of added) ctx.io.out(`  name: ${recordName(key)}   value: ${dkimRecordValue(key)}`);
        const signing = existing.filter((k) => k.state === 'active' && algorithms.includes(k.algorithm)).map((k) => k.selector);
        ctx.io.out(`signing switches to ${added.length > 1 ? 'each new key once its record is' : `${selector} once this record is`} visible through the configured resolvers: a running server checks every ${formatDuration(config.dkim.check_interval)} (and at start), or run petrel dkim check ${domainToDisplay(domain)}`);
        if (signing.length > 0) ctx.io.out(`until then ${signing.join(', ')} ${signing.length > 1 ? 'sign; after the switch their records' : 'signs; after the switch its record'} must stay published for ${formatDuration(config.dkim.retire_after)} ([dkim] retire_after)`);
        return 0;
      }
      case 'check': {
        // dkimKeys refuses a name that is not a hosted domain.
        const domain = rest[0] === undefined ? undefined : ((await directory.dkimKeys(rest[0])), domainToAscii(rest[0])!);
        const report = await runDkimRotation(dkimRotationDeps(config, store.directory), domain);
        if (report.checked.length === 0 && report.retired.length === 0) ctx.io.out(`no DKIM key is waiting for its record${domain ? ` at ${domainToDisplay(domain)}` : ''}`);
        for (const c of report.checked) {
          if (c.outcome === 'activated') {
            ctx.io.out(`${recordName(c.key)}: the record is visible; ${c.key.selector} signs now${c.retiring.length ? `; ${c.retiring.map((k) => k.selector).join(', ')} retiring: keep its record published for ${formatDuration(config.dkim.retire_after)}` : ''}`);
          } else {
            ctx.io.out(`${recordName(c.key)}: still pending: ${c.detail}`);
          }
        }
        printRetired(ctx.io, report.retired);
        if (report.checked.some((c) => c.outcome === 'activated')) ctx.io.out('a running server signs with the new key from the next message');
        return 0;
      }
      default:
        throw new UsageError(USAGE);
    }
  });
}
