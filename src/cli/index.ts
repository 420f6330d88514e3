/*
 * The `petrel` command: a table of subcommands, the global options they
 * share (--config, --data) and the error discipline: usage and directory
 * errors print one line and exit 2 or 1; a configuration error prints every
 * problem with its key; nothing prints a stack trace.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { DirectoryError } from '../directory/directory.js';
import { alias } from './alias.js';
import { cert } from './cert.js';
import { configCheck } from './config.js';
import { commandContext, UsageError, type CommandContext } from './context.js';
import { dkim } from './dkim.js';
import { dns } from './dns.js';
import { doctor } from './doctor.js';
import { domain } from './domain.js';
import { init } from './init.js';
import { processIo, type Io } from './io.js';
import { queue } from './queue.js';
import { spam } from './spam.js';
import { quarantine } from './quarantine.js';
import { serve } from './serve.js';
import { sieve } from './sieve.js';
import { user } from './user.js';

type Command = (ctx: CommandContext) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  serve: { run: serve, help: 'serve [--config FILE] [--data DIR]     run the server' },
  init: { run: init, help: 'init [--hostname NAME] [--output FILE]  write a commented production configuration' },
  config: {
    run: async (ctx) => {
      if (ctx.args[0] !== 'check') throw new UsageError('usage: petrel config check [FILE]');
      return configCheck({ ...ctx, args: ctx.args.slice(1) });
    },
    help: 'config check [FILE]                     validate a configuration',
  },
  domain: { run: domain, help: 'domain add NAME [--alias-of D] | list | remove NAME' },
  user: { run: user, help: 'user add ADDRESS [--password-stdin] [--quota SIZE] | passwd | quota | enable | disable | list | remove' },
  alias: { run: alias, help: 'alias add FROM TO... | list | remove FROM   (FROM @domain is the catch-all)' },
  cert: { run: cert, help: 'cert list | reload | issue [NAME...] | renew [--force] | rollover [NAME]' },
  dkim: { run: dkim, help: 'dkim show DOMAIN [--json] | status DOMAIN | rotate DOMAIN [--selector S] [--algorithm rsa|ed25519|both] | check [DOMAIN]' },
  doctor: { run: doctor, help: 'doctor [DOMAIN...] [--json] [--resolver HOST:PORT] [--name NAME,...] [--user ADDRESS --password-stdin] [--outbound-probe HOST:PORT|off] [--dns-only]\n                                          what is wrong with DNS, certificates and ports, and the fix' },
  dns: { run: dns, help: 'dns plan DOMAIN [--json]                 every record the domain and the mail host must publish' },
  spam: { run: spam, help: 'spam learn spam|ham [--user ADDRESS] [FILE...] | forget [--user ADDRESS] [FILE...] | status [--user ADDRESS] | check [FILE]' },
  quarantine: { run: quarantine, help: 'quarantine list [--json] | show ID [--json] [--full] | release ID... | delete ID...' },
  sieve: { run: sieve, help: 'sieve list USER [--json] | get USER NAME | put USER NAME FILE | activate USER NAME | deactivate USER | rename USER OLD NEW | delete USER NAME\n                                          | global list | global put before|after NAME FILE | global delete NAME\n                                          | test SCRIPT MESSAGE [--user ADDR]' },
  queue: { run: queue, help: 'queue list | show ID | stats | flush | retry ID | hold ID | release ID | delete ID' },
};

function usage(): string {
  return ['usage: petrel COMMAND ...', '', ...Object.values(COMMANDS).map((c) => `  petrel ${c.help}`), '', 'Global options: --config FILE (or $PETREL_CONFIG), --data DIR'].join('\n');
}

export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        data: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        quota: { type: 'string' },
        'alias-of': { type: 'string' },
        hostname: { type: 'string' },
        output: { type: 'string', short: 'o' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
        selector: { type: 'string' },
        algorithm: { type: 'string' },
        resolver: { type: 'string' },
        name: { type: 'string' },
        user: { type: 'string' },
        'outbound-probe': { type: 'string' },
        'dns-only': { type: 'boolean' },
        full: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err((err as Error).message);
    io.err(usage());
    return 2;
  }
  const [name, ...args] = parsed.positionals;
  if (!name || parsed.values.help) {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`unknown command: ${name}`);
    io.err(usage());
    return 2;
  }
  try {
    return await command.run(commandContext(args, parsed.values, io));
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(err.message);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(err.describe());
      return 1;
    }
    if (err instanceof DirectoryError) {
      io.err(`petrel: ${err.message}`);
      return 1;
    }
    io.err(`petrel: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
