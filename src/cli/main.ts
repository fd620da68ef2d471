import { parseEnvOrReport } from '../config/env.js';
import { serve } from '../app/serve.js';
import { runCli } from './run-cli.js';

/**
 * `durable-delivery <command>`: the operator CLI. Like src/main.ts, this entry point is allowed to read
 * process.env; it parses it once and passes it down.
 */
async function main(): Promise<number> {
  // The server itself, in sandbox mode: it keeps the process running until SIGTERM/SIGINT.
  if (process.argv[2] === 'sandbox') return serve({ ...process.env, SANDBOX: '1' }, 'when-asked');
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
