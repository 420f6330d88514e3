/*
 * `petrel dkim show DOMAIN [--json]`: the TXT records the domain's DKIM keys
 * need, one per selector, each as a zone-file line whose value is cut into
 * strings of at most 255 octets in ONE record, and as name and value for a
 * DNS provider's web form (which joins the strings itself).
 */
import { domainToDisplay } from '../core/address.js';
import { dkimRecordStrings, dkimRecordValue, dkimZoneLine } from '../sender-auth/dkim-keys.js';
import type { DkimKeyRecord } from '../store/types.js';
import { need, UsageError, type CommandContext } from './context.js';
import type { Io } from './io.js';

/** Prints what to publish for these keys of domain (an A-label). */
export function printDkimRecords(io: Io, domain: string, keys: readonly DkimKeyRecord[]): void {
  if (keys.length === 0) {
    io.out(`${domainToDisplay(domain)} has no DKIM key`);
    return;
  }
  io.out(`publish for DKIM (one TXT record per selector; the quoted strings are one record):`);
  for (const key of keys) io.out(`  ${dkimZoneLine(domain, key)}`);
}

export async function dkim(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  if (action !== 'show') throw new UsageError('usage: petrel dkim show DOMAIN [--json]');
  need(rest, 1, 'petrel dkim show DOMAIN [--json]');
  return ctx.withStores(async ({ directory }) => {
    const keys = await directory.dkimKeys(rest[0]!);
    const domain = keys[0]?.domain ?? rest[0]!;
    if (ctx.options.json) {
      const records = keys.map((k) => ({ name: `${k.selector}._domainkey.${domain}`, type: 'TXT', selector: k.selector, algorithm: k.algorithm, value: dkimRecordValue(k), strings: dkimRecordStrings(k) }));
      ctx.io.out(JSON.stringify(records, null, 2));
      return 0;
    }
    printDkimRecords(ctx.io, domain, keys);
    for (const key of keys) ctx.io.out(`  name: ${key.selector}._domainkey.${domain}   value: ${dkimRecordValue(key)}`);
    return 0;
  });
}
