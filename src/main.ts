/*
 * Entry point: hands the command line to the CLI and exits with its status.
 */
import { runCli } from './cli/index.js';

const code = await runCli(process.argv.slice(2));
process.exit(code);
