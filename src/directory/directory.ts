/*
 * The directory: domains, alias domains, accounts and aliases as the
 * operator manages them (the `petrel` CLI, later the admin UI), plus the
 * questions the protocols ask of it: who is this recipient, is this login
 * right, may this user send as that address.
 *
 * Security: authenticate() answers a wrong password and an unknown user
 * alike and in the same time (a dummy Argon2id verify for unknown users).
 * Passwords in legacy schemes are re-hashed to Argon2id at the next
 * successful login.
 * Standards: RFC 5890 (domains stored as Unicode, matched as A-labels).
 */
import { domainToAscii, domainToDisplay, normalizeLocal, parseAddress, type Address } from '../core/address.js';
import type { AccountRecord, AliasRecord, DirectoryStore, DkimKeyInput, DkimKeyRecord, DomainRecord } from '../store/types.js';
import { hashPassword, verifyDummy, verifyPassword } from './password/index.js';
import { RecipientResolver, type Resolution, type ResolveOptions } from './resolve.js';

export class DirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryError';
  }
}

function domainOrThrow(name: string): string {
  const ascii = domainToAscii(name);
  if (ascii === undefined || !ascii.includes('.')) throw new DirectoryError(`"${name}" is not a valid domain name`);
  return ascii;
}

function addressOrThrow(text: string): Address {
  const parsed = parseAddress(text.trim());
  if (!parsed.ok) throw new DirectoryError(`"${text}" is not a plain address (${parsed.problem})`);
  return parsed.address;
}

/** `@domain` (catch-all) or `local@domain`, as alias sources are written. */
function aliasSource(text: string): { domain: string; local: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('@')) return { domain: domainOrThrow(trimmed.slice(1)), local: '' };
  const address = addressOrThrow(trimmed);
  return { domain: address.domain, local: normalizeLocal(address.local) };
}

export function accountAddress(account: AccountRecord): string {
  return `${account.local}@${domainToDisplay(account.domain)}`;
}

export class Directory {
  readonly resolver: RecipientResolver;

  constructor(
    private readonly store: DirectoryStore,
    private readonly options: ResolveOptions,
  ) {
    this.resolver = new RecipientResolver(store, options);
  }

  // Domains

  /** Adds a domain with its DKIM keys (made by the caller: sender-auth/dkim-keys.ts), in one transaction. */
  async addDomain(name: string, options: { aliasOf?: string; dkimKeys?: () => DkimKeyInput[] } = {}): Promise<DomainRecord> {
    const ascii = domainOrThrow(name);
    if (await this.store.getDomain(ascii)) throw new DirectoryError(`domain ${name} already exists`);
    const aliasOf = options.aliasOf === undefined ? null : domainOrThrow(options.aliasOf);
    if (aliasOf !== null && !(await this.store.getDomain(aliasOf))) throw new DirectoryError(`domain ${options.aliasOf} does not exist; add it first`);
    return this.store.addDomain({ name: domainToDisplay(ascii), ascii, aliasOf, dkimKeys: options.dkimKeys?.() ?? [] });
  }

  /** A domain's DKIM keys, oldest first. */
  async dkimKeys(name: string): Promise<DkimKeyRecord[]> {
    const ascii = domainOrThrow(name);
    if (!(await this.store.getDomain(ascii))) throw new DirectoryError(`no domain ${name}`);
    return this.store.dkimKeys(ascii);
  }

  listDomains(): Promise<DomainRecord[]> {
    return this.store.listDomains();
  }

  async removeDomain(name: string): Promise<void> {
    if (!(await this.store.removeDomain(domainOrThrow(name)))) throw new DirectoryError(`no domain ${name}`);
  }

  async isHosted(ascii: string): Promise<boolean> {
    return (await this.store.getDomain(ascii)) !== undefined;
  }

  /** A-labels of all hosted domains (for certificates). */
  async hostedNames(): Promise<string[]> {
    return (await this.store.listDomains()).map((d) => d.ascii);
  }

  // Accounts

  /** Finds the account for an address, following an alias domain; case-insensitive. */
  async findAccount(text: string): Promise<AccountRecord | undefined> {
    const parsed = parseAddress(text.trim());
    if (!parsed.ok) return undefined;
    const hosted = await this.resolver.hostedDomain(parsed.address.domain);
    if (!hosted) return undefined;
    return this.store.getAccount(hosted.canonical, normalizeLocal(parsed.address.local));
  }

  async addUser(text: string, password: string, quotaBytes = 0): Promise<AccountRecord> {
    const address = addressOrThrow(text);
    const domain = await this.store.getDomain(address.domain);
    if (!domain) throw new DirectoryError(`domain ${domainToDisplay(address.domain)} is not hosted here; add it with \`petrel domain add\``);
    if (domain.aliasOf) throw new DirectoryError(`${domain.name} is an alias domain of ${domainToDisplay(domain.aliasOf)}; add the user there`);
    const local = normalizeLocal(address.local);
    if (await this.store.getAccount(domain.ascii, local)) throw new DirectoryError(`user ${text} already exists`);
    if (password.length === 0) throw new DirectoryError('the password is empty');
    return this.store.addAccount({ domain: domain.ascii, local, passwordHash: await hashPassword(password), quotaBytes });
  }

  private async accountOrThrow(text: string): Promise<AccountRecord> {
    const account = await this.findAccount(text);
    if (!account) throw new DirectoryError(`no user ${text}`);
    return account;
  }

  async setPassword(text: string, password: string): Promise<void> {
    if (password.length === 0) throw new DirectoryError('the password is empty');
    const account = await this.accountOrThrow(text);
    await this.store.updateAccount(account.id, { passwordHash: await hashPassword(password) });
  }

  /** Stores an existing hash as is (migration from Dovecot or PostfixAdmin). */
  async setPasswordHash(text: string, hash: string): Promise<void> {
    const account = await this.accountOrThrow(text);
    await this.store.updateAccount(account.id, { passwordHash: hash });
  }

  async setQuota(text: string, quotaBytes: number): Promise<void> {
    await this.store.updateAccount((await this.accountOrThrow(text)).id, { quotaBytes });
  }

  async setEnabled(text: string, enabled: boolean): Promise<void> {
    await this.store.updateAccount((await this.accountOrThrow(text)).id, { enabled });
  }

  async removeUser(text: string): Promise<void> {
    await this.store.removeAccount((await this.accountOrThrow(text)).id);
  }

  listUsers(domain?: string): Promise<AccountRecord[]> {
    return this.store.listAccounts(domain === undefined ? undefined : domainOrThrow(domain));
  }

  // Aliases

  async addAlias(from: string, targets: string[]): Promise<AliasRecord> {
    if (targets.length === 0) throw new DirectoryError('an alias needs at least one target');
    const source = aliasSource(from);
    const domain = await this.store.getDomain(source.domain);
    if (!domain) throw new DirectoryError(`domain ${domainToDisplay(source.domain)} is not hosted here`);
    if (domain.aliasOf) throw new DirectoryError(`${domain.name} is an alias domain of ${domainToDisplay(domain.aliasOf)}: its addresses are those of ${domainToDisplay(domain.aliasOf)}; add the alias there`);
    const clean = targets.map((t) => {
      const a = addressOrThrow(t);
      return `${a.local}@${a.domain}`;
    });
    return this.store.putAlias({ domain: source.domain, local: source.local, targets: clean });
  }

  async removeAlias(from: string): Promise<void> {
    const source = aliasSource(from);
    if (!(await this.store.removeAlias(source.domain, source.local))) throw new DirectoryError(`no alias ${from}`);
  }

  listAliases(domain?: string): Promise<AliasRecord[]> {
    return this.store.listAliases(domain === undefined ? undefined : domainOrThrow(domain));
  }

  // Questions protocols ask

  resolve(address: Address): Promise<Resolution> {
    return this.resolver.resolve(address);
  }

  /**
   * Checks a login. Unknown users cost a dummy verify so that timing does
   * not tell them apart; disabled accounts fail like a wrong password.
   */
  async authenticate(username: string, password: string): Promise<AccountRecord | undefined> {
    const account = await this.findAccount(username);
    if (!account) {
      await verifyDummy(password);
      return undefined;
    }
    const result = await verifyPassword(password, account.passwordHash);
    if (!result.ok || !account.enabled) return undefined;
    if (result.rehash) await this.store.updateAccount(account.id, { passwordHash: await hashPassword(password) });
    return account;
  }

  /**
   * May this account use this address as its envelope sender or From?
   * Its own address (any case, with a +tag, at an alias domain), or an
   * alias whose targets include it.
   */
  async maySendAs(account: AccountRecord, text: string): Promise<boolean> {
    const parsed = parseAddress(text.trim());
    if (!parsed.ok) return false;
    const hosted = await this.resolver.hostedDomain(parsed.address.domain);
    if (!hosted) return false;
    const local = normalizeLocal(parsed.address.local);
    const own = `${account.local}@${account.domain}`;
    const bases = [local];
    const sep = this.options.subaddressSeparator;
    if (sep && local.indexOf(sep) > 0) bases.push(local.slice(0, local.indexOf(sep)));
    for (const base of bases) {
      if (hosted.canonical === account.domain && base === account.local) return true;
      const alias = await this.store.getAlias(hosted.canonical, base);
      if (alias && alias.targets.some((t) => t.toLowerCase() === own)) return true;
    }
    return false;
  }
}
