import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { assertNever } from '../../domain/assert-never.js';
import type { Traffic, TrafficChange, TrafficOutcome, Weights } from '../../ports/traffic.js';
import { readNginxWorkers, waitForReload, type ReloadLanding } from './nginx-workers.js';
import { lastLine, runCommand } from './run-command.js';

export interface NginxTrafficOptions {
  /** The file holding the upstream block, included from the nginx configuration. */
  upstreamFile: string;
  /** Defaults to <service>_<environment>. */
  upstreamName?: string;
  testCommand: readonly string[];
  reloadCommand: readonly string[];
  /** The address (host:port) that serves an infra-set; by default the infra-set id is a resolvable host name. */
  serverFor?: (infraSetId: string) => string;
  /**
   * nginx's pid file. With it, a change is reported applied only once the workers started by the
   * reload are the only ones running (nginx in this pid namespace, Linux); without it, once the reload
   * was signalled.
   */
  pidFile?: string;
  /** For each command, and for the new workers to take over. */
  timeoutMs?: number;
}

const SAFE_ID = /^[A-Za-z0-9._:-]+$/;
const SAFE_ADDRESS = /^(unix:\/[A-Za-z0-9._/-]+|\[[0-9A-Fa-f:.]+\](:\d+)?|[A-Za-z0-9.-]+(:\d+)?)$/;
const locks = new Map<string, Promise<unknown>>();

/**
 * Moves traffic with nginx: rewrites an upstream block with one weighted server per infra-set, checks
 * the whole configuration with `nginx -t`, and reloads. A configuration nginx refuses is put back as it
 * was, so a bad change never reaches the running server.
 */
export class NginxTraffic implements Traffic {
  constructor(private readonly options: NginxTrafficOptions) {}

  setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    // One change at a time per file: a concurrent write could interleave with the check-and-restore.
    const previous = locks.get(this.options.upstreamFile) ?? Promise.resolve();
    const next = previous.then(() => this.#apply(change));
    locks.set(this.options.upstreamFile, next.catch(() => undefined));
    return next;
  }

  async #apply(change: TrafficChange): Promise<TrafficOutcome> {
    const content = this.render(change);
    if (content.kind === 'invalid') return { kind: 'failed', retryable: false, reason: content.reason };
    const file = this.options.upstreamFile;
    const before = await readFile(file, 'utf8').catch(() => null);
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, content.text);
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      return { kind: 'failed', retryable: true, reason: `could not write ${file}: ${error instanceof Error ? error.message : String(error)}` };
    }
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const test = await runCommand(this.options.testCommand, '', timeoutMs);
    if (test.kind !== 'exited' || test.code !== 0) {
      if (before === null) await rm(file, { force: true });
      else await writeFile(file, before);
      const why = test.kind === 'exited' ? lastLine(test.stderr || test.stdout) : test.kind === 'timed-out' ? 'timed out' : test.reason;
      return { kind: 'failed', retryable: false, reason: `nginx refused the configuration (restored the previous one): ${why}` };
    }
    const pidFile = this.options.pidFile;
    const workersBefore = pidFile === undefined ? null : await readNginxWorkers(pidFile);
    const reload = await runCommand(this.options.reloadCommand, '', timeoutMs);
    if (reload.kind !== 'exited' || reload.code !== 0) {
      const why = reload.kind === 'exited' ? lastLine(reload.stderr || reload.stdout) : reload.kind === 'timed-out' ? 'timed out' : reload.reason;
      return { kind: 'failed', retryable: true, reason: `nginx accepted the configuration but did not reload: ${why}` };
    }
    const done = `wrote ${file}, nginx -t passed`;
    if (pidFile === undefined || workersBefore === null) return { kind: 'applied', verified: false, detail: `${done} and the reload was signalled; nginx's workers are not watched (no pidFile), the split is not observed` };
    const landing: ReloadLanding = workersBefore.kind === 'unreadable' ? workersBefore : await waitForReload(pidFile, workersBefore.workers, timeoutMs);
    switch (landing.kind) {
      case 'landed':
        return { kind: 'applied', verified: false, detail: `${done} and only nginx workers started with it serve; the split itself is not observed` };
      case 'draining':
        return { kind: 'applied', verified: false, detail: `${done}; new nginx workers serve it while ${landing.old} old one(s) finish open requests; the split itself is not observed` };
      case 'not-reloaded':
        return { kind: 'failed', retryable: true, reason: `nginx was signalled to reload but started no worker with the new configuration within ${timeoutMs / 1000}s (its error log says why)` };
      case 'unreadable':
        return { kind: 'applied', verified: false, detail: `${done} and the reload was signalled, but whether it landed is unknown: ${landing.reason}` };
      default:
        return assertNever(landing, 'reload landing');
    }
  }

  /** The upstream block for a change; exposed for the plan preview and for tests. */
  render(change: TrafficChange): { kind: 'ok'; text: string } | { kind: 'invalid'; reason: string } {
    const name = this.options.upstreamName ?? `${change.target.service}_${change.target.environment}`.replace(/[^A-Za-z0-9_]/g, '_');
    const entries = Object.entries(change.weights);
    if (entries.length === 0) return { kind: 'invalid', reason: 'no infra-set to route to' };
    const total = entries.reduce((sum, [, pct]) => sum + pct, 0);
    if (Math.abs(total - 100) > 0.01) return { kind: 'invalid', reason: `weights add up to ${total}%, not 100%` };
    const serverFor = this.options.serverFor ?? ((id: string) => id);
    // nginx weights are positive integers: tenths of a percent, reduced by their common divisor.
    const scaled = entries.map(([id, pct]) => [id, Math.round(pct * 10)] as const);
    const divisor = scaled.filter(([, weight]) => weight > 0).reduce((acc, [, weight]) => gcd(acc, weight), 0) || 1;
    const lines: string[] = [];
    for (const [id, weight] of scaled) {
      if (!SAFE_ID.test(id)) return { kind: 'invalid', reason: `infra-set id ${JSON.stringify(id)} cannot go into an nginx configuration` };
      const address = serverFor(id);
      if (!SAFE_ADDRESS.test(address)) return { kind: 'invalid', reason: `address ${JSON.stringify(address)} of ${id} is not host:port` };
      lines.push(weight > 0 ? `    server ${address} weight=${weight / divisor}; # ${id} ${weightOf(change.weights, id)}%` : `    server ${address} down; # ${id} 0% (warm)`);
    }
    const key = change.idempotencyKey.replace(/[^\x20-\x7e]/g, '?');
    return {
      kind: 'ok',
      text: [
        `# Written by durable-delivery for ${change.target.service} in ${change.target.environment}; changes by hand are overwritten.`,
        `# release ${change.releaseId ?? '-'}, change ${key}`,
        `upstream ${name} {`,
        ...lines,
        '}',
        '',
      ].join('\n'),
    };
  }
}

function weightOf(weights: Weights, id: string): number {
  return weights[id] ?? 0;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
