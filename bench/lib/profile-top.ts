/*
 * Reads a V8 CPU profile (node --cpu-prof) and prints where the time went:
 * the functions with the most self time, and those with the most total
 * time (self plus callees), each as function (file:line).
 *
 *   npx tsx bench/lib/profile-top.ts FILE.cpuprofile [--top 30] [--match src/] [--groups]
 *
 * --match keeps only functions whose file contains the text in the total
 * list (to see Petrel's own functions among node's internals).
 * --groups adds the self time by owner: each sample goes to the nearest
 * frame on its stack that is in a Petrel folder (src/filters/spam,
 * src/endpoints/smtp...) or an npm package (node_modules/mailauth...), so
 * node's internals (crypto, streams, sockets) count for whoever called
 * them. The stack of an async function resumed after an await starts at
 * the await, so this is where the CPU went, not who started the work.
 *
 * Exports: nothing (a command-line tool).
 * Security: reads a local file.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const file = args[0];
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [--top N] [--match TEXT]');
const top = Number(args[args.indexOf('--top') + 1] ?? 30) || 30;
const match = args.includes('--match') ? args[args.indexOf('--match') + 1] : undefined;

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  total += dt;
});

const label = (n: ProfileNode) => {
  const f = n.callFrame;
  const url = f.url.replace(/^file:\/\//, '').replace(/^.*?\/(src|bench|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} (${url || 'native'}${url ? `:${f.lineNumber + 1}` : ''})`;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  self.set(label(node), (self.get(label(node)) ?? 0) + us);
  // Each function on the stack once, however often it recurses.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}

const show = (title: string, map: Map<string, number>, filter?: string) => {
  process.stdout.write(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)\n`);
  const rows = [...map].filter(([l]) => !filter || l.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [l, us] of rows) process.stdout.write(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${l}\n`);
};
show('self time', self);
show('total time', inclusive, match);

if (args.includes('--groups')) {
  /** src/<dir>/<subdir> (two levels, one for a file directly in src/<dir>) or node_modules/<package> (with its scope). */
  const owner = (url: string): string | undefined => {
    const path = url.replace(/^file:\/\//, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (pkg) return `node_modules/${pkg[1]}`;
    const own = /\/(src|bench|test)\/([^/]+)\/(?:([^/]+)\/)?/.exec(path);
    if (own) return own[3] && !own[3].endsWith('.ts') ? `${own[1]}/${own[2]}/${own[3]}` : `${own[1]}/${own[2]}`;
    return undefined;
  };
  const groups = new Map<string, number>();
  for (const [id, us] of selfUs) {
    let name: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined && name === undefined; cur = parent.get(cur)) name = owner(byId.get(cur)!.callFrame.url);
    const n = byId.get(id)!;
    const key = name ?? (n.callFrame.url ? 'node internals (no caller of ours)' : label(n));
    groups.set(key, (groups.get(key) ?? 0) + us);
  }
  show('self time by owner', groups);
}
