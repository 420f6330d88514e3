/*
 * bench/filter-pipeline: what each check of the MX's filter pipeline costs
 * per message, measured in one process without sockets, so the figures
 * are the checks' own work and nothing else (bench/smtp-ingest measures
 * the whole server, where two shared cores, smtp-source and the commit
 * worker blur which part is whose).
 *
 *   npx tsx bench/filter-pipeline.ts [--messages 5000] [--sizes 4096,65536]
 *
 * The pipeline is the one `petrel serve` builds (src/app/filters.ts
 * filterPipelineFor) from the embedded defaults plus `[smtp]
 * trusted_networks = []`: sender-auth (SPF, DKIM, DMARC, ARC), the
 * attachment policy and the built-in spam scorer with Bayes over a real
 * SQLite store; not ClamAV (its time is clamd's, see smtp-ingest's noav
 * mode). DNS answers come from an in-memory resolver holding the zone the
 * smtp-ingest bench serves from BIND (SPF, the DKIM key, DMARC p=reject),
 * which is what Petrel's DNS cache gives after the first message. The
 * message is smtp-ingest's: DKIM-signed plain text from
 * sender@source.test. Each message goes through the session's steps:
 * MAIL FROM, RCPT TO, the body (header sanitizing included), close.
 *
 * Prints, per size: messages, wall and CPU (process.cpuUsage) per message
 * for the whole pipeline, and each filter's mean time per message (the
 * pipeline's own timings, performance.now) with its share. Every message
 * must come out with verdict continue and spf, dkim and dmarc pass.
 *
 * Exports: nothing (a command-line tool).
 * Security: benchmark only; a temporary SQLite file, removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filterPipelineFor } from '../src/app/filters.js';
import { parseConfig } from '../src/config/index.js';
import { fakeDns } from '../src/dns/fake-client.js';
import { SessionFilters } from '../src/endpoints/smtp/filtering.js';
import type { ClientInfo } from '../src/filters/types.js';
import { dkimRecordStrings, generateDkimKey } from '../src/sender-auth/dkim-keys.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { benchMessage, SENDER, SENDER_DOMAIN } from './lib/filtering.js';
import { markdown } from './lib/markdown.js';

interface Options {
  messages: number;
  sizes: number[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { messages: 5000, sizes: [4096, 65536] };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    if (argv[i] === '--messages') options.messages = Number(value());
    else if (argv[i] === '--sizes') options.sizes = value().split(',').map(Number);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return options;
}

const AUTHSERV = 'mx.bench.test';
const CLIENT: ClientInfo = { ip: '127.0.0.1', helo: SENDER_DOMAIN, tls: false, user: null, role: 'mx', trusted: false };

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const key = generateDkimKey('rsa-sha256', 'bench');
  const dns = fakeDns({
    [SENDER_DOMAIN]: { txt: ['v=spf1 ip4:127.0.0.1 -all'], a: ['127.0.0.1'] },
    [`bench._domainkey.${SENDER_DOMAIN}`]: { txtStrings: [dkimRecordStrings(key)] },
    [`_dmarc.${SENDER_DOMAIN}`]: { txt: ['v=DMARC1; p=reject'] },
  });
  const config = parseConfig(`hostname = "${AUTHSERV}"\n[smtp]\ntrusted_networks = []\n`, 'bench');
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-filters-'));
  const store = await openSqliteStore({ path: join(dir, 'petrel.db'), fsync: true });
  const log = createLogger({ level: 'warn', write: () => {} });
  const rows: string[][] = [];
  let names: string[] = [];
  try {
    const pipeline = filterPipelineFor(config, { dns, bayes: store.bayes });
    if (!pipeline) throw new Error('no filter pipeline: the defaults should build one');
    names = pipeline.filters.map((f) => f.name);
    for (const size of options.sizes) {
      const message = benchMessage(size, key.privateKey);
      const once = async (i: number, totals?: Map<string, number>) => {
        const session = new SessionFilters(pipeline, AUTHSERV);
        await session.connect(CLIENT, log);
        await session.mailFrom(CLIENT, SENDER, `Q${i}`, log);
        await session.rcpt({ address: `${(i % 100) + 1}u@bench.test`, domain: 'bench.test' });
        const out = await session.body(message);
        if (out.verdict.action !== 'continue') throw new Error(`message ${i}: verdict ${out.verdict.action}`);
        const results = out.headers.find((h) => h.startsWith('Authentication-Results:')) ?? '';
        for (const r of ['spf=pass', 'dkim=pass', 'dmarc=pass']) if (!results.includes(r)) throw new Error(`message ${i}: no ${r} in ${results}`);
        if (totals) for (const [name, ms] of out.timings) totals.set(name, (totals.get(name) ?? 0) + ms);
      };
      for (let i = 0; i < 200; i++) await once(i); // warm-up: the JIT, the key cache
      const totals = new Map<string, number>();
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < options.messages; i++) await once(i, totals);
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const all = [...totals.values()].reduce((a, b) => a + b, 0);
      rows.push([
        `${size / 1024} KiB`,
        String(options.messages),
        (wallMs / options.messages).toFixed(3),
        ((used.user + used.system) / 1000 / options.messages).toFixed(3),
        ...names.map((n) => `${((totals.get(n) ?? 0) / options.messages).toFixed(3)} (${(((totals.get(n) ?? 0) / all) * 100).toFixed(0)} %)`),
      ]);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const header = ['size', 'messages', 'wall ms/msg', 'CPU ms/msg', ...names.map((n) => `${n} ms/msg (share)`)];
  process.stdout.write(`filter-pipeline: ${process.version}, the embedded defaults with trusted_networks = [], Bayes on SQLite, DNS in memory\n\n`);
  process.stdout.write(markdown([header, header.map(() => '---'), ...rows]) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
