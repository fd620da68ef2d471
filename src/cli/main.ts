import { parseEnvOrReport } from '../config/env.js';
import { runCli } from './run-cli.js';

/**
 * `durable-delivery <command>`: the operator CLI. Like src/main.ts, this entry point is allowed to read
 * process.env; it parses it once and passes it down.
 */
async function main(): Promise<number> {
  const env = parseEnvOrReport(process.env, (text) => process.stderr.write(`${text}\n`));
  if (!env) return 1;
  return runCli(process.argv.slice(2), {
    env,
    cwd: process.cwd(),
    now: () => new Date(),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
}

process.exitCode = await main();
