/*
 * Where certificates come from on disk: the Let's Encrypt layout under
 * certsDir (live/<name>/fullchain.pem + privkey.pem, symlinks into
 * archive/<name>/) and the explicit cert/key entries; reading them with a
 * size cap; a cheap signature of their state (resolved path, inode, size,
 * mtime) for the poll; and the directories worth watching.
 *
 * Exports: CertificateSource, discoverSources, readSource, sourcesSignature,
 * watchDirectories.
 *
 * Security: reads operator-controlled paths with the server's privileges;
 * file size is capped (MAX_PEM_FILE_BYTES). Paths are resolved (realpath)
 * only to notice changes, never to widen what is read.
 * Standards: certbot's live/archive layout (renewal swaps the live symlinks).
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MAX_PEM_FILE_BYTES } from './limits.js';
import type { TlsSettings } from './types.js';

export interface CertificateSource {
  /** Stable key across reloads. */
  id: string;
  /** Shown to the operator (CertificateInfo.source). */
  label: string;
  certPath: string;
  keyPath: string;
}

export interface Discovery {
  sources: CertificateSource[];
  /** Problems finding sources (not a missing certsDir, which is normal). */
  errors: string[];
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** Explicit entries first, in configuration order, then live/<name> directories sorted by name. */
export async function discoverSources(settings: TlsSettings): Promise<Discovery> {
  const sources: CertificateSource[] = settings.certificates.map((entry) => ({
    id: `file:${entry.cert}`,
    label: entry.cert,
    certPath: entry.cert,
    keyPath: entry.key,
  }));
  const errors: string[] = [];
  const live = join(settings.certsDir, 'live');
  let names: string[] = [];
  try {
    const entries = await readdir(live, { withFileTypes: true });
    // live/README is a file; each certificate is a directory (or a symlink to one).
    names = entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).filter((n) => !n.startsWith('.'));
  } catch (err) {
    if (!isMissing(err)) errors.push(`${live}: ${(err as Error).message}`);
  }
  for (const name of names.sort()) {
    const dir = join(live, name);
    sources.push({ id: `le:${dir}`, label: dir, certPath: join(dir, 'fullchain.pem'), keyPath: join(dir, 'privkey.pem') });
  }
  return { sources, errors };
}

async function readCapped(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path}: not a regular file`);
  if (info.size > MAX_PEM_FILE_BYTES) throw new Error(`${path}: larger than ${MAX_PEM_FILE_BYTES} bytes`);
  return readFile(path, 'utf8');
}

export async function readSource(source: CertificateSource): Promise<{ certPem: string; keyPem: string }> {
  const [certPem, keyPem] = await Promise.all([readCapped(source.certPath), readCapped(source.keyPath)]);
  return { certPem, keyPem };
}

async function fileState(path: string): Promise<string> {
  try {
    const real = await realpath(path);
    const info = await stat(real);
    return `${real}|${info.ino}|${info.size}|${info.mtimeMs}`;
  } catch (err) {
    return `${path}|${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** A string that changes when any source file is replaced, rewritten or relinked, or a source comes or goes. */
export async function sourcesSignature(sources: CertificateSource[]): Promise<string> {
  const parts = await Promise.all(sources.flatMap((s) => [fileState(s.certPath), fileState(s.keyPath)]));
  return sources.map((s) => s.id).join('\n') + '\n' + parts.join('\n');
}

/** Directories whose events may mean a certificate changed: certsDir, live/, each live/<name>, the archive dirs the links point into, and the explicit files' dirs. */
export async function watchDirectories(settings: TlsSettings, sources: CertificateSource[]): Promise<string[]> {
  const dirs = new Set<string>([settings.certsDir, join(settings.certsDir, 'live')]);
  for (const source of sources) {
    for (const path of [source.certPath, source.keyPath]) {
      dirs.add(dirname(path));
      try {
        dirs.add(dirname(await realpath(path)));
      } catch {
        // missing now; the poll notices when it appears
      }
    }
  }
  return [...dirs];
}
