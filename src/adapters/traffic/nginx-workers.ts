import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * nginx's own signal that a reload has landed. On SIGHUP the master re-reads its configuration, starts
 * new worker processes with it and tells the old ones to stop accepting and exit once their open
 * requests finish; if the new configuration cannot be applied it keeps the old workers. So a reload
 * has landed for every new connection once the master's children are all processes that did not exist
 * before the reload. Read from the pid file and Linux's /proc, so nginx must run in this pid namespace.
 */

export type NginxWorkers = { kind: 'read'; master: number; workers: readonly number[] } | { kind: 'unreadable'; reason: string };

export async function readNginxWorkers(pidFile: string): Promise<NginxWorkers> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (error) {
    return { kind: 'unreadable', reason: `cannot read nginx's pid file ${pidFile}: ${messageOf(error)}` };
  }
  const master = Number(text.trim());
  if (!Number.isInteger(master) || master <= 0) return { kind: 'unreadable', reason: `nginx's pid file ${pidFile} holds ${JSON.stringify(text.trim())}, not a pid` };
  try {
    // The master is single-threaded, so its main thread's children are all its workers.
    const children = await readFile(`/proc/${master}/task/${master}/children`, 'utf8');
    return { kind: 'read', master, workers: children.split(/\s+/).filter(Boolean).map(Number) };
  } catch (error) {
    return { kind: 'unreadable', reason: `cannot list the workers of nginx master ${master} (not running, or not in this pid namespace): ${messageOf(error)}` };
  }
}

export type ReloadLanding =
  /** Only workers started by the reload run: every connection from now on meets the new configuration. */
  | { kind: 'landed'; workers: number }
  /** New workers serve new connections; old ones are still finishing open requests at the deadline. */
  | { kind: 'draining'; workers: number; old: number }
  /** No new worker by the deadline: nginx kept the previous configuration (its error log says why). */
  | { kind: 'not-reloaded' }
  | { kind: 'unreadable'; reason: string };

/** Polls the master's workers, with a pause between reads, until only new ones remain or the deadline passes. */
export async function waitForReload(pidFile: string, before: readonly number[], timeoutMs: number, pauseMs = 50): Promise<ReloadLanding> {
  const deadline = performance.now() + timeoutMs;
  const old = new Set(before);
  for (;;) {
    const now = await readNginxWorkers(pidFile);
    if (now.kind === 'unreadable') return now;
    const fresh = now.workers.filter((pid) => !old.has(pid)).length;
    const remaining = now.workers.length - fresh;
    if (fresh > 0 && remaining === 0) return { kind: 'landed', workers: fresh };
    if (performance.now() >= deadline) return fresh > 0 ? { kind: 'draining', workers: fresh, old: remaining } : { kind: 'not-reloaded' };
    await sleep(pauseMs);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
