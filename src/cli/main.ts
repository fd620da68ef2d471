import { EnvError, parseEnv } from '../config/env.js';
import { runCli } from './run-cli.js';

/**
 * `durable-delivery <command>`: the operator CLI. Like src/main.ts, this entry point is allowed to read
 * process.env; it parses it once and passes it down.
 */
async function main(): Promise<number> {
  let env;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  return runCli(process.argv.slice(2), {
    env,
    cwd: process.cwd(),
    now: () => new Date(),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
}

process.exitCode = await main();
