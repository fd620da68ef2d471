import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Starting real app processes for benchmarks and fault trials, and stopping them by pid. */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Where app processes start from: the repository, or DD_APP_ROOT — a snapshot of it (src, bench,
 * migrations, node_modules linked), so a long fault run is not cut short by edits to the tree.
 */
export const APP_ROOT = process.env.DD_APP_ROOT ?? REPO_ROOT;

export interface Spawned<T> {
  child: ChildProcess;
  ready: T;
  /** stderr so far (for the report when something breaks). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Spawns `node --import tsx <script>` from the repository root with `env` on top of a minimal
 * environment, and waits for its first JSON line on stdout (its readiness announcement).
 */
export async function spawnWorker<T>(script: string, env: Record<string, string>, options: { timeoutMs?: number; args?: string[] } = {}): Promise<Spawned<T>> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...(options.args ?? [])], {
    cwd: APP_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<T>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${script} not ready within ${options.timeoutMs ?? 120_000} ms\n${stderr}`)), options.timeoutMs ?? 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n').slice(0, -1)) {
        try {
          const parsed = JSON.parse(line) as T & { ready?: boolean };
          if (parsed && parsed.ready) {
            clearTimeout(timer);
            resolve(parsed);
            return;
          }
        } catch {
          // Not the announcement (a log line).
        }
      }
      buffer = buffer.split('\n').at(-1) ?? '';
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready\n${stderr}`));
    });
  });
  // Keep draining stdout so a chatty process never blocks on a full pipe.
  child.stdout!.resume();
  return {
    child,
    ready,
    exited,
    stderr: () => stderr,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
