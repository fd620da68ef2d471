import { spawn } from 'node:child_process';

/**
 * Runs a configured executable with an argv array (never through a shell, so nothing in a payload can
 * be interpreted as shell syntax), writes JSON to its stdin and collects its exit status and output.
 */

export type CommandResult =
  | { kind: 'exited'; code: number; stdout: string; stderr: string }
  | { kind: 'timed-out'; stdout: string; stderr: string }
  | { kind: 'not-started'; reason: string };

const MAX_OUTPUT = 64 * 1024;

export function runCommand(argv: readonly string[], stdin: string, timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.resolve({ kind: 'not-started', reason: 'empty command' });
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const settle = (result: CommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(file, args, { shell: false, stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      // A command that ignores SIGTERM is not allowed to hold the outbox worker.
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => settle({ kind: 'not-started', reason: error.message }));
    child.on('close', (code, signal) => {
      if (timedOut) settle({ kind: 'timed-out', stdout, stderr });
      else settle({ kind: 'exited', code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A command that does not read its stdin closes the pipe early; that is its business.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

/** Exit status 75 (EX_TEMPFAIL, sysexits.h) means "try again later"; any other non-zero status is a refusal. */
export const RETRYABLE_EXIT_CODE = 75;

export function lastLine(text: string, max = 300): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, max);
}

/** A command's stdout as JSON, if it printed one JSON object (optionally after log lines, as its last line). */
export function jsonFromStdout(stdout: string): unknown {
  const trimmed = stdout.trim();
  for (const candidate of [trimmed, lastLine(trimmed, MAX_OUTPUT)]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // not JSON; try the next form
    }
  }
  return undefined;
}
