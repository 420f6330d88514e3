/*
 * Two real BIND `named` processes for DNSSEC tests: an authoritative
 * server for zones signed here (dnssec-keygen, dnssec-signzone), and a
 * validating recursive resolver that forwards everything to it and trusts
 * each signed zone's KSK as a static trust anchor, so that answers from a
 * correctly signed zone come back with AD=1, an unsigned zone's with
 * AD=0 (no trust anchor covers it: insecure), and a zone whose signatures
 * do not verify (a record changed after signing, or RRSIGs already
 * expired) with SERVFAIL.
 *
 *   const dns = await startDnssecBind({
 *     'secure.test': { sign: 'valid', records: 'mx IN A 127.0.0.11' },
 *     'plain.test': { sign: 'none', records: 'mx IN A 127.0.0.12' },
 *     'bogus.test': { sign: 'valid', records: 'mx IN A 127.0.0.13', tamper: ['127.0.0.13', '127.0.0.66'] },
 *     'stale.test': { sign: 'expired', records: 'mx IN A 127.0.0.14' },
 *   });
 *   // dns.resolver: "127.0.0.1:port" of the validating resolver
 *
 * Exports: startDnssecBind, DnssecBind, DnssecZone.
 * Security: test only. Both servers listen on 127.0.0.1 on free ports;
 * the resolver forwards only (`forward only`, no root hints used) to the
 * authoritative server and sends from 127.0.0.1 (`query-source`), so no
 * query can leave the loopback interface. Keys are made per run in a
 * temporary directory that stop() removes.
 * Standards: RFC 4033-4035 (DNSSEC), RFC 4035 section 3.2.3 (AD), RFC
 * 4035 section 5.5 (bogus answers: SERVFAIL).
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNamed, zoneText } from './bind.js';
import { freePorts } from './petrel.js';
import { run } from './tools.js';

export interface DnssecZone {
  /** 'valid': signed, signatures good for 30 days; 'expired': signed with RRSIGs that expired yesterday; 'none': unsigned. */
  sign: 'valid' | 'expired' | 'none';
  /** Records after the SOA and NS (as in startBind). */
  records: string;
  /** After signing, replace this text of the signed zone file with that (a record changed without re-signing: bogus). */
  tamper?: [string, string];
}

export interface DnssecBind {
  /** "127.0.0.1:port" of the validating resolver. */
  resolver: string;
  /** "127.0.0.1:port" of the authoritative server (answers without validation). */
  authoritative: string;
  stop(): Promise<void>;
}

const DAY = 86_400_000;

/** YYYYMMDDHHMMSS in UTC, as dnssec-signzone takes absolute times. */
const signzoneTime = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

async function tool(command: string, args: string[]): Promise<string> {
  const result = await run(command, args, { timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim();
}

/** Signs dir/<zone>.zone into dir/<zone>.signed; returns the KSK's DNSKEY rdata ("257 3 13 <base64>") for the trust anchor. */
async function signZone(dir: string, zone: string, spec: DnssecZone): Promise<string> {
  // Published and active since a month ago, so signatures may start in the past (the expired case).
  const since = signzoneTime(Date.now() - 30 * DAY);
  const keygen = ['-q', '-a', 'ECDSAP256SHA256', '-P', since, '-A', since, '-K', dir];
  const ksk = await tool('dnssec-keygen', [...keygen, '-f', 'KSK', zone]);
  await tool('dnssec-keygen', [...keygen, zone]);
  const validity = spec.sign === 'expired' ? ['-P', '-s', signzoneTime(Date.now() - 10 * DAY), '-e', signzoneTime(Date.now() - DAY)] : ['-e', signzoneTime(Date.now() + 30 * DAY)];
  // -d: the dsset- file goes to the temporary directory, not the working one.
  await tool('dnssec-signzone', ['-q', '-S', '-K', dir, '-d', dir, ...validity, '-o', zone, '-f', join(dir, `${zone}.signed`), join(dir, `${zone}.zone`)]);
  if (spec.tamper) {
    const file = join(dir, `${zone}.signed`);
    const text = readFileSync(file, 'utf8');
    if (!text.includes(spec.tamper[0])) throw new Error(`${zone}: "${spec.tamper[0]}" is not in the signed zone`);
    writeFileSync(file, text.replace(spec.tamper[0], spec.tamper[1]));
  }
  const keyLine = readFileSync(join(dir, `${ksk}.key`), 'utf8').split('\n').find((l) => /\sDNSKEY\s/.test(l));
  const m = keyLine && /DNSKEY\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+)$/.exec(keyLine);
  if (!m) throw new Error(`${zone}: no DNSKEY in ${ksk}.key`);
  return `${m[1]} ${m[2]} ${m[3]} "${m[4]!.replace(/\s+/g, '')}"`;
}

function authoritativeConfig(dir: string, port: number, files: Record<string, string>): string {
  const zones = Object.entries(files).map(([zone, file]) => `zone "${zone}" { type primary; file "${file}"; };`);
  return `options {
  directory "${dir}";
  pid-file "${join(dir, 'named.pid')}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
};
${zones.join('\n')}
`;
}

function resolverConfig(dir: string, port: number, upstream: number, anchors: Record<string, string>): string {
  const trust = Object.entries(anchors).map(([zone, key]) => `  ${zone}. static-key ${key};`);
  return `options {
  directory "${dir}";
  pid-file "${join(dir, 'named.pid')}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  query-source address 127.0.0.1;
  recursion yes;
  allow-recursion { 127.0.0.1; };
  forwarders { 127.0.0.1 port ${upstream}; };
  forward only;
  dnssec-validation yes;
};
trust-anchors {
${trust.join('\n')}
};
`;
}

export async function startDnssecBind(zones: Record<string, DnssecZone>): Promise<DnssecBind> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-dnssec-'));
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [authPort, resolverPort] = (await freePorts(2)) as [number, number];
    const files: Record<string, string> = {};
    const anchors: Record<string, string> = {};
    for (const [zone, spec] of Object.entries(zones)) {
      writeFileSync(join(dir, `${zone}.zone`), zoneText(zone, spec.records));
      if (spec.sign === 'none') files[zone] = join(dir, `${zone}.zone`);
      else {
        anchors[zone] = await signZone(dir, zone, spec);
        files[zone] = join(dir, `${zone}.signed`);
      }
    }
    const probe = Object.keys(zones)[0]!;
    writeFileSync(join(dir, 'authoritative.conf'), authoritativeConfig(dir, authPort, files));
    stops.push(await runNamed(join(dir, 'authoritative.conf'), authPort, probe));
    const resolverDir = join(dir, 'resolver');
    mkdirSync(resolverDir);
    writeFileSync(join(resolverDir, 'named.conf'), resolverConfig(resolverDir, resolverPort, authPort, anchors));
    const unsigned = Object.keys(zones).find((z) => zones[z]!.sign === 'none') ?? Object.keys(zones).find((z) => zones[z]!.sign === 'valid' && !zones[z]!.tamper) ?? probe;
    stops.push(await runNamed(join(resolverDir, 'named.conf'), resolverPort, unsigned));
    return { resolver: `127.0.0.1:${resolverPort}`, authoritative: `127.0.0.1:${authPort}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
