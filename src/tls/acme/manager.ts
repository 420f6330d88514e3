/*
 * The ACME manager: what `petrel serve` runs on a schedule and `petrel
 * cert issue|renew` runs once. Given the [acme] settings, the AcmeStore,
 * a DNS-01 publisher (RFC 2136 updates), a clock and a logger, it keeps
 * the account, issues and renews certificates into the certificate
 * registry's directory (live/<name>/fullchain.pem and privkey.pem, which
 * the registry serves at the next handshake), and manages DANE keys.
 *
 * Keys, with DANE (TLSA 3 1 1, which pins the key) in mind: each
 * certificate has a current key (privkey.pem) and a next key
 * (next-privkey.pem), both made by Petrel. Renewals keep the current key,
 * so a published TLSA record stays true. `dns plan` publishes TLSA for
 * both (daneKeys); rollover(name, isPublished) switches to the next key
 * only once told the next key's TLSA is visible: it marks the rollover
 * pending and reissues with the next key, which becomes current, and a new
 * next key is made. A rollover that fails stays pending and the next
 * renewal run carries it out. With `nextKeyPublished` given, a due renewal
 * asks it and rolls over by itself when it can. The first certificate
 * takes the next key if one was made (and perhaps published) before it.
 *
 * Renewal (renewDue): a certificate is due renew_before (minus its
 * jitter) ahead of notAfter, when its names changed, when its chain and key
 * disagree, or when a rollover is pending; a failure backs off an hour,
 * doubling to a day. Operations run one at a time per manager, and each
 * certificate under a lock file against other processes.
 *
 * Exports: AcmeManager, AcmeManagerOptions, acmeSettingsFrom.
 *
 * Security: writes private keys (0600, atomically, see layout.ts) and
 * talks to the CA (bounded, see client.ts and order.ts). Errors from the
 * CA or the DNS server are logged with their detail and returned as
 * outcomes; nothing here logs key material.
 * Standards: RFC 8555 (via order.ts and client.ts), RFC 6698 and RFC 7671
 * section 8.1 (publish the new key's TLSA before switching keys).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { basename } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import type { AcmeStore } from '../../store/types.js';
import type { Logger } from '../../telemetry/index.js';
import { splitPemCertificates } from '../certificate.js';
import { openAccount, type AcmeAccount } from './client.js';
import { generateCertificateKey, keyTypeOf, spkiSha256 } from './keys.js';
import { listLineages, livePaths, readCapped, readState, withLock, writeFileAtomic, writeState, type LivePaths } from './layout.js';
import { DEFAULT_DNS_PROPAGATION_MS, MAX_PEM_BYTES } from './limits.js';
import { normalizeRequest } from './names.js';
import { orderCertificate } from './order.js';
import { planKeys } from './rollover.js';
import { drawJitter, isDue, renewAt, retryDelay } from './schedule.js';
import type {
  AcmeSettings,
  CertificateKeyType,
  CertificateRequest,
  DaneKeys,
  Dns01Publisher,
  IssueResult,
  ManagedCertificate,
  ManagedState,
  RenewalOutcome,
  RolloverResult,
} from './types.js';

export interface AcmeManagerOptions {
  settings: AcmeSettings;
  /** The registry's Let's Encrypt directory ([tls] certs_dir). */
  certsDir: string;
  store: AcmeStore;
  logger: Logger;
  /** Needed for DNS-01 and wildcards. */
  dns?: Dns01Publisher;
  clock?: Clock;
  /** Default RSA 2048 (see keys.ts). */
  keyType?: CertificateKeyType;
  /** PEM certificates trusted for the CA's HTTPS API instead of the system's roots (a private CA, a test CA). */
  directoryCa?: string;
  /** Random numbers in [0, 1) for the renewal jitter. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Wait after DNS-01 updates (default DEFAULT_DNS_PROPAGATION_MS). */
  dnsPropagationMs?: number;
  /** Called after a certificate was written (the server reloads its registry here). */
  onIssued?: (result: IssueResult) => void | Promise<void>;
  /** Whether the next key's TLSA record is visible; given, due renewals roll over by themselves when it is. */
  nextKeyPublished?: (name: string, spkiSha256: string) => Promise<boolean>;
}

/** The manager's settings from the [acme] section (renew_before already in ms) and the host name (for the default contact). */
export function acmeSettingsFrom(section: { directory_url: string; email: string; challenge: 'http-01' | 'dns-01'; renew_before: number }, hostname: string): AcmeSettings {
  return {
    directoryUrl: section.directory_url,
    email: section.email || `postmaster@${hostname}`,
    challenge: section.challenge,
    renewBeforeMs: section.renew_before,
  };
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

interface OnDisk {
  state: ManagedState | undefined;
  chainPem: string | undefined;
  keyPem: string | undefined;
  nextPem: string | undefined;
  leaf: X509Certificate | undefined;
  consistent: boolean;
}

export class AcmeManager {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly keyType: CertificateKeyType;
  private readonly sleep: (ms: number) => Promise<void>;
  private accountPromise: Promise<AcmeAccount> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Failures in a row per certificate, and when the next try may be made (in memory: a restart tries again). */
  private readonly failures = new Map<string, { count: number; retryAt: number }>();

  constructor(private readonly options: AcmeManagerOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({}, 'acme');
    this.keyType = options.keyType ?? 'rsa-2048';
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The account with the CA: loaded, or registered once (see client.ts). */
  async account(): Promise<{ accountUrl: string; created: boolean }> {
    const account = await this.openAccount();
    return { accountUrl: account.accountUrl, created: account.created };
  }

  /** Issues (or reissues) one certificate now, keeping its current key unless a rollover is pending. */
  issue(request: CertificateRequest): Promise<IssueResult> {
    return this.exclusive(async () => {
      const wanted = normalizeRequest(request);
      const paths = livePaths(this.options.certsDir, wanted.name);
      return withLock(paths, () => this.issueLocked(paths, wanted.names, false));
    });
  }

  /**
   * Renews what is due. With `wanted` (the server's list), those
   * certificates: missing ones are issued and changed name sets reissued;
   * without it, every certificate Petrel manages under certsDir.
   */
  renewDue(wanted?: readonly CertificateRequest[]): Promise<RenewalOutcome[]> {
    return this.exclusive(async () => {
      const requests = wanted ? wanted.map(normalizeRequest) : await this.managedRequests();
      const outcomes: RenewalOutcome[] = [];
      for (const request of requests) outcomes.push(await this.renewOne(request.name, request.names));
      return outcomes;
    });
  }

  /** One managed certificate as it is on disk, or undefined when Petrel does not manage that name. */
  async status(name: string): Promise<ManagedCertificate | undefined> {
    const disk = await this.readDisk(livePaths(this.options.certsDir, name));
    if (!disk.state || !disk.leaf) return undefined;
    const notAfter = new Date(disk.leaf.validTo);
    return {
      name,
      names: disk.state.names,
      notBefore: new Date(disk.leaf.validFrom),
      notAfter,
      renewAt: new Date(renewAt(notAfter.getTime(), this.options.settings.renewBeforeMs, disk.state.renewJitterMs)),
      issuer: disk.leaf.issuer.split('\n').filter(Boolean).join(', '),
      dane: { current: disk.keyPem ? spkiSha256(disk.keyPem) : null, next: disk.nextPem ? spkiSha256(disk.nextPem) : null },
      rolloverPending: disk.state.rolloverPending,
      consistent: disk.consistent,
    };
  }

  /** Every certificate Petrel manages under certsDir. */
  async list(): Promise<ManagedCertificate[]> {
    const out: ManagedCertificate[] = [];
    for (const name of await listLineages(this.options.certsDir)) {
      const status = await this.status(name).catch(() => undefined);
      if (status) out.push(status);
    }
    return out;
  }

  /**
   * The TLSA 3 1 1 data of a certificate's current and next key, for
   * `petrel dns plan`. The next key is made (and kept) if there is none,
   * so its TLSA can be published before it is used, even before the first
   * certificate (which then uses it).
   */
  daneKeys(name: string): Promise<DaneKeys & { next: string }> {
    return this.exclusive(async () => {
      const paths = livePaths(this.options.certsDir, name);
      return withLock(paths, async () => {
        const disk = await this.readDisk(paths);
        const next = disk.nextPem ?? (await this.makeNextKey(paths));
        return { current: disk.keyPem ? spkiSha256(disk.keyPem) : null, next: spkiSha256(next) };
      });
    });
  }

  /**
   * Switches a certificate to its next key, only if `isPublished(next)`
   * says the next key's TLSA record is visible (to the doctor, a
   * validating resolver...). Then the certificate is reissued with it and a
   * new next key is made. A failed reissue leaves the rollover pending for
   * the next renewal run, and throws.
   */
  rollover(name: string, isPublished: (spkiSha256: string, name: string) => boolean | Promise<boolean>): Promise<RolloverResult> {
    return this.exclusive(async () => {
      const paths = livePaths(this.options.certsDir, name);
      return withLock(paths, async () => {
        const disk = await this.readDisk(paths);
        if (!disk.state) throw new Error(`${name} is not a certificate Petrel manages`);
        const next = disk.nextPem ?? (await this.makeNextKey(paths));
        const nextSpki = spkiSha256(next);
        if (!(await isPublished(nextSpki, name))) {
          this.log.info('acme rollover waits for TLSA', { name, next: nextSpki });
          return { name, outcome: 'not-published', next: nextSpki };
        }
        const previous = disk.keyPem ? spkiSha256(disk.keyPem) : null;
        await writeState(paths, { ...disk.state, rolloverPending: true });
        const result = await this.issueLocked(paths, disk.state.names, true);
        this.failures.delete(name);
        return { name, outcome: 'rolled', previous, result };
      });
    });
  }

  // ------------------------------------------------------------------ internals

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private openAccount(): Promise<AcmeAccount> {
    this.accountPromise ??= openAccount({
      store: this.options.store,
      directoryUrl: this.options.settings.directoryUrl,
      email: this.options.settings.email,
      ca: this.options.directoryCa,
      logger: this.log,
    }).catch((err: unknown) => {
      this.accountPromise = undefined;
      throw err;
    });
    return this.accountPromise;
  }

  private async managedRequests(): Promise<{ name: string; names: string[] }[]> {
    const out: { name: string; names: string[] }[] = [];
    for (const name of await listLineages(this.options.certsDir)) {
      const state = await readState(livePaths(this.options.certsDir, name)).catch(() => undefined);
      if (state) out.push({ name, names: state.names });
    }
    return out;
  }

  private async readDisk(paths: LivePaths): Promise<OnDisk> {
    const [state, chainPem, keyPem, nextPem] = await Promise.all([
      readState(paths),
      readCapped(paths.fullchain, MAX_PEM_BYTES),
      readCapped(paths.privkey, MAX_PEM_BYTES),
      readCapped(paths.nextPrivkey, MAX_PEM_BYTES),
    ]);
    let leaf: X509Certificate | undefined;
    let consistent = false;
    const first = chainPem ? splitPemCertificates(chainPem)[0] : undefined;
    if (first) {
      try {
        leaf = new X509Certificate(first);
        consistent = keyPem !== undefined && leaf.checkPrivateKey(createPrivateKey(keyPem));
      } catch {
        leaf = undefined;
      }
    }
    return { state, chainPem, keyPem, nextPem, leaf, consistent };
  }

  private async makeNextKey(paths: LivePaths): Promise<string> {
    const next = await generateCertificateKey(this.keyType);
    await writeFileAtomic(paths.nextPrivkey, next, 0o600);
    this.log.info('acme next key made', { name: basename(paths.dir), next: spkiSha256(next) });
    return next;
  }

  private async renewOne(name: string, names: string[]): Promise<RenewalOutcome> {
    const now = this.clock.now();
    const failed = this.failures.get(name);
    if (failed && now < failed.retryAt) return { name, outcome: 'waiting', retryAt: new Date(failed.retryAt) };
    const paths = livePaths(this.options.certsDir, name);
    try {
      return await withLock(paths, async () => {
        const disk = await this.readDisk(paths);
        const fresh = !disk.state || !disk.leaf;
        let roll = false;
        if (!fresh) {
          const state = disk.state!;
          const notAfter = new Date(disk.leaf!.validTo).getTime();
          const due = isDue(now, notAfter, this.options.settings.renewBeforeMs, state.renewJitterMs);
          const reason = !sameNames(state.names, names) ? 'names changed' : !disk.consistent ? 'chain and key differ' : state.rolloverPending ? 'rollover pending' : due ? 'due' : undefined;
          if (reason === undefined) return { name, outcome: 'not-due', renewAt: new Date(renewAt(notAfter, this.options.settings.renewBeforeMs, state.renewJitterMs)) };
          if (reason === 'due' && disk.nextPem && this.options.nextKeyPublished) roll = await this.options.nextKeyPublished(name, spkiSha256(disk.nextPem));
          this.log.info('acme renewal', { name, reason, notAfter: new Date(notAfter).toISOString(), rollover: roll || state.rolloverPending });
        }
        const result = await this.issueLocked(paths, names, roll);
        this.failures.delete(name);
        return fresh ? { name, outcome: 'issued', result } : { name, outcome: 'renewed', result };
      });
    } catch (err) {
      const count = (failed?.count ?? 0) + 1;
      const retryAt = now + retryDelay(count);
      this.failures.set(name, { count, retryAt });
      const error = err instanceof Error ? err.message : String(err);
      this.log.error('acme issuance failed', { name, error, failures: count, retry: new Date(retryAt).toISOString() });
      return { name, outcome: 'failed', error, retryAt: new Date(retryAt) };
    }
  }

  /** Orders, checks and writes one certificate; the caller holds the lineage lock. */
  private async issueLocked(paths: LivePaths, names: string[], roll: boolean): Promise<IssueResult> {
    const name = basename(paths.dir);
    const disk = await this.readDisk(paths);
    const plan = planKeys(
      {
        hasCurrent: disk.keyPem !== undefined,
        hasNext: disk.nextPem !== undefined,
        nextTypeMatches: disk.nextPem !== undefined && keyTypeOf(disk.nextPem) === this.keyType,
        rolloverPending: disk.state?.rolloverPending === true,
      },
      roll,
    );
    const key = plan.use === 'current' ? disk.keyPem! : plan.use === 'next' ? disk.nextPem! : await generateCertificateKey(this.keyType);
    if (plan.use === 'current' && keyTypeOf(key) !== this.keyType) {
      this.log.info('acme key type differs from the configured one; a rollover switches it', { name, configured: this.keyType });
    }

    const account = await this.openAccount();
    const chain = await orderCertificate(
      {
        client: account.client,
        challenge: this.options.settings.challenge,
        store: this.options.store,
        dns: this.options.dns,
        clock: this.clock,
        logger: this.log.child({ cert: name }),
        sleep: this.sleep,
        dnsPropagationMs: this.options.dnsPropagationMs ?? DEFAULT_DNS_PROPAGATION_MS,
      },
      names,
      key,
    );

    if (key !== disk.keyPem) await writeFileAtomic(paths.privkey, key, 0o600);
    await writeFileAtomic(paths.fullchain, chain, 0o644);
    const next = plan.makeNext ? await this.makeNextKey(paths) : disk.nextPem!;
    await writeState(paths, {
      version: 1,
      names,
      directoryUrl: this.options.settings.directoryUrl,
      renewJitterMs: drawJitter(this.options.random ?? Math.random),
      rolloverPending: false,
      issuedAt: this.clock.now(),
    });
    const leaf = new X509Certificate(splitPemCertificates(chain)[0]!);
    const result: IssueResult = {
      name,
      names,
      notAfter: new Date(leaf.validTo),
      rolledOver: plan.rolledOver,
      dane: { current: spkiSha256(key), next: spkiSha256(next) },
    };
    this.log.info('acme certificate issued', { name, names: names.join(','), notAfter: result.notAfter.toISOString(), rolledOver: plan.rolledOver, key: result.dane.current, next: result.dane.next });
    if (this.options.onIssued) {
      try {
        await this.options.onIssued(result);
      } catch (err) {
        this.log.error('acme onIssued failed', { name, error: (err as Error).message });
      }
    }
    return result;
  }
}
