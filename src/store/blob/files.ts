/*
 * The blob store for message bytes, on files: content-addressed by SHA-256,
 * one copy however many recipients or mailboxes hold the message.
 *
 * Durability, as qmail and OpenSMTPD do it: write to a temporary name in
 * the same file system, fsync the file, rename it into place, fsync the
 * directory. Only then does put() resolve. putMany() shares the directory
 * fsyncs between messages (part of group commit). Temporary files left by
 * a crash are removed by open().
 *
 * Layout: <root>/<first two hex digits>/<sha256>, 256 directories made at
 * open so a put never creates one.
 *
 * Security: file names are hashes we computed, never peer input.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

export interface BlobStore {
  /** Stores the bytes durably; resolves to their SHA-256 (hex). */
  put(bytes: Buffer): Promise<string>;
  /** Stores several, sharing directory fsyncs; hashes in input order. */
  putMany(list: readonly Buffer[]): Promise<string[]>;
  get(hash: string): Promise<Buffer>;
  has(hash: string): Promise<boolean>;
  remove(hash: string): Promise<void>;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;

async function fsyncPath(path: string): Promise<void> {
  const handle = await fs.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FileBlobStore implements BlobStore {
  private constructor(
    private readonly root: string,
    private readonly fsync: boolean,
  ) {}

  static async open(root: string, options: { fsync: boolean }): Promise<FileBlobStore> {
    const tmp = join(root, 'tmp');
    await fs.mkdir(tmp, { recursive: true });
    for (let i = 0; i < 256; i++) await fs.mkdir(join(root, i.toString(16).padStart(2, '0')), { recursive: true });
    // Leftovers of writes interrupted by a crash: never acknowledged, never referenced.
    for (const name of await fs.readdir(tmp)) await fs.rm(join(tmp, name), { force: true });
    if (options.fsync) await fsyncPath(root);
    return new FileBlobStore(root, options.fsync);
  }

  pathOf(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`not a blob hash: ${hash}`);
    return join(this.root, hash.slice(0, 2), hash);
  }

  /** Writes one file into place; returns its directory if it needs an fsync. */
  private async write(bytes: Buffer, hash: string): Promise<string | undefined> {
    const final = this.pathOf(hash);
    if (await this.has(hash)) return undefined;
    const tmp = join(this.root, 'tmp', `${hash}.${randomBytes(6).toString('hex')}`);
    const handle = await fs.open(tmp, 'wx', 0o640);
    try {
      await handle.writeFile(bytes);
      if (this.fsync) await handle.sync();
    } catch (err) {
      await handle.close().catch(() => {});
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await handle.close();
    await fs.rename(tmp, final);
    return join(this.root, hash.slice(0, 2));
  }

  async put(bytes: Buffer): Promise<string> {
    return (await this.putMany([bytes]))[0]!;
  }

  async putMany(list: readonly Buffer[]): Promise<string[]> {
    const hashes = list.map(sha256);
    const dirs = await Promise.all(list.map((bytes, i) => this.write(bytes, hashes[i]!)));
    if (this.fsync) {
      const unique = new Set(dirs.filter((d): d is string => d !== undefined));
      await Promise.all([...unique].map(fsyncPath));
    }
    return hashes;
  }

  async get(hash: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(hash));
  }

  async has(hash: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(hash));
      return true;
    } catch {
      return false;
    }
  }

  async remove(hash: string): Promise<void> {
    await fs.rm(this.pathOf(hash), { force: true });
  }
}
