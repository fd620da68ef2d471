import type { Env } from '../config/env.js';

/** What a command may touch: parsed env, the working directory, the clock and two output streams. */
export interface CliContext {
  env: Env;
  cwd: string;
  now(): Date;
  out(text: string): void;
  err(text: string): void;
}

/** Thrown for a mistake on the command line; the runner prints it with the command's usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}
