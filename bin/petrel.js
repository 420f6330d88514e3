#!/usr/bin/env node
// The `petrel` command: runs the TypeScript sources through tsx, so `npx
// petrel` works in a checkout right after `npm ci`. A deployment that ran
// `npm run build` can run `node dist/main.js` instead.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await import(pathToFileURL(join(root, 'src', 'main.ts')).href);
