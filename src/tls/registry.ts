/*
 * The certificate registry: the one place every TLS listener (SMTP, LMTP,
 * IMAP, POP3, ManageSieve, HTTPS) takes its certificate from, chosen by SNI.
 * It loads the Let's Encrypt layout and explicit PEM files, falls back to a
 * generated self-signed certificate while no real one exists, and
 * serves a renewed file on the next handshake: fs.watch (debounced), a
 * cheap poll of resolved paths, and reload() for SIGHUP / `petrel cert
 * reload`.
 *
 * Exports: openCertificateRegistry.
 *
 * Security: the SNI name is peer input; lookups read an index built per
 * reload and cache nothing per requested name (memory flat under name
 * probing). A file that fails to load during a reload keeps the previous
 * certificate of that source, and the registry never ends up with no
 * certificate: if everything fails, the self-signed one answers. Runs with
 * the server's privileges; reads only configured paths.
 * Standards: RFC 6066 section 3 (SNI), RFC 8996 / RFC 9325 (versions and
 * suites, see policy.ts), RFC 7301 (ALPN).
 */
import { watch, type FSWatcher } from 'node:fs';
import type * as tls from 'node:tls';
import type { Logger } from '../telemetry/index.js';
import { loadCertificate, type LoadedCertificate } from './certificate.js';
import { DEFAULT_POLL_MS, WATCH_DEBOUNCE_MS } from './limits.js';
import { normalizeCertificateName } from './names.js';
import { alpnSelector, contextPolicy } from './policy.js';
import { buildIndex, chooseDefault, selectFor, type CertificateIndex } from './selection.js';
import { ensureSelfSigned, selfSignedNames } from './self-signed.js';
import { discoverSources, readSource, sourcesSignature, watchDirectories, type CertificateSource } from './sources.js';
import type { CertificateInfo, CertificateRegistry, RegistryOptions, ReloadResult, TlsProtocol, TlsSettings } from './types.js';

interface Snapshot {
  index: CertificateIndex;
  /** Real certificates by source id, for "keep the previous one". */
  bySource: ReadonlyMap<string, LoadedCertificate>;
  selfSigned: LoadedCertificate | undefined;
  fallback: LoadedCertificate;
}

export async function openCertificateRegistry(
  settings: TlsSettings,
  logger: Logger,
  options: RegistryOptions = {},
): Promise<CertificateRegistry> {
  const log = logger.child({}, 'tls');
  const now = options.now ?? (() => new Date());
  const watching = options.watch ?? true;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const fsWatch = watching && (options.fsWatch ?? true);
  let hostedDomains: string[] = [...(options.hostedDomains ?? [])];
  let snapshot: Snapshot | undefined;
  let signature = '';
  let closed = false;
  let chain: Promise<unknown> = Promise.resolve();
  const listeners = new Set<() => void>();
  const watchers = new Map<string, FSWatcher>();
  let debounce: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let polling = false;

  async function loadOnce(): Promise<ReloadResult> {
    const previous = snapshot;
    const at = now();
    const { sources, errors } = await discoverSources(settings);
    // Taken before reading: a change during the read shows up at the next poll.
    const nextSignature = await sourcesSignature(sources);
    const bySource = new Map<string, LoadedCertificate>();
    let loaded = 0;
    for (const source of sources) {
      try {
        const pem = await readSource(source);
        bySource.set(source.id, loadCertificate({ ...pem, source: source.label, sourceId: source.id }));
        loaded++;
      } catch (err) {
        const kept = previous?.bySource.get(source.id);
        if (kept) bySource.set(source.id, kept);
        const message = `${source.label}: ${(err as Error).message}${kept ? ' (previous certificate kept)' : ''}`;
        errors.push(message);
        log.warn('certificate load failed', { source: source.label, error: (err as Error).message, kept: Boolean(kept) });
      }
    }
    const real = [...bySource.values()];

    // Only with no real certificate at all: a real one, even for other names,
    // is what DANE (TLSA 3 1 1) and pinning clients expect on every name.
    let selfSigned: LoadedCertificate | undefined;
    if (real.length === 0) {
      const wanted = selfSignedNames(settings.hostname, hostedDomains);
      try {
        selfSigned = await ensureSelfSigned(settings.selfSignedDir, wanted, log, at);
      } catch (err) {
        selfSigned = previous?.selfSigned;
        errors.push(`self-signed: ${(err as Error).message}`);
        log.error('self-signed certificate failed', { dir: settings.selfSignedDir, error: (err as Error).message });
      }
    }

    const index = buildIndex(selfSigned ? [...real, selfSigned] : real);
    const fallback = chooseDefault(index, settings.defaultName, settings.hostname, at) ?? previous?.fallback;
    if (!fallback) throw new Error(`no TLS certificate could be loaded or generated: ${errors.join('; ')}`);
    if (settings.defaultName) {
      const key = normalizeCertificateName(settings.defaultName);
      const match = key === undefined ? undefined : selectFor(index, key, at);
      if (!match || match.generated) log.warn('default certificate name not covered', { defaultName: settings.defaultName });
    }

    const served = (snap: Snapshot | undefined): string =>
      snap ? `${snap.fallback.info.fingerprint256} ${snap.index.all.map((c) => c.info.fingerprint256).join(' ')}` : '';
    const next: Snapshot = { index, bySource, selfSigned, fallback };
    const changed = served(previous) !== served(next);
    snapshot = next;
    signature = nextSignature;
    log.info('certificates loaded', { loaded, errors: errors.length, total: index.all.length, default: fallback.info.names[0] });
    if (fsWatch && !closed) await syncWatchers(sources);
    if (changed && previous !== undefined) {
      for (const listener of listeners) {
        try {
          listener();
        } catch (err) {
          log.error('certificate change listener failed', { error: (err as Error).message });
        }
      }
    }
    return { loaded, errors };
  }

  /** Runs loads one after another; each caller gets its own result. */
  function enqueue(): Promise<ReloadResult> {
    const run = chain.then(() => (closed ? { loaded: 0, errors: ['registry closed'] } : loadOnce()));
    chain = run.catch(() => undefined);
    return run;
  }

  function schedule(): void {
    if (closed) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      enqueue().catch((err: Error) => log.error('certificate reload failed', { error: err.message }));
    }, WATCH_DEBOUNCE_MS);
    debounce.unref();
  }

  async function syncWatchers(sources: CertificateSource[]): Promise<void> {
    const dirs = new Set(await watchDirectories(settings, sources));
    for (const [dir, watcher] of watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir) || closed) continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => schedule());
        watcher.on('error', () => {
          watcher.close();
          watchers.delete(dir);
          schedule();
        });
        watchers.set(dir, watcher);
      } catch {
        // missing directory: the poll notices when it appears
      }
    }
  }

  async function pollOnce(): Promise<void> {
    if (polling || closed) return;
    polling = true;
    try {
      const { sources } = await discoverSources(settings);
      if ((await sourcesSignature(sources)) !== signature) {
        log.debug('certificate files changed (poll)');
        await enqueue();
      }
    } catch (err) {
      log.error('certificate poll failed', { error: (err as Error).message });
    } finally {
      polling = false;
    }
  }

  await enqueue();
  if (watching && pollMs > 0) {
    poll = setInterval(() => void pollOnce(), pollMs);
    poll.unref();
  }

  const current = (): Snapshot => {
    if (!snapshot) throw new Error('certificate registry not loaded');
    return snapshot;
  };

  const contextFor = (servername: string | undefined): tls.SecureContext => {
    const snap = current();
    return (selectFor(snap.index, servername, now()) ?? snap.fallback).context;
  };

  const registry: CertificateRegistry = {
    sniCallback(servername, cb) {
      let ctx: tls.SecureContext;
      try {
        ctx = contextFor(servername);
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb(null, ctx);
    },
    contextFor,
    certificateFor(servername: string | undefined): string {
      const snap = current();
      return (selectFor(snap.index, servername, now()) ?? snap.fallback).certPem;
    },
    serverOptions(protocol: TlsProtocol): tls.TlsOptions {
      const fallback = current().fallback;
      return {
        ...contextPolicy(),
        key: fallback.keyPem,
        cert: fallback.certPem,
        secureContext: fallback.context,
        SNICallback: registry.sniCallback,
        ALPNCallback: alpnSelector(protocol, log),
      };
    },
    list(): CertificateInfo[] {
      const snap = current();
      return snap.index.all.map((c) => ({ ...c.info, names: [...c.info.names], isDefault: c === snap.fallback }));
    },
    reload: enqueue,
    async setHostedDomains(domains: string[]): Promise<void> {
      const before = new Set(selfSignedNames(settings.hostname, hostedDomains));
      hostedDomains = [...domains];
      const after = selfSignedNames(settings.hostname, hostedDomains);
      if (after.some((n) => !before.has(n))) await enqueue();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      if (debounce) clearTimeout(debounce);
      if (poll) clearInterval(poll);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
      listeners.clear();
    },
  };
  return registry;
}
