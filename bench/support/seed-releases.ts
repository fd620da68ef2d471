import { sql } from 'drizzle-orm';
import type { DeliveryConfig } from '../../src/config/delivery-schema.js';
import { queryRows, type Db } from '../../src/store/db.js';
import { drive, engineHarness, seedServing } from '../../test/support/fakes/engine-harness.js';
import { BENCH_DEVELOPER, BENCH_ENVIRONMENT, benchServiceName } from './bench-config.js';

/**
 * Puts many active releases in the store quickly: one release of the first service is driven for
 * real through the engine (in-memory ports, virtual clock) to its canary bake, then its row and
 * infra-sets are copied in bulk with SQL, each copy for another service. Every copy is a release the
 * engine could have produced, at the same point of its plan.
 */

export interface SeededReleases {
  ids: string[];
  /** The release the copies were made from. */
  templateId: string;
  /** Version of the stored rows (what a card's buttons carry). */
  version: number;
  /** The virtual time the template reached its bake: copies are due relative to it. */
  now: Date;
}

export type NextTick = { kind: 'now' } | { kind: 'never' } | { kind: 'spread'; overMs: number } | { kind: 'at'; at: Date };

/** The virtual start of seeded releases: a fixed Tuesday morning. */
export const SEED_START = '2026-11-17T15:00:00.000Z';

export async function seedActiveReleases(
  db: Db,
  config: DeliveryConfig,
  count: number,
  options: { start?: Date | string; nextTick: NextTick; firstService?: number },
): Promise<SeededReleases> {
  const first = options.firstService ?? 0;
  const templateService = benchServiceName(first);
  const start = new Date(options.start ?? SEED_START);
  const h = engineHarness(db, config, start.toISOString());
  // Every service serves v1 from a seeded infra-set: the copies' rollback target.
  await bulkSeedServing(db, first, count, new Date(start.getTime() - 86_400_000));
  const outcome = await h.engine.releases.act({
    verb: 'deploy',
    actor: { userId: BENCH_DEVELOPER, userGroupIds: [] },
    target: { kind: 'service', service: templateService, version: 'v2' },
    environment: BENCH_ENVIRONMENT,
  });
  if (outcome.kind !== 'accepted') throw new Error(`template deploy refused: ${outcome.code} ${outcome.message}`);
  const templateId = outcome.view.id;
  const baking = await drive(h, async () => {
    const view = await h.engine.releases.status(templateId);
    return view?.environments[0]?.services[0]?.stages[0]?.state === 'running';
  });
  if (!baking) throw new Error('the template release never reached its canary bake');
  await h.engine.stop();
  // The template's own pending effects (card, thread lines) stay; copies start clean.
  const now = h.clock.now();

  if (count > 1) {
    const nextTick =
      options.nextTick.kind === 'now'
        ? sql`${now.toISOString()}::timestamptz`
        : options.nextTick.kind === 'never'
          ? sql`${new Date(now.getTime() + 365 * 86_400_000).toISOString()}::timestamptz`
          : options.nextTick.kind === 'at'
            ? sql`${options.nextTick.at.toISOString()}::timestamptz`
            : sql`${now.toISOString()}::timestamptz + (random() * ${options.nextTick.overMs} || ' milliseconds')::interval`;
    const svc = sql`'svc-' || lpad((${first} + g)::text, 5, '0')`;
    const rid = sql`${templateId} || 'x' || g::text`;
    await db.execute(sql`
      INSERT INTO releases (id, status, environment, version_set_id, requester, state, next_tick_at, version, created_at, updated_at)
      SELECT ${rid}, r.status, r.environment, r.version_set_id, r.requester,
             replace(replace(r.state::text, ${templateId}, ${rid}), ${templateService}, ${svc})::jsonb,
             ${nextTick}, r.version, r.created_at, r.updated_at
      FROM releases r, generate_series(1, ${count - 1}) g
      WHERE r.id = ${templateId}`);
    await db.execute(sql`
      INSERT INTO infra_sets (id, service, environment, version, release_id, state, weight, created_at, warmed_at, retired_at)
      SELECT replace(replace(i.id, ${templateId}, ${rid}), ${templateService}, ${svc}), ${svc}, i.environment, i.version,
             CASE WHEN i.release_id IS NULL THEN NULL ELSE ${rid} END, i.state, i.weight, i.created_at, i.warmed_at, i.retired_at
      FROM infra_sets i, generate_series(1, ${count - 1}) g
      WHERE i.service = ${templateService} AND i.id NOT LIKE 'is-seed-%'`);
  }
  const rows = await queryRows<{ id: string; version: number }>(db, sql`SELECT id, version FROM releases WHERE id = ${templateId} OR id LIKE ${`${templateId}x%`}`);
  return { ids: rows.map((row) => row.id), templateId, version: rows[0]!.version, now };
}

/** Service i serves v1 at 100% from `is-seed-<env>-<service>-v1`, for every service of the range. */
async function bulkSeedServing(db: Db, first: number, count: number, at: Date): Promise<void> {
  if (count === 1) {
    await seedServing(db, [{ environment: BENCH_ENVIRONMENT, service: benchServiceName(first), version: 'v1' }], at);
    return;
  }
  await db.execute(sql`
    INSERT INTO infra_sets (id, service, environment, version, release_id, state, weight, created_at)
    SELECT 'is-seed-' || ${BENCH_ENVIRONMENT} || '-svc-' || lpad((${first} + g)::text, 5, '0') || '-v1',
           'svc-' || lpad((${first} + g)::text, 5, '0'), ${BENCH_ENVIRONMENT}, 'v1', NULL, 'serving', 100, ${at.toISOString()}::timestamptz
    FROM generate_series(0, ${count - 1}) g`);
}
