#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's built-in test runner
// through tsx. Node 20's `node --test` does not expand globs itself, so the
// files are listed here. Extra arguments are passed to node --test (for
// example --test-name-pattern=smuggling), or name files to run instead.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function find(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(find(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const args = process.argv.slice(2);
const named = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
const files = named.length > 0 ? named : [...find(join(root, 'src')), ...find(join(root, 'test'))].sort();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
