import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/db.js';
import { REPO_ROOT } from './support/processes.js';
import { BENCH_BOT_TOKEN, BENCH_SIGNING_SECRET } from './support/slack-requests.js';
import { SlackStub } from './support/slack-stub.js';
import { elapsedMs, percentile, seconds, table, verdict } from './support/stats.js';
import { closedPort } from './support/webhook-recorder.js';

/**
 * Cold start to ready on the embedded database, as a real process (Slack HTTP mode against a local
 * stub, the shipped example config, PGlite in DATA_DIR): `node scripts/start.js`, what `npm start`
 * runs, is spawned and /readyz polled every 20 ms until it answers 200 — with a new data directory,
 * then again with the one it left — and `node dist/main.js` once more with that one. The floor, measured in the same run: PGlite's own open time for each case.
 */

export interface ColdStartOptions {
  rounds?: number;
}

export interface ColdStartResult {
  rounds: number;
  newDirMs: number[];
  existingDirMs: number[];
  pgliteNewMs: number[];
  pgliteExistingMs: number[];
  /** `node dist/main.js` (what the Docker image runs) with an existing data directory. */
  distExistingMs: number[];
}

/** `npm start` compiles the sources with esbuild and runs them; the Docker image runs tsc's build. */
type Entry = 'npm start' | 'dist';
const ENTRY_ARGS: Record<Entry, string[]> = { 'npm start': ['scripts/start.js'], dist: ['dist/main.js'] };

async function startToReady(dataDir: string, stub: SlackStub, entry: Entry = 'npm start'): Promise<number> {
  const port = await closedPort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ENTRY_ARGS[entry], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      SLACK_BOT_TOKEN: BENCH_BOT_TOKEN,
      SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
      SLACK_API_URL: stub.apiUrl,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} before ready:\n${stderr.slice(-3000)}`);
      if (elapsedMs(started) > 120_000) throw new Error(`not ready in 120 s:\n${stderr.slice(-3000)}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
        .then(async (response) => {
          await response.arrayBuffer();
          return response.status === 200;
        })
        .catch(() => false);
      if (ready) return elapsedMs(started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

async function pgliteOpen(dataDir: string): Promise<number> {
  const started = process.hrtime.bigint();
  const database = await openDatabase({ driver: 'pglite', dataDir });
  const took = elapsedMs(started);
  await database.close();
  return took;
}

export async function runColdStart(input: ColdStartOptions = {}): Promise<ColdStartResult> {
  const rounds = input.rounds ?? 3;
  const stub = new SlackStub();
  await stub.start();
  const result: ColdStartResult = { rounds, newDirMs: [], existingDirMs: [], pgliteNewMs: [], pgliteExistingMs: [], distExistingMs: [] };
  // The compiled build, as the Docker image has it (not timed).
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  try {
    for (let round = 0; round < rounds; round += 1) {
      const floorDir = mkdtempSync(join(tmpdir(), 'dd-bench-pglite-'));
      const appDir = mkdtempSync(join(tmpdir(), 'dd-bench-cold-'));
      try {
        result.pgliteNewMs.push(await pgliteOpen(floorDir));
        result.pgliteExistingMs.push(await pgliteOpen(floorDir));
        result.newDirMs.push(await startToReady(appDir, stub));
        result.existingDirMs.push(await startToReady(appDir, stub));
        result.distExistingMs.push(await startToReady(appDir, stub, 'dist'));
      } finally {
        rmSync(floorDir, { recursive: true, force: true });
        rmSync(appDir, { recursive: true, force: true });
      }
    }
    return result;
  } finally {
    await stub.down();
  }
}

export function formatColdStart(result: ColdStartResult): string {
  const row = (label: string, app: number[], floor: number[]) => [label, seconds(percentile(app, 50)), seconds(Math.max(...app)), seconds(percentile(floor, 50)), `${(percentile(app, 50) - percentile(floor, 50)) / 1000 >= 0 ? '+' : ''}${((percentile(app, 50) - percentile(floor, 50)) / 1000).toFixed(2)} s`];
  const floorExisting = percentile(result.pgliteExistingMs, 50);
  const goal = (app: number[], allowanceMs: number, what: string) =>
    `- ${what}: median ${seconds(percentile(app, 50))} ≤ PGlite open ${seconds(floorExisting)} + ${allowanceMs / 1000} s → ${verdict(percentile(app, 50) <= floorExisting + allowanceMs)} (worst ${seconds(Math.max(...app))}).`;
  return [
    `Spawn → first 200 from /readyz, ${result.rounds} rounds each (median and worst). \`npm start\` is \`node scripts/start.js\` (esbuild compiles the sources into .start-<pid>/, then they run; the compile is in the time); \`node dist/main.js\` is the compiled build the Docker image runs. The floor is PGlite's own open of a data directory in the bench process, same round.`,
    '',
    table(['entry', 'data directory', 'app: median', 'app: worst', 'floor: PGlite open (median)', 'app minus floor'], [
      ['npm start', ...row('new (initdb + migrations)', result.newDirMs, result.pgliteNewMs)],
      ['npm start', ...row('existing', result.existingDirMs, result.pgliteExistingMs)],
      ['node dist/main.js', ...row('existing', result.distExistingMs, result.pgliteExistingMs)],
    ]),
    '',
    goal(result.distExistingMs, 1_000, '`node dist/main.js`, existing data directory'),
    goal(result.existingDirMs, 2_000, '`npm start`, existing data directory'),
  ].join('\n');
}
