/*
 * Recipient resolution: what an address on the envelope means here.
 *
 * Order, as Postfix with virtual alias and mailbox maps plus PostfixAdmin's
 * catch-all rules behaves: an exact alias, then a mailbox, then the same two
 * for the address without its +tag, then the domain's catch-all, then
 * postmaster@ (which every domain has). Alias domains deliver as their
 * target. Aliases expand recursively to local mailboxes and remote
 * addresses, with loop and fan-out limits.
 *
 * Security: reads peer-supplied addresses (already parsed). Expansion is
 * bounded (depth and fan-out) so an alias loop or a huge list cannot stall
 * a session.
 * Standards: RFC 5321 section 4.5.1 (postmaster), RFC 5233 (subaddress).
 */
import { normalizeLocal, parseAddress, type Address } from '../core/address.js';
import type { AccountRecord, DirectoryStore, DomainRecord } from '../store/types.js';

/** How deep aliases may point at aliases. */
export const MAX_ALIAS_DEPTH = 10;
/** How many final targets one recipient may expand to. */
export const MAX_ALIAS_TARGETS = 1000;

export type Target =
  | { kind: 'mailbox'; account: AccountRecord; address: string }
  | { kind: 'remote'; address: string };

export type Resolution =
  | { kind: 'deliver'; targets: Target[] }
  | { kind: 'not-hosted' }
  | { kind: 'unknown' }
  | { kind: 'disabled'; account: AccountRecord };

export interface ResolveOptions {
  subaddressSeparator: string;
  /** Where postmaster@ goes when a domain has no postmaster of its own ('' = the domain's oldest account). */
  postmaster: string;
}

type Step = { kind: 'targets'; list: string[] } | { kind: 'account'; account: AccountRecord } | { kind: 'none' };

export class RecipientResolver {
  constructor(
    private readonly store: DirectoryStore,
    private readonly options: ResolveOptions,
  ) {}

  /** The domain as hosted here (following an alias domain to its target), if it is. */
  async hostedDomain(ascii: string): Promise<{ domain: DomainRecord; canonical: string } | undefined> {
    const domain = await this.store.getDomain(ascii);
    if (!domain) return undefined;
    return { domain, canonical: domain.aliasOf ?? domain.ascii };
  }

  /** One level: alias or mailbox for local@domain (domain canonical). */
  private async lookup(domain: string, local: string): Promise<Step> {
    const alias = await this.store.getAlias(domain, local);
    if (alias) return { kind: 'targets', list: alias.targets };
    const account = await this.store.getAccount(domain, local);
    if (account) return { kind: 'account', account };
    return { kind: 'none' };
  }

  private async lookupAddress(domain: string, rawLocal: string): Promise<Step> {
    const local = normalizeLocal(rawLocal);
    const exact = await this.lookup(domain, local);
    if (exact.kind !== 'none') return exact;
    const sep = this.options.subaddressSeparator;
    if (sep) {
      const at = local.indexOf(sep);
      if (at > 0) {
        const base = await this.lookup(domain, local.slice(0, at));
        if (base.kind !== 'none') return base;
      }
    }
    const catchAll = await this.store.getAlias(domain, '');
    if (catchAll) return { kind: 'targets', list: catchAll.targets };
    if (local === 'postmaster') return this.postmaster(domain);
    return { kind: 'none' };
  }

  private async postmaster(domain: string): Promise<Step> {
    if (this.options.postmaster) return { kind: 'targets', list: [this.options.postmaster] };
    const [oldest] = (await this.store.listAccounts(domain)).filter((a) => a.enabled);
    return oldest ? { kind: 'account', account: oldest } : { kind: 'none' };
  }

  async resolve(address: Address): Promise<Resolution> {
    const hosted = await this.hostedDomain(address.domain);
    if (!hosted) return { kind: 'not-hosted' };
    const first = await this.lookupAddress(hosted.canonical, address.local);
    if (first.kind === 'none') return { kind: 'unknown' };
    if (first.kind === 'account') {
      if (!first.account.enabled) return { kind: 'disabled', account: first.account };
      return { kind: 'deliver', targets: [{ kind: 'mailbox', account: first.account, address: `${first.account.local}@${first.account.domain}` }] };
    }
    const targets = await this.expand(first.list);
    return targets.length > 0 ? { kind: 'deliver', targets } : { kind: 'unknown' };
  }

  /** Breadth-first alias expansion with loop, depth and fan-out limits. */
  private async expand(initial: string[]): Promise<Target[]> {
    const out: Target[] = [];
    const seen = new Set<string>();
    let level = initial;
    for (let depth = 0; depth < MAX_ALIAS_DEPTH && level.length > 0; depth++) {
      const next: string[] = [];
      for (const text of level) {
        if (out.length >= MAX_ALIAS_TARGETS) return out;
        const parsed = parseAddress(text);
        if (!parsed.ok) continue;
        const key = `${normalizeLocal(parsed.address.local)}@${parsed.address.domain}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const hosted = await this.hostedDomain(parsed.address.domain);
        if (!hosted) {
          out.push({ kind: 'remote', address: text });
          continue;
        }
        const step = await this.lookupAddress(hosted.canonical, parsed.address.local);
        if (step.kind === 'account') {
          const address = `${step.account.local}@${step.account.domain}`;
          if (step.account.enabled && !out.some((t) => t.kind === 'mailbox' && t.account.id === step.account.id)) out.push({ kind: 'mailbox', account: step.account, address });
        } else if (step.kind === 'targets') {
          next.push(...step.list);
        }
      }
      level = next;
    }
    return out;
  }
}
