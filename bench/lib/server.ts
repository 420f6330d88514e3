/*
 * The Petrel process the IMAP benchmarks measure: a real `petrel serve`
 * (test/support/petrel.ts), whose [imaps] listener (implicit TLS) the
 * benchmarks use, and the set-up they share (one domain, users added
 * through the CLI a few at a time).
 *
 * A CPU profile of the server (node --cpu-prof, written when it stops) is
 * taken when cpuProfDir is given.
 *
 * Exports: startImapPetrel, ImapPetrel, addUsers, BENCH_DOMAIN, BENCH_PASSWORD.
 * Security: benchmark only; 127.0.0.1; the self-signed certificate.
 */
import { PetrelProcess } from '../../test/support/petrel.js';

export const BENCH_DOMAIN = 'bench.test';
export const BENCH_PASSWORD = 'bench-password';

export interface ImapPetrel {
  petrel: PetrelProcess;
  /** The implicit-TLS IMAP port. */
  imapPort: number;
}

/** Starts `petrel serve` on `dataDir` (a new one when undefined) with IMAP on 993-style implicit TLS. */
export async function startImapPetrel(options: { dataDir?: string; fsync: boolean; cpuProfDir?: string }): Promise<ImapPetrel> {
  const petrel = await PetrelProcess.create({
    dataDir: options.dataDir,
    fsync: options.fsync,
    logLevel: 'warn',
    hostname: 'mail.bench.test',
    smtp: 'max_connections_per_ip = 200\nmax_connections = 1000',
    nodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
  });
  await petrel.start();
  return { petrel, imapPort: petrel.ports.imaps };
}

/** Adds `names` (local parts) as accounts in BENCH_DOMAIN, four CLI processes at a time (each is a node start plus an Argon2id hash). */
export async function addUsers(petrel: PetrelProcess, names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 4) await Promise.all(names.slice(i, i + 4).map((n) => petrel.addUser(`${n}@${BENCH_DOMAIN}`, BENCH_PASSWORD)));
}
