/*
 * `petrel sieve`: users' Sieve scripts from the command line, the same
 * store and rules as ManageSieve (Pigeonhole's doveadm sieve).
 *
 *   list USER [--json]               the user's scripts, the active one marked
 *   get USER NAME                    the script as stored, on stdout
 *   put USER NAME FILE               compile and store (FILE "-" is stdin);
 *                                    an error prints FILE: line L, column C
 *   activate USER NAME               make it the script delivery runs
 *   deactivate USER                  no active script
 *   rename USER OLD NEW
 *   delete USER NAME                 refused for the active script
 *   global list | put before|after NAME FILE | delete NAME
 *                                    the administrator's scripts, run for
 *                                    every user before or after their own
 *
 *   test SCRIPT MESSAGE [--user ADDR] a dry run, like Pigeonhole's sieve-test:
 *                                    compiles SCRIPT, runs it on the MESSAGE
 *                                    file and prints one line per action, edit
 *                                    and warning (nothing is delivered or sent;
 *                                    the envelope is the message's Return-Path
 *                                    or From, and --user or its first To)
 *
 * Exports: sieve.
 * Security: operator command; reads and writes the metadata store the
 * server uses (WAL makes this safe while it runs: changes take effect at
 * the next command or delivery). Script files are compiled exactly as an
 * upload is, with the [managesieve] limits.
 */
import { readFile } from 'node:fs/promises';
import { sieveScriptsFor } from '../app/sieve-scripts.js';
import { accountAddress } from '../directory/directory.js';
import { checkScriptName, formatDiagnostic, type PutOutcome, type SieveScripts } from '../sieve-scripts/index.js';
import { compileSieve, describeRun, parseSieveMessage, runSieve } from '../sieve/index.js';
import type { AccountRecord, SieveGlobalScripts } from '../store/types.js';
import { need, UsageError, type CommandContext } from './context.js';
import { table } from './table.js';

const USAGE = 'usage: petrel sieve list USER [--json] | get USER NAME | put USER NAME FILE | activate USER NAME | deactivate USER | rename USER OLD NEW | delete USER NAME | global list|put before|after NAME FILE|delete NAME | test SCRIPT MESSAGE [--user ADDR]';

/** The first address in a header value ("Bob <bob@x>" gives bob@x). */
const firstAddress = (values: readonly string[]): string => /[^\s<>(),;:"]+@[^\s<>(),;:"]+/.exec(values[0] ?? '')?.[0] ?? '';

/** `petrel sieve test`: compile and run without the store, print describeRun's lines; 1 on a compile or runtime error. */
async function dryRun(ctx: CommandContext, args: string[]): Promise<number> {
  need(args, 2, 'petrel sieve test SCRIPT MESSAGE [--user ADDR]');
  const [file, messageFile] = args as [string, string];
  const compiled = compileSieve((await readSource(file)).toString('utf8'));
  if (!compiled.ok) {
    ctx.io.err(`${file}: ${formatDiagnostic(compiled.error)}`);
    return 1;
  }
  for (const w of compiled.warnings) ctx.io.err(`${file}: warning: ${formatDiagnostic(w)}`);
  const message = parseSieveMessage(await readSource(messageFile));
  const from = firstAddress(message.header('return-path')) || firstAddress(message.header('from'));
  const to = typeof ctx.options.user === 'string' ? ctx.options.user : firstAddress(message.header('to'));
  const result = runSieve(compiled.script, { message, envelope: { from, to }, now: new Date(), maxMillis: 5000, clock: () => performance.now() });
  for (const line of describeRun(result)) ctx.io.out(line);
  return result.ok ? 0 : 1;
}

async function readSource(file: string): Promise<Buffer> {
  if (file !== '-') return readFile(file);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function scriptName(text: string): string {
  const checked = checkScriptName(text);
  if (!checked.ok) throw new UsageError(`invalid script name ${JSON.stringify(text)}: ${checked.reason}`);
  return checked.name;
}

/** Prints what a put did; the exit status. */
function report(ctx: CommandContext, file: string, name: string, outcome: PutOutcome, maxSize: number): number {
  if (outcome.ok) {
    for (const w of outcome.warnings) ctx.io.err(`${file}: warning: ${formatDiagnostic(w)}`);
    ctx.io.out(`${outcome.created ? 'stored' : 'replaced'} ${name}`);
    return 0;
  }
  if (outcome.reason === 'invalid') ctx.io.err(`${file}: ${formatDiagnostic(outcome.error)}`);
  else if (outcome.reason === 'too-large') ctx.io.err(`${file}: larger than [managesieve] max_script_size (${maxSize} octets)`);
  else if (outcome.reason === 'max-scripts') ctx.io.err('the user has [managesieve] max_scripts scripts already: delete one first');
  else ctx.io.err('the user\'s scripts would exceed [managesieve] max_storage');
  return 1;
}

export async function sieve(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  if (action === undefined) throw new UsageError(USAGE);
  // The dry run needs no store (sieve-test needs no mail storage either).
  if (action === 'test') return dryRun(ctx, rest);
  return ctx.withStores(async ({ store, directory }, loaded) => {
    const scripts = sieveScriptsFor(loaded.config, store.sieve);
    const user = async (text: string): Promise<AccountRecord> => {
      const account = await directory.findAccount(text);
      if (!account) throw new UsageError(`no such user: ${text}`);
      return account;
    };
    const missing = (name: string, who: AccountRecord) => {
      ctx.io.err(`${accountAddress(who)} has no script ${JSON.stringify(name)}`);
      return 1;
    };
    switch (action) {
      case 'list': {
        need(rest, 1, 'petrel sieve list USER [--json]');
        const account = await user(rest[0]!);
        const list = await scripts.list(account.id);
        if (ctx.options.json) {
          ctx.io.out(JSON.stringify(list, null, 2));
          return 0;
        }
        const rows = list.map((s) => [s.name, String(s.size), s.active ? 'yes' : '', new Date(s.updatedAt).toISOString()]);
        for (const line of table(['NAME', 'SIZE', 'ACTIVE', 'UPDATED'], rows)) ctx.io.out(line);
        return 0;
      }
      case 'get': {
        need(rest, 2, 'petrel sieve get USER NAME');
        const account = await user(rest[0]!);
        const name = scriptName(rest[1]!);
        const script = await scripts.get(account.id, name);
        if (!script) return missing(name, account);
        // out() ends with a newline: a script that ends with one is printed exactly as stored.
        ctx.io.out(script.source.endsWith('\n') ? script.source.slice(0, -1) : script.source);
        return 0;
      }
      case 'put': {
        need(rest, 3, 'petrel sieve put USER NAME FILE');
        const account = await user(rest[0]!);
        const name = scriptName(rest[1]!);
        const outcome = await scripts.put(account.id, name, await readSource(rest[2]!));
        return report(ctx, rest[2]!, name, outcome, scripts.maxScriptSize);
      }
      case 'activate': {
        need(rest, 2, 'petrel sieve activate USER NAME');
        const account = await user(rest[0]!);
        const name = scriptName(rest[1]!);
        if (!(await scripts.setActive(account.id, name))) return missing(name, account);
        ctx.io.out(`${name} is ${accountAddress(account)}'s active script`);
        return 0;
      }
      case 'deactivate': {
        need(rest, 1, 'petrel sieve deactivate USER');
        const account = await user(rest[0]!);
        await scripts.setActive(account.id, null);
        ctx.io.out(`${accountAddress(account)} has no active script`);
        return 0;
      }
      case 'rename': {
        need(rest, 3, 'petrel sieve rename USER OLD NEW');
        const account = await user(rest[0]!);
        const from = scriptName(rest[1]!);
        const to = scriptName(rest[2]!);
        const outcome = await scripts.rename(account.id, from, to);
        if (outcome === 'nonexistent') return missing(from, account);
        if (outcome === 'exists') {
          ctx.io.err(`${accountAddress(account)} already has a script ${JSON.stringify(to)}`);
          return 1;
        }
        ctx.io.out(`renamed ${from} to ${to}`);
        return 0;
      }
      case 'delete': {
        need(rest, 2, 'petrel sieve delete USER NAME');
        const account = await user(rest[0]!);
        const name = scriptName(rest[1]!);
        const outcome = await scripts.delete(account.id, name);
        if (outcome === 'nonexistent') return missing(name, account);
        if (outcome === 'active') {
          ctx.io.err(`${name} is the active script: petrel sieve deactivate ${rest[0]} first`);
          return 1;
        }
        ctx.io.out(`deleted ${name}`);
        return 0;
      }
      case 'global':
        return globalScripts(ctx, rest, scripts, store.sieve);
      default:
        throw new UsageError(USAGE);
    }
  });
}

async function globalScripts(ctx: CommandContext, args: string[], scripts: SieveScripts, store: SieveGlobalScripts): Promise<number> {
  const [action, ...rest] = args;
  switch (action) {
    case 'list': {
      const rows = (await store.listGlobal()).map((g) => [g.phase, g.name, String(g.size), new Date(g.updatedAt).toISOString()]);
      for (const line of table(['PHASE', 'NAME', 'SIZE', 'UPDATED'], rows)) ctx.io.out(line);
      return 0;
    }
    case 'put': {
      need(rest, 3, 'petrel sieve global put before|after NAME FILE');
      const phase = rest[0];
      if (phase !== 'before' && phase !== 'after') throw new UsageError('usage: petrel sieve global put before|after NAME FILE');
      const name = scriptName(rest[1]!);
      const outcome = await scripts.putGlobal(phase, name, await readSource(rest[2]!));
      return report(ctx, rest[2]!, name, outcome, scripts.maxScriptSize);
    }
    case 'delete': {
      need(rest, 1, 'petrel sieve global delete NAME');
      if (!(await store.deleteGlobal(rest[0]!))) {
        ctx.io.err(`no global script ${JSON.stringify(rest[0])}`);
        return 1;
      }
      ctx.io.out(`deleted global ${rest[0]}`);
      return 0;
    }
    default:
      throw new UsageError('usage: petrel sieve global list | put before|after NAME FILE | delete NAME');
  }
}
