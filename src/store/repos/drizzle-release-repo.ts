import { and, asc, desc, eq, inArray, isNull, lte, notInArray, or, gt, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { DbOrTx } from '../db.js';
import { preparedRows, preparedStatement } from '../prepared.js';
import type { ReleaseEventData, ReleaseState, ReleaseStatus } from '../../domain/release/types.js';
import type { ServingMap } from '../../domain/release/plan.js';
import { FINISHED_STATUSES, servingMapOf, transitionEvent, weightsRecorded, type InfraSetsToRead, type WeightsChange } from '../transition-rows.js';
import { environmentLocks, freezes, infraSets, releaseCards, releaseEvents, releases, type InfraSetRow } from '../schema/index.js';

/**
 * The release engine's rows: releases (state as jsonb), their audit log, infra-sets, freezes and
 * locks. Functions over `DbOrTx` so a service composes them inside one transaction.
 */

export type ReleaseRow = typeof releases.$inferSelect;

export async function lockRelease(tx: DbOrTx, id: string): Promise<ReleaseRow | undefined> {
  const [row] = await tx.select().from(releases).where(eq(releases.id, id)).for('update');
  return row;
}

const releaseById = preparedStatement((db) => db.select().from(releases).where(eq(releases.id, sql.placeholder('id'))).prepare('dd_release_by_id'));

export async function getRelease(db: DbOrTx, id: string): Promise<ReleaseRow | undefined> {
  const [row] = await releaseById(db).execute({ id });
  return row;
}

export async function listActiveReleases(db: DbOrTx): Promise<ReleaseRow[]> {
  return db.select().from(releases).where(notInArray(releases.status, [...FINISHED_STATUSES])).orderBy(asc(releases.createdAt));
}

/**
 * Claims up to `limit` releases whose timer is due, skipping any another replica holds, in timer
 * order after `after` (keyset: no list of ids already seen grows with the tick).
 */
export async function claimDueReleases(tx: DbOrTx, now: Date, limit: number, after: { nextTickAt: Date; id: string } | null): Promise<ReleaseRow[]> {
  return tx
    .select()
    .from(releases)
    .where(
      and(
        notInArray(releases.status, [...FINISHED_STATUSES]),
        lte(releases.nextTickAt, now),
        after ? sql`(${releases.nextTickAt}, ${releases.id}) > (${after.nextTickAt.toISOString()}::timestamptz, ${after.id})` : undefined,
      ),
    )
    .orderBy(asc(releases.nextTickAt), asc(releases.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function insertRelease(
  tx: DbOrTx,
  row: { id: string; status: ReleaseStatus; environment: string; versionSetId: number; requester: string; state: ReleaseState; nextTickAt: Date | null; now: Date },
): Promise<void> {
  await tx.insert(releases).values({
    id: row.id,
    status: row.status,
    environment: row.environment,
    versionSetId: row.versionSetId,
    requester: row.requester,
    state: row.state,
    nextTickAt: row.nextTickAt,
    version: 1,
    createdAt: row.now,
    updatedAt: row.now,
  });
}

/** Updates the release if it is still at `expectedVersion`; false when another transition got there first. */
export async function updateRelease(
  tx: DbOrTx,
  id: string,
  expectedVersion: number,
  change: { status: ReleaseStatus; state: ReleaseState; nextTickAt: Date | null; versionSetId: number; now: Date; bump: boolean },
): Promise<boolean> {
  const nextVersion = change.bump ? expectedVersion + 1 : expectedVersion;
  const updated = await tx
    .update(releases)
    .set({ status: change.status, state: change.state, nextTickAt: change.nextTickAt, versionSetId: change.versionSetId, version: nextVersion, updatedAt: change.now })
    .where(and(eq(releases.id, id), eq(releases.version, expectedVersion)))
    .returning({ id: releases.id });
  return updated.length === 1;
}

export async function appendTransition(
  tx: DbOrTx,
  entry: { releaseId: string; version: number; events: ReleaseEventData[]; input: string; actor: string | null; at: Date },
): Promise<void> {
  const event = transitionEvent(entry.releaseId, entry.version, entry.events, { input: entry.input, actor: entry.actor, now: entry.at });
  await tx.insert(releaseEvents).values({ ...event, kind: 'transition' });
}

const insertRefusal = preparedStatement((db) =>
  db
    .insert(releaseEvents)
    .values({
      releaseId: sql.placeholder('releaseId'),
      kind: 'refusal',
      version: sql.placeholder('version'),
      type: sql.placeholder('type'),
      actor: sql.placeholder('actor'),
      message: sql.placeholder('message'),
      data: sql.placeholder('data'),
      at: sql.placeholder('at'),
    })
    .prepare('dd_insert_refusal'),
);

export async function appendRefusal(
  tx: DbOrTx,
  entry: { releaseId: string | null; version: number; input: string; actor: string | null; code: string; message: string; at: Date; data?: Record<string, unknown> },
): Promise<void> {
  await insertRefusal(tx).execute({
    releaseId: entry.releaseId,
    version: entry.version,
    type: entry.input,
    actor: entry.actor,
    message: entry.message,
    data: { ...entry.data, code: entry.code },
    at: entry.at,
  });
}

/**
 * An environment-wide input that belongs to no release (a freeze, a lock, a /rollback outside a
 * release, stopping the line), recorded in the same audit log.
 */
export async function appendOperatorEvent(
  tx: DbOrTx,
  entry: { type: string; actor: string; message: string; at: Date; data: Record<string, unknown> & { environment?: string; service?: string } },
): Promise<void> {
  await tx.insert(releaseEvents).values({ releaseId: null, kind: 'operator', version: 0, type: entry.type, actor: entry.actor, message: entry.message, data: entry.data, at: entry.at });
}

export async function releaseEventsOf(db: DbOrTx, releaseId: string) {
  return db.select().from(releaseEvents).where(eq(releaseEvents.releaseId, releaseId)).orderBy(asc(releaseEvents.id));
}

// ── Infra-sets ───────────────────────────────────────────────────────────────────────────────

/** The sets a transition's effects move (`infraSetsToRead`): those not retired of each target, and the ones named. */
export async function infraSetsToMove(db: DbOrTx, read: InfraSetsToRead): Promise<InfraSetRow[]> {
  const ofTargets = read.targets.map((target) => and(eq(infraSets.service, target.service), eq(infraSets.environment, target.environment)));
  const live = and(or(...ofTargets), notInArray(infraSets.state, ['retired']));
  return db
    .select()
    .from(infraSets)
    .where(read.ids.length > 0 ? or(live, inArray(infraSets.id, read.ids)) : live)
    .orderBy(asc(infraSets.id));
}

export async function infraSetsOf(db: DbOrTx, service: string, environment: string): Promise<InfraSetRow[]> {
  return db.select().from(infraSets).where(and(eq(infraSets.service, service), eq(infraSets.environment, environment))).orderBy(desc(infraSets.createdAt), desc(infraSets.id));
}

export async function getInfraSet(db: DbOrTx, id: string): Promise<InfraSetRow | undefined> {
  const [row] = await db.select().from(infraSets).where(eq(infraSets.id, id));
  return row;
}

/** Applies confirmed traffic to the rows (`weightsRecorded`); answers the discarded ids that must be torn down. */
export async function recordWeights(tx: DbOrTx, change: WeightsChange): Promise<string[]> {
  const rows = await tx
    .select()
    .from(infraSets)
    .where(and(eq(infraSets.service, change.service), eq(infraSets.environment, change.environment), notInArray(infraSets.state, ['retired'])));
  const { moves, retire } = weightsRecorded(rows, change);
  for (const { id, ...move } of moves) await tx.update(infraSets).set(move).where(eq(infraSets.id, id));
  return retire;
}

export async function warmInfraSets(db: DbOrTx, service: string, environment: string): Promise<InfraSetRow[]> {
  return db
    .select()
    .from(infraSets)
    .where(and(eq(infraSets.service, service), eq(infraSets.environment, environment), eq(infraSets.state, 'warm')))
    .orderBy(desc(infraSets.warmedAt), desc(infraSets.id));
}

/** The sets a release minted or moved out of traffic that are still draining (what its card lists). */
export async function drainingInfraSets(db: DbOrTx, releaseId: string): Promise<InfraSetRow[]> {
  return db.select().from(infraSets).where(and(eq(infraSets.state, 'draining'), eq(infraSets.releaseId, releaseId))).orderBy(infraSets.id);
}

export async function retireInfraSets(tx: DbOrTx, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await tx.update(infraSets).set({ state: 'retired', weight: 0, retiredAt: now }).where(inArray(infraSets.id, [...ids]));
}

/**
 * What serves now: per environment and service, the serving infra-set with the most traffic, and
 * every other infra-set there that is not retired (serving lighter or warm).
 */
export async function servingMap(
  db: DbOrTx,
  environmentNames: readonly string[],
  services?: readonly string[],
): Promise<ServingMap> {
  if (environmentNames.length === 0 || services?.length === 0) return {};
  const rows = await db
    .select()
    .from(infraSets)
    .where(
      and(
        inArray(infraSets.environment, [...environmentNames]),
        inArray(infraSets.state, ['serving', 'warm']),
        services ? inArray(infraSets.service, [...services]) : undefined,
      ),
    )
    .orderBy(asc(infraSets.weight), asc(infraSets.createdAt));
  return servingMapOf(rows);
}

// ── Freezes, locks, cards ────────────────────────────────────────────────────────────────────

export async function activeFreezes(db: DbOrTx, now: Date, environment?: string) {
  return db
    .select()
    .from(freezes)
    .where(
      and(
        environment ? eq(freezes.environment, environment) : undefined,
        isNull(freezes.liftedAt),
        lte(freezes.from, now),
        or(isNull(freezes.until), gt(freezes.until, now)),
      ),
    )
    .orderBy(asc(freezes.id));
}

export async function insertFreeze(tx: DbOrTx, row: { environment: string; reason: string; from: Date; until: Date | null; createdBy: string }) {
  const [inserted] = await tx.insert(freezes).values(row).returning();
  return inserted!;
}

export async function liftFreezes(tx: DbOrTx, environment: string, by: string, now: Date): Promise<number> {
  const lifted = await tx
    .update(freezes)
    .set({ liftedAt: now, liftedBy: by })
    .where(and(eq(freezes.environment, environment), isNull(freezes.liftedAt), or(isNull(freezes.until), gt(freezes.until, now))))
    .returning({ id: freezes.id });
  return lifted.length;
}

export async function locksOf(db: DbOrTx) {
  return db.select().from(environmentLocks);
}

export async function getLock(db: DbOrTx, environment: string) {
  const [row] = await db.select().from(environmentLocks).where(eq(environmentLocks.environment, environment));
  return row;
}

export async function takeLock(tx: DbOrTx, row: { environment: string; holder: string; reason: string | null; at: Date }): Promise<boolean> {
  const inserted = await tx.insert(environmentLocks).values(row).onConflictDoNothing().returning();
  return inserted.length === 1;
}

export async function releaseLock(tx: DbOrTx, environment: string): Promise<boolean> {
  const deleted = await tx.delete(environmentLocks).where(eq(environmentLocks.environment, environment)).returning();
  return deleted.length === 1;
}

export async function getCard(db: DbOrTx, releaseId: string) {
  const [row] = await db.select().from(releaseCards).where(eq(releaseCards.releaseId, releaseId));
  return row;
}

export async function saveCard(tx: DbOrTx, row: { releaseId: string; channel: string; ts: string; renderedVersion: number; now: Date }): Promise<void> {
  await tx
    .insert(releaseCards)
    .values({ releaseId: row.releaseId, channel: row.channel, ts: row.ts, renderedVersion: row.renderedVersion, updatedAt: row.now })
    .onConflictDoUpdate({
      target: releaseCards.releaseId,
      set: { channel: row.channel, ts: row.ts, renderedVersion: sql`GREATEST(${releaseCards.renderedVersion}, ${row.renderedVersion})`, updatedAt: row.now },
    });
}

/** Lifting a freeze or a lock is not an input to any release: wake the waiting ones to recheck now. */
export async function wakeWaitingReleases(tx: DbOrTx, now: Date): Promise<void> {
  await tx.update(releases).set({ nextTickAt: now }).where(eq(releases.status, 'waiting'));
}

/** One row of the world read: an ad-hoc freeze in force, a lock, or a serving/warm infra-set (snake_case JSON). */
export interface WorldSqlRow {
  kind: 0 | 1 | 2;
  data: Record<string, string | number | null>;
}

const dateOrNull = (value: string | number | null | undefined): Date | null => (value === null || value === undefined ? null : new Date(value));

/**
 * The rows of the world read, unordered (`ORDER BY 1, 3, 4` orders them: kind, then the serving
 * sets by weight and age): ad-hoc freezes in force at `at`, every environment lock, and the serving
 * and warm sets of `environments` (narrowed to `services` when given). The values are bound as
 * parameters (placeholders for the prepared statement, params otherwise) and the lists as arrays,
 * so the text is the same for every scope.
 */
function worldOf(at: SQLWrapper, environments: SQLWrapper, services: SQLWrapper | null): SQL {
  return sql`SELECT 0 AS kind, row_to_json(f) AS data, f.id::float8 AS s1, NULL::timestamptz AS s2 FROM freezes f
          WHERE f.lifted_at IS NULL AND f."from" <= ${at}::timestamptz AND (f.until IS NULL OR f.until > ${at}::timestamptz)
        UNION ALL
        SELECT 1, row_to_json(l), NULL, NULL FROM environment_locks l
        UNION ALL
        ${services ? servingOfServices(environments, services) : sql`SELECT 2, row_to_json(i), i.weight::float8, i.created_at FROM infra_sets i
          WHERE i.state IN ('serving', 'warm') AND i.environment = ANY(${environments}::text[])`}`;
}

/**
 * The serving and warm sets of a few services, looked up service by service in the index on
 * (service, environment, state), whatever the planner knows of the table. Written as one filter
 * over it, with the lists known only when it runs (a prepared statement's parameters, or read off
 * the release in SQL), the plan rested on the table's statistics: before autovacuum had analyzed a
 * freshly filled table Postgres scanned every infra-set, 0.75 ms with 2,000 of them (the ack
 * bench's seeded fleet, for its whole run), and more as retired ones accumulate. `OFFSET 0` keeps
 * the lateral lookup from being folded back into that join.
 */
function servingOfServices(environments: SQLWrapper, services: SQLWrapper): SQL {
  return sql`SELECT 2, row_to_json(i), i.weight::float8, i.created_at FROM (SELECT DISTINCT unnest(${services}::text[]) AS service) AS scoped
          CROSS JOIN LATERAL (SELECT * FROM infra_sets i
            WHERE i.service = scoped.service AND i.state IN ('serving', 'warm') AND i.environment = ANY(${environments}::text[]) OFFSET 0) AS i`;
}

/** The world read's rows as a subquery (App Home's read embeds it). */
export function worldSql(now: Date, environmentNames: readonly string[], services?: readonly string[]): SQL {
  return worldOf(sql.param(now.toISOString()), sql.param([...environmentNames]), services ? sql.param([...services]) : null);
}

/** The world's records from its rows, in the order `worldSql` puts them. */
export function worldRecordsOf(rows: readonly WorldSqlRow[]): { freezes: FreezeRow[]; locks: LockRow[]; serving: ServingMap } {
  const freezeRows: FreezeRow[] = [];
  const lockRows: LockRow[] = [];
  const sets: InfraSetRow[] = [];
  for (const { kind, data } of rows) {
    if (Number(kind) === 0) {
      freezeRows.push({
        id: Number(data.id),
        environment: String(data.environment),
        reason: String(data.reason),
        from: new Date(data.from!),
        until: dateOrNull(data.until),
        createdBy: String(data.created_by),
        liftedAt: dateOrNull(data.lifted_at),
        liftedBy: data.lifted_by === null || data.lifted_by === undefined ? null : String(data.lifted_by),
      });
    } else if (Number(kind) === 1) {
      lockRows.push({ environment: String(data.environment), holder: String(data.holder), reason: data.reason === null || data.reason === undefined ? null : String(data.reason), at: new Date(data.at!) });
    } else {
      sets.push({
        id: String(data.id),
        service: String(data.service),
        environment: String(data.environment),
        version: String(data.version),
        releaseId: data.release_id === null || data.release_id === undefined ? null : String(data.release_id),
        state: String(data.state) as InfraSetRow['state'],
        weight: Number(data.weight),
        createdAt: new Date(data.created_at!),
        warmedAt: dateOrNull(data.warmed_at),
        retiredAt: dateOrNull(data.retired_at),
      });
    }
  }
  return { freezes: freezeRows, locks: lockRows, serving: servingMapOf(sets) };
}

/**
 * The world read, prepared: every input reads it, and Postgres then parses and plans it once per
 * connection. Built as text with IN lists it cost a parse and a plan each time, which under load
 * halved the commands a replica answered. Scoped to services, or to every service of the
 * environments: two statements, so each keeps a plan that uses the index it can.
 */
const placeholders = { at: sql.placeholder('at'), environments: sql.placeholder('environments'), services: sql.placeholder('services') };
const worldOfServices = preparedRows<WorldSqlRow>('dd_world_of_services', sql`${worldOf(placeholders.at, placeholders.environments, placeholders.services)} ORDER BY 1, 3, 4`);
const worldOfEnvironments = preparedRows<WorldSqlRow>('dd_world', sql`${worldOf(placeholders.at, placeholders.environments, null)} ORDER BY 1, 3, 4`);

/**
 * The environment-wide facts in one statement: ad-hoc freezes in force at `now` (oldest first),
 * every environment lock, and the serving map of `environmentNames` (narrowed to `services` when given).
 */
export async function worldRows(
  db: DbOrTx,
  now: Date,
  environmentNames: readonly string[],
  services?: readonly string[],
): Promise<{ freezes: FreezeRow[]; locks: LockRow[]; serving: ServingMap }> {
  const values = { at: now.toISOString(), environments: [...environmentNames] };
  const rows = services ? await worldOfServices(db).execute({ ...values, services: [...services] }) : await worldOfEnvironments(db).execute(values);
  return worldRecordsOf(rows);
}

/** A release row as JSON (`row_to_json`, `json_build_object`): snake_case, times as ISO text. */
export interface ReleaseJson {
  id: string;
  status: ReleaseStatus;
  environment: string;
  version_set_id: number;
  requester: string;
  state: ReleaseState;
  next_tick_at: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export function releaseOfJson(row: ReleaseJson): ReleaseRow {
  return {
    id: row.id,
    status: row.status,
    environment: row.environment,
    versionSetId: Number(row.version_set_id),
    requester: row.requester,
    state: row.state,
    nextTickAt: row.next_tick_at === null ? null : new Date(row.next_tick_at),
    version: Number(row.version),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

type ReleaseSqlRow = { kind: 3; data: ReleaseJson };
type ReleaseWithWorldSqlRow = WorldSqlRow | ReleaseSqlRow;
// Kinds come back as numbers or numeric text, depending on the driver.
const isReleaseRow = (row: ReleaseWithWorldSqlRow): row is ReleaseSqlRow => Number(row.kind) === 3;
const isWorldRow = (row: ReleaseWithWorldSqlRow): row is WorldSqlRow => Number(row.kind) !== 3;

/**
 * A release and its world in one statement: the scope is read off the row in SQL — its path, the
 * services it ships and the providers `dependents`/`providers` pair them with (the config's
 * dependsOn) — as `servicesConcerned` does, and the world rows come ahead of the release's (kind 3).
 */
const releaseWithWorld = preparedRows<ReleaseWithWorldSqlRow>(
  'dd_release_with_world',
  sql`WITH r AS (SELECT * FROM releases WHERE id = ${sql.placeholder('id')}),
      shipped AS (SELECT jsonb_object_keys(r.state->'plan'->'versions') AS service FROM r),
      scope AS (SELECT
        ARRAY(SELECT jsonb_array_elements_text(r.state->'plan'->'path') FROM r) AS environments,
        ARRAY(SELECT service FROM shipped
              UNION SELECT d.provider FROM shipped JOIN unnest(${sql.placeholder('dependents')}::text[], ${sql.placeholder('providers')}::text[]) AS d(dependent, provider) ON d.dependent = shipped.service) AS services)
    SELECT * FROM (${worldOf(sql.placeholder('at'), sql`(SELECT environments FROM scope)`, sql`(SELECT services FROM scope)`)}) AS world WHERE EXISTS (SELECT 1 FROM r)
    UNION ALL
    SELECT 3, row_to_json(r), NULL, NULL FROM r
    ORDER BY 1, 3, 4`,
);

/** Each service's providers as two parallel lists (dependent, provider), the parameters of `releaseWithWorldRows`. */
export interface DependencyPairs {
  dependents: string[];
  providers: string[];
}

export async function releaseWithWorldRows(db: DbOrTx, id: string, now: Date, dependencies: DependencyPairs): Promise<{ row: ReleaseRow; world: ReturnType<typeof worldRecordsOf> } | undefined> {
  const rows = await releaseWithWorld(db).execute({ id, at: now.toISOString(), ...dependencies });
  const last = rows.at(-1);
  if (!last || !isReleaseRow(last)) return undefined;
  return {
    row: releaseOfJson(last.data),
    world: worldRecordsOf(rows.filter(isWorldRow)),
  };
}

export type FreezeRow = typeof freezes.$inferSelect;
export type LockRow = typeof environmentLocks.$inferSelect;
