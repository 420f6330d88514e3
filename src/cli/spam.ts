/*
 * `petrel spam`: the Bayes classifier's training, as sa-learn does it.
 *
 *   learn spam|ham [--user ADDRESS] [FILE...]   learns each message (a
 *                     file of one message; none or "-": standard input)
 *                     into the global table and, with --user, the user's
 *                     own; a message learned again as the other kind is
 *                     relearned, the same kind is left alone
 *   forget [--user ADDRESS] [FILE...]           unlearns them
 *   status [--user ADDRESS]                     how many messages each
 *                     table learned, and whether it is used yet
 *   check [FILE]      the built-in rules and the global Bayes table over
 *                     a message, without the network (no URI lists, no
 *                     external scorers): the score and the tests
 *
 * Exports: spam.
 * Security: operator command; reads the files named and the metadata
 * store; the messages are the operator's choice, read like mail is.
 */
import { readFile } from 'node:fs/promises';
import { accountAddress, type Directory } from '../directory/directory.js';
import { spamSettingsFrom } from '../app/filters.js';
import type { BayesSettings } from '../filters/spam/settings.js';
import { classify, formatScore, forgetMessage, learnMessage, readMessage, scoreMessage, tokenize, urlHosts } from '../filters/spam/index.js';
import type { MetadataStore } from '../store/types.js';
import { UsageError, type CommandContext } from './context.js';

const USAGE = 'usage: petrel spam learn spam|ham [--user ADDRESS] [FILE...] | forget [--user ADDRESS] [FILE...] | status [--user ADDRESS] | check [FILE]';

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Each message named, or standard input; with its name for the output. */
async function* messages(files: string[]): AsyncGenerator<{ name: string; bytes: Buffer }> {
  if (files.length === 0) files = ['-'];
  for (const f of files) yield { name: f === '-' ? '(stdin)' : f, bytes: f === '-' ? await readStdin() : await readFile(f) };
}

async function userId(ctx: CommandContext, directory: Directory): Promise<{ id: number | null; label: string }> {
  const user = ctx.options.user as string | undefined;
  if (user === undefined) return { id: null, label: 'global' };
  const account = await directory.findAccount(user);
  if (!account) throw new UsageError(`no such user: ${user}`);
  return { id: account.id, label: `global and ${accountAddress(account)}` };
}

async function status(store: MetadataStore, bayes: BayesSettings, id: number | null, label: string, out: (line: string) => void): Promise<void> {
  const { minSpam, minHam } = bayes;
  const t = await store.bayes.totals(id);
  const ready = t.spam >= minSpam && t.ham >= minHam ? 'in use' : `not used until ${minSpam} spam and ${minHam} ham are learned`;
  out(`${label}: ${t.spam} spam, ${t.ham} ham learned (${ready})`);
}

export async function spam(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  switch (action) {
    case 'learn': {
      const [kind, ...files] = rest;
      if (kind !== 'spam' && kind !== 'ham') throw new UsageError(USAGE);
      return ctx.withStores(async ({ store, directory }) => {
        const { id, label } = await userId(ctx, directory);
        for await (const m of messages(files)) {
          const result = await learnMessage(store.bayes, m.bytes, kind, id, Date.now());
          const said = { learned: `learned as ${kind}`, relearned: `relearned as ${kind}`, unchanged: `already learned as ${kind}` }[result];
          ctx.io.out(`${m.name}: ${said} (${label})`);
        }
        return 0;
      });
    }
    case 'forget':
      return ctx.withStores(async ({ store, directory }) => {
        const { id, label } = await userId(ctx, directory);
        for await (const m of messages(rest)) {
          ctx.io.out(`${m.name}: ${(await forgetMessage(store.bayes, m.bytes, id, Date.now())) ? 'forgotten' : 'was not learned'} (${label})`);
        }
        return 0;
      });
    case 'status':
      return ctx.withStores(async ({ store, directory }, loaded) => {
        const { bayes } = spamSettingsFrom(loaded.config.spam);
        await status(store, bayes, null, 'global', ctx.io.out);
        const { id, label } = await userId(ctx, directory);
        if (id !== null) await status(store, bayes, id, label.replace(/^global and /, ''), ctx.io.out);
        return 0;
      });
    case 'check':
      return ctx.withStores(async ({ store }, loaded) => {
        const settings = spamSettingsFrom(loaded.config.spam);
        for await (const m of messages(rest.slice(0, 1))) {
          const view = readMessage(m.bytes);
          const bayes = await classify(store.bayes, tokenize(view), null, settings.bayes);
          const r = scoreMessage({ view, facts: {}, sender: '', evidence: { hosts: urlHosts(view.text, view.html), bayes: bayes?.probability }, settings, now: Date.now() });
          ctx.io.out(`score ${formatScore(r.score)} (spam at ${formatScore(settings.thresholds.junk)})`);
          for (const h of r.hits) ctx.io.out(`  ${formatScore(h.score).padStart(7)}  ${h.name}`);
        }
        return 0;
      });
    default:
      throw new UsageError(USAGE);
  }
}
