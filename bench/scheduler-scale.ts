import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { ManualClock } from '../src/ports/clock.js';
import { createEngine } from '../src/app/create-engine.js';
import type { Database } from '../src/store/db.js';
import { fakePorts } from '../test/support/fakes/fake-ports.js';
import { benchConfig } from './support/bench-config.js';
import { BENCH_POSTGRES_ADMIN_URL, openBenchPglite, openScratchPostgres, postgresAvailable } from './support/databases.js';
import { seedActiveReleases } from './support/seed-releases.js';
import { elapsedMs, ms, percentile, seconds, table, verdict } from './support/stats.js';

/**
 * Scheduler scale: what one engine tick costs with 100, 1,000 and 10,000 active releases in the
 * store, on PGlite and on real Postgres. Releases are copied in bulk (set-up is not measured); the
 * engine's own tick is timed in three situations:
 * - idle: nothing due (the claim query over the whole table);
 * - steady: 1/30 of the releases due, what a 2 s tick sees when each release is measured once a minute;
 * - all due: every release due at once (after an outage); one tick handles at most 500 of them.
 */

export interface SchedulerScaleOptions {
  sizes?: number[];
  databases?: Array<'pglite' | 'postgres'>;
  postgresAdminUrl?: string;
  /** Cap on the time spent draining an all-due backlog per size (ms). */
  drainBudgetMs?: number;
  /** At most this many due releases are timed in the steady case; the tick is scaled up from them. */
  maxSample?: number;
  /** The all-due case runs up to this many active releases. */
  allDueUpTo?: number;
}

export interface SchedulerScaleRow {
  database: 'pglite' | 'postgres';
  active: number;
  idleTickMs: number;
  steadyDue: number;
  steadySample: number;
  steadyTickMs: number;
  allDueFirstTickMs: number;
  allDueFirstTickHandled: number;
  perReleaseMs: number;
  drained: number;
  drainMs: number;
}

export interface SchedulerScaleResult {
  rows: SchedulerScaleRow[];
  skipped: string[];
}

const silent = pino({ level: 'silent' });

async function measureSize(database: Database, kind: 'pglite' | 'postgres', active: number, limits: { drainBudgetMs: number; maxSample: number; allDueUpTo: number }): Promise<SchedulerScaleRow> {
  const { drainBudgetMs, maxSample, allDueUpTo } = limits;
  const config = benchConfig({ services: active });
  const seeded = await seedActiveReleases(database.db, config, active, { nextTick: { kind: 'never' } });
  const clock = new ManualClock(seeded.now);
  const engine = createEngine({ db: database.db, config, clock, ports: fakePorts(), logger: silent });
  const now = seeded.now;
  await database.db.execute(sql`ANALYZE`);

  const idle: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const start = process.hrtime.bigint();
    const handled = await engine.tick(now);
    idle.push(elapsedMs(start));
    if (handled !== 0) throw new Error(`idle tick handled ${handled} releases`);
  }

  // 1% of the active releases due in a tick.
  const steadyDue = Math.max(1, Math.round(active / 100));
  // A tick over thousands of due releases can take minutes when each costs a lot: time a sample
  // and scale it up (said so in the table).
  const sample = Math.min(steadyDue, maxSample);
  const steady: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    await database.db.execute(sql`UPDATE releases SET next_tick_at = ${now.toISOString()}::timestamptz WHERE id IN (SELECT id FROM releases WHERE status NOT IN ('succeeded','rolled_back','aborted') ORDER BY random() LIMIT ${sample})`);
    const start = process.hrtime.bigint();
    const handled = await engine.tick(now);
    steady.push(elapsedMs(start) / handled);
    if (handled < sample) throw new Error(`steady tick handled ${handled} of ${sample}`);
    // Each ticked release asked for a measurement; push it back out of the way.
    await database.db.execute(sql`UPDATE releases SET next_tick_at = ${new Date(now.getTime() + 86_400_000).toISOString()}::timestamptz`);
  }
  const steadyPerRelease = percentile(steady, 50);

  let firstMs = Number.NaN;
  let firstHandled = 0;
  let drained = 0;
  let drainMs = Number.NaN;
  if (active <= allDueUpTo) {
    await database.db.execute(sql`UPDATE releases SET next_tick_at = ${now.toISOString()}::timestamptz WHERE status NOT IN ('succeeded','rolled_back','aborted')`);
    const firstStart = process.hrtime.bigint();
    firstHandled = await engine.tick(now);
    firstMs = elapsedMs(firstStart);
    drained = firstHandled;
    const drainStart = process.hrtime.bigint();
    while (drained < active && elapsedMs(drainStart) < drainBudgetMs) {
      const handled = await engine.tick(now);
      if (handled === 0) break;
      drained += handled;
    }
    drainMs = firstMs + elapsedMs(drainStart);
  }
  await engine.stop();
  return {
    database: kind,
    active,
    idleTickMs: percentile(idle, 50),
    steadyDue,
    steadySample: sample,
    steadyTickMs: steadyPerRelease * steadyDue,
    allDueFirstTickMs: firstMs,
    allDueFirstTickHandled: firstHandled,
    perReleaseMs: steadyPerRelease,
    drained,
    drainMs,
  };
}

export async function runSchedulerScale(options: SchedulerScaleOptions = {}): Promise<SchedulerScaleResult> {
  const sizes = options.sizes ?? [100, 1_000, 10_000];
  const kinds = options.databases ?? ['pglite', 'postgres'];
  const adminUrl = options.postgresAdminUrl ?? BENCH_POSTGRES_ADMIN_URL;
  const limits = { drainBudgetMs: options.drainBudgetMs ?? 60_000, maxSample: options.maxSample ?? 100, allDueUpTo: options.allDueUpTo ?? 1_000 };
  const rows: SchedulerScaleRow[] = [];
  const skipped: string[] = [];
  for (const kind of kinds) {
    if (kind === 'postgres' && !(await postgresAvailable(adminUrl))) {
      skipped.push(`postgres: no server at ${adminUrl}`);
      continue;
    }
    for (const active of sizes) {
      if (kind === 'pglite') {
        const database = await openBenchPglite();
        try {
          rows.push(await measureSize(database, kind, active, limits));
        } finally {
          await database.close();
        }
      } else {
        const scratch = await openScratchPostgres(adminUrl);
        try {
          rows.push(await measureSize(scratch.database, kind, active, limits));
        } finally {
          await scratch.close();
        }
      }
      process.stderr.write(`  scheduler-scale: ${kind} ${active} done\n`);
    }
  }
  return { rows, skipped };
}

export function formatSchedulerScale(result: SchedulerScaleResult): string {
  const lines: string[] = [];
  lines.push(
    table(
      ['database', 'active releases', 'idle tick (p50 of 5)', 'cost per due release (p50 of 3 ticks)', 'steady tick: due', 'steady tick', 'all due: first tick (releases)', 'all due: drain time (releases)'],
      result.rows.map((row) => [
        row.database,
        row.active.toLocaleString('en-US'),
        ms(row.idleTickMs),
        ms(row.perReleaseMs, 2),
        row.steadyDue,
        row.steadySample < row.steadyDue ? `${ms(row.steadyTickMs, 0)} (scaled from ${row.steadySample} timed)` : ms(row.steadyTickMs),
        row.allDueFirstTickHandled > 0 ? `${ms(row.allDueFirstTickMs, 0)} (${row.allDueFirstTickHandled})` : `not run (≈ ${seconds(row.perReleaseMs * Math.min(500, row.active))} for 500)`,
        row.allDueFirstTickHandled > 0 ? `${seconds(row.drainMs)} (${row.drained.toLocaleString('en-US')})` : 'not run',
      ]),
    ),
  );
  for (const note of result.skipped) lines.push('', `Skipped: ${note}.`);
  const biggest = result.rows.filter((row) => row.active === 10_000);
  if (biggest.length > 0) {
    lines.push('');
    for (const row of biggest) {
      lines.push(`- Goal "10,000 active releases, 1% due, tick ≤ 200 ms" on ${row.database}: steady tick (${row.steadyDue} due) ${ms(row.steadyTickMs, 0)} → ${verdict(row.steadyTickMs <= 200)}; idle tick ${ms(row.idleTickMs)}.`);
    }
  }
  // Growth: how the per-release cost moves with the number of active releases.
  for (const kind of ['pglite', 'postgres'] as const) {
    const series = result.rows.filter((row) => row.database === kind).sort((a, b) => a.active - b.active);
    if (series.length >= 2) {
      const first = series[0]!;
      const last = series.at(-1)!;
      lines.push(
        `- Growth on ${kind}: per-release tick cost ${ms(first.perReleaseMs, 2)} at ${first.active.toLocaleString('en-US')} → ${ms(last.perReleaseMs, 2)} at ${last.active.toLocaleString('en-US')} (×${(last.perReleaseMs / first.perReleaseMs).toFixed(1)} for ×${last.active / first.active} releases); idle tick ${ms(first.idleTickMs)} → ${ms(last.idleTickMs)}.`,
      );
    }
  }
  return lines.join('\n');
}
