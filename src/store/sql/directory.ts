/*
 * Directory repository in portable SQL: domains, alias domains, accounts
 * and aliases (with the catch-all as local part '').
 *
 * Security: values arrive validated from directory/; always bound.
 */
import type { AccountRecord, AccountUpdate, AliasRecord, DirectoryStore, DkimKeyInput, DkimKeyRecord, DkimKeyState, DomainRecord } from '../types.js';
import type { SqlDriver, SqlExecutor, SqlValue } from './driver.js';

interface DomainRow { id: number; name: string; ascii: string; alias_ascii: string | null; created_at: number }
interface AccountRow { id: number; domain_id: number; ascii: string; local: string; password: string; quota_bytes: number; used_bytes: number; enabled: number; created_at: number }

const DOMAIN_SELECT = `SELECT d.id, d.name, d.ascii, t.ascii AS alias_ascii, d.created_at FROM domains d LEFT JOIN domains t ON t.id = d.alias_of`;
const ACCOUNT_SELECT = `SELECT a.id, a.domain_id, d.ascii, a.local, a.password, a.quota_bytes, a.used_bytes, a.enabled, a.created_at FROM accounts a JOIN domains d ON d.id = a.domain_id`;

interface DkimKeyRow {
  id: number;
  ascii: string;
  selector: string;
  algorithm: DkimKeyInput['algorithm'];
  private_key: string;
  public_key: string;
  created_at: number;
  state: DkimKeyState;
  activated_at: number | null;
  retired_at: number | null;
}
const DKIM_SELECT = `SELECT k.id, d.ascii, k.selector, k.algorithm, k.private_key, k.public_key, k.created_at, k.state, k.activated_at, k.retired_at FROM dkim_keys k JOIN domains d ON d.id = k.domain_id`;
const optionalNumber = (v: number | null): number | null => (v === null ? null : Number(v));
const toDkimKey = (r: DkimKeyRow): DkimKeyRecord => ({
  id: Number(r.id),
  domain: r.ascii,
  selector: r.selector,
  algorithm: r.algorithm,
  privateKey: r.private_key,
  publicKey: r.public_key,
  createdAt: Number(r.created_at),
  state: r.state,
  activatedAt: optionalNumber(r.activated_at),
  retiredAt: optionalNumber(r.retired_at),
});

const toDomain = (r: DomainRow): DomainRecord => ({ id: Number(r.id), name: r.name, ascii: r.ascii, aliasOf: r.alias_ascii, createdAt: Number(r.created_at) });
const toAccount = (r: AccountRow): AccountRecord => ({
  id: Number(r.id),
  domainId: Number(r.domain_id),
  domain: r.ascii,
  local: r.local,
  passwordHash: r.password,
  quotaBytes: Number(r.quota_bytes),
  usedBytes: Number(r.used_bytes),
  enabled: Number(r.enabled) === 1,
  createdAt: Number(r.created_at),
});

export class SqlDirectoryStore implements DirectoryStore {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  async addDomain(input: { name: string; ascii: string; aliasOf?: string | null; dkimKeys?: readonly DkimKeyInput[] }): Promise<DomainRecord> {
    return this.db.transaction(async (tx) => {
      let aliasId: number | null = null;
      if (input.aliasOf) {
        const target = await tx.get<{ id: number; alias_of: number | null }>('SELECT id, alias_of FROM domains WHERE ascii = ?', [input.aliasOf]);
        if (!target) throw new Error(`domain ${input.aliasOf} does not exist`);
        if (target.alias_of !== null) throw new Error(`${input.aliasOf} is itself an alias domain`);
        aliasId = Number(target.id);
      }
      await tx.run('INSERT INTO domains (name, ascii, alias_of, created_at) VALUES (?, ?, ?, ?)', [input.name, input.ascii, aliasId, this.now()]);
      const row = await tx.get<DomainRow>(`${DOMAIN_SELECT} WHERE d.ascii = ?`, [input.ascii]);
      for (const key of input.dkimKeys ?? []) await this.insertKey(tx, Number(row!.id), key, 'active');
      return toDomain(row!);
    });
  }

  private async insertKey(tx: SqlExecutor, domainId: number, key: DkimKeyInput, state: DkimKeyState): Promise<void> {
    const now = this.now();
    await tx.run('INSERT INTO dkim_keys (domain_id, selector, algorithm, private_key, public_key, created_at, state, activated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      domainId,
      key.selector,
      key.algorithm,
      key.privateKey,
      key.publicKey,
      now,
      state,
      state === 'active' ? now : null,
    ]);
  }

  async dkimKeys(ascii: string, states?: readonly DkimKeyState[]): Promise<DkimKeyRecord[]> {
    const filter = states ? ` AND k.state IN (${states.map(() => '?').join(', ') || "''"})` : '';
    return (await this.db.all<DkimKeyRow>(`${DKIM_SELECT} WHERE d.ascii = ?${filter} ORDER BY k.id`, [ascii, ...(states ?? [])])).map(toDkimKey);
  }

  async dkimKeysIn(states: readonly DkimKeyState[]): Promise<DkimKeyRecord[]> {
    const rows = await this.db.all<DkimKeyRow>(`${DKIM_SELECT} WHERE k.state IN (${states.map(() => '?').join(', ') || "''"}) ORDER BY d.ascii, k.id`, [...states]);
    return rows.map(toDkimKey);
  }

  async addDkimKeys(ascii: string, keys: readonly DkimKeyInput[]): Promise<DkimKeyRecord[]> {
    return this.db.transaction(async (tx) => {
      const domain = await tx.get<{ id: number }>('SELECT id FROM domains WHERE ascii = ?', [ascii]);
      if (!domain) throw new Error(`domain ${ascii} does not exist`);
      const before = await tx.get<{ m: number | null }>('SELECT MAX(id) AS m FROM dkim_keys');
      for (const key of keys) await this.insertKey(tx, Number(domain.id), key, 'pending');
      return (await tx.all<DkimKeyRow>(`${DKIM_SELECT} WHERE d.ascii = ? AND k.id > ? ORDER BY k.id`, [ascii, before?.m ?? 0])).map(toDkimKey);
    });
  }

  async activateDkimKey(id: number): Promise<DkimKeyRecord[] | undefined> {
    return this.db.transaction(async (tx) => {
      const key = await tx.get<{ domain_id: number; algorithm: string }>("SELECT domain_id, algorithm FROM dkim_keys WHERE id = ? AND state = 'pending'", [id]);
      if (!key) return undefined;
      const now = this.now();
      const old = await tx.all<DkimKeyRow>(`${DKIM_SELECT} WHERE k.domain_id = ? AND k.algorithm = ? AND k.state = 'active' ORDER BY k.id`, [key.domain_id, key.algorithm]);
      for (const r of old) await tx.run("UPDATE dkim_keys SET state = 'retiring', retired_at = ? WHERE id = ?", [now, r.id]);
      await tx.run("UPDATE dkim_keys SET state = 'active', activated_at = ? WHERE id = ?", [now, id]);
      return old.map((r) => ({ ...toDkimKey(r), state: 'retiring' as const, retiredAt: now }));
    });
  }

  async retireDkimKeys(before: number): Promise<DkimKeyRecord[]> {
    return this.db.transaction(async (tx) => {
      const due = await tx.all<DkimKeyRow>(`${DKIM_SELECT} WHERE k.state = 'retiring' AND k.retired_at <= ? ORDER BY d.ascii, k.id`, [before]);
      for (const r of due) await tx.run("UPDATE dkim_keys SET state = 'retired' WHERE id = ?", [r.id]);
      return due.map((r) => ({ ...toDkimKey(r), state: 'retired' as const }));
    });
  }

  async getDomain(ascii: string): Promise<DomainRecord | undefined> {
    const row = await this.db.get<DomainRow>(`${DOMAIN_SELECT} WHERE d.ascii = ?`, [ascii]);
    return row && toDomain(row);
  }

  async listDomains(): Promise<DomainRecord[]> {
    return (await this.db.all<DomainRow>(`${DOMAIN_SELECT} ORDER BY d.ascii`)).map(toDomain);
  }

  async removeDomain(ascii: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM domains WHERE ascii = ?', [ascii])) > 0;
  }

  async addAccount(input: { domain: string; local: string; passwordHash: string; quotaBytes: number }): Promise<AccountRecord> {
    return this.db.transaction(async (tx) => {
      const domain = await tx.get<{ id: number; alias_of: number | null }>('SELECT id, alias_of FROM domains WHERE ascii = ?', [input.domain]);
      if (!domain) throw new Error(`domain ${input.domain} does not exist`);
      if (domain.alias_of !== null) throw new Error(`${input.domain} is an alias domain; add the account to the domain it delivers as`);
      await tx.run('INSERT INTO accounts (domain_id, local, password, quota_bytes, created_at) VALUES (?, ?, ?, ?, ?)', [
        domain.id,
        input.local,
        input.passwordHash,
        input.quotaBytes,
        this.now(),
      ]);
      const row = await tx.get<AccountRow>(`${ACCOUNT_SELECT} WHERE a.domain_id = ? AND a.local = ?`, [domain.id, input.local]);
      return toAccount(row!);
    });
  }

  async getAccount(domain: string, local: string): Promise<AccountRecord | undefined> {
    const row = await this.db.get<AccountRow>(`${ACCOUNT_SELECT} WHERE d.ascii = ? AND a.local = ?`, [domain, local]);
    return row && toAccount(row);
  }

  async getAccountById(id: number): Promise<AccountRecord | undefined> {
    const row = await this.db.get<AccountRow>(`${ACCOUNT_SELECT} WHERE a.id = ?`, [id]);
    return row && toAccount(row);
  }

  async listAccounts(domain?: string): Promise<AccountRecord[]> {
    const rows = domain === undefined
      ? await this.db.all<AccountRow>(`${ACCOUNT_SELECT} ORDER BY a.created_at, a.id`)
      : await this.db.all<AccountRow>(`${ACCOUNT_SELECT} WHERE d.ascii = ? ORDER BY a.created_at, a.id`, [domain]);
    return rows.map(toAccount);
  }

  async updateAccount(id: number, update: AccountUpdate): Promise<boolean> {
    const sets: string[] = [];
    const params: SqlValue[] = [];
    if (update.passwordHash !== undefined) {
      sets.push('password = ?');
      params.push(update.passwordHash);
    }
    if (update.quotaBytes !== undefined) {
      sets.push('quota_bytes = ?');
      params.push(update.quotaBytes);
    }
    if (update.enabled !== undefined) {
      sets.push('enabled = ?');
      params.push(update.enabled ? 1 : 0);
    }
    if (sets.length === 0) return false;
    return (await this.db.run(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`, [...params, id])) > 0;
  }

  async removeAccount(id: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM accounts WHERE id = ?', [id])) > 0;
  }

  async putAlias(input: { domain: string; local: string; targets: string[] }): Promise<AliasRecord> {
    return this.db.transaction(async (tx) => {
      const domain = await tx.get<{ id: number }>('SELECT id FROM domains WHERE ascii = ?', [input.domain]);
      if (!domain) throw new Error(`domain ${input.domain} does not exist`);
      let alias = await tx.get<{ id: number }>('SELECT id FROM aliases WHERE domain_id = ? AND local = ?', [domain.id, input.local]);
      if (!alias) {
        await tx.run('INSERT INTO aliases (domain_id, local, created_at) VALUES (?, ?, ?)', [domain.id, input.local, this.now()]);
        alias = await tx.get<{ id: number }>('SELECT id FROM aliases WHERE domain_id = ? AND local = ?', [domain.id, input.local]);
      }
      const aliasId = Number(alias!.id);
      await tx.run('DELETE FROM alias_targets WHERE alias_id = ?', [aliasId]);
      let position = 0;
      for (const target of input.targets) await tx.run('INSERT INTO alias_targets (alias_id, position, target) VALUES (?, ?, ?)', [aliasId, position++, target]);
      return { id: aliasId, domain: input.domain, local: input.local, targets: [...input.targets] };
    });
  }

  private async aliasesWhere(where: string, params: SqlValue[]): Promise<AliasRecord[]> {
    const rows = await this.db.all<{ id: number; ascii: string; local: string; target: string | null }>(
      `SELECT a.id, d.ascii, a.local, t.target FROM aliases a JOIN domains d ON d.id = a.domain_id
       LEFT JOIN alias_targets t ON t.alias_id = a.id ${where} ORDER BY d.ascii, a.local, t.position`,
      params,
    );
    const byId = new Map<number, AliasRecord>();
    for (const row of rows) {
      const id = Number(row.id);
      let alias = byId.get(id);
      if (!alias) {
        alias = { id, domain: row.ascii, local: row.local, targets: [] };
        byId.set(id, alias);
      }
      if (row.target !== null) alias.targets.push(row.target);
    }
    return [...byId.values()];
  }

  async getAlias(domain: string, local: string): Promise<AliasRecord | undefined> {
    return (await this.aliasesWhere('WHERE d.ascii = ? AND a.local = ?', [domain, local]))[0];
  }

  async listAliases(domain?: string): Promise<AliasRecord[]> {
    return domain === undefined ? this.aliasesWhere('', []) : this.aliasesWhere('WHERE d.ascii = ?', [domain]);
  }

  async removeAlias(domain: string, local: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM aliases WHERE local = ? AND domain_id = (SELECT id FROM domains WHERE ascii = ?)', [local, domain])) > 0;
  }
}
