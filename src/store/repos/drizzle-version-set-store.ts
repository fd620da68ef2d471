import { and, asc, eq, sql } from 'drizzle-orm';
import type { VersionMint, VersionSetSnapshot, VersionSetStore } from '../../ports/version-set-store.js';
import { queryRows, type Db, type DbOrTx } from '../db.js';
import { versionSetMembers, versionSets, versions } from '../schema/index.js';
import type { VersionHistory } from '../../domain/release/what-ships.js';
import { lockMinting } from './drizzle-environment-store.js';
import { historyOf, versionHistory, type HistorySqlRow } from './drizzle-version-history.js';

/** Version sets over drizzle: a set row, its members, and the versions they name. */
export class DrizzleVersionSetStore implements VersionSetStore {
  constructor(private readonly db: DbOrTx) {}

  async latest(): Promise<VersionSetSnapshot | undefined> {
    return (await this.withHistory({ latest: true }, [])).set;
  }

  async byId(id: number): Promise<VersionSetSnapshot | undefined> {
    return (await this.withHistory({ id }, [])).set;
  }

  async withHistory(which: { latest: true } | { id: number }, services?: readonly string[]): Promise<{ set: VersionSetSnapshot | undefined; history: VersionHistory }> {
    const chosen = 'id' in which ? sql`SELECT id FROM version_sets WHERE id = ${which.id}` : sql`SELECT id FROM version_sets ORDER BY id DESC LIMIT 1`;
    const wanted = services ? (services.length > 0 ? sql`IN (${sql.join(services.map((service) => sql`${service}`), sql`, `)})` : null) : sql`IN (SELECT m.service FROM version_set_members m, chosen c WHERE m.version_set_id = c.id)`;
    const rows = await queryRows<{ kind: number | string; set_id: number | string | null } & Omit<HistorySqlRow, 'first_set_id'>>(
      this.db,
      sql`WITH chosen AS (${chosen})
          SELECT 0 AS kind, c.id AS set_id, m.service, m.version, NULL::text AS commit_sha, NULL::int AS pull_number, NULL::text AS repo, NULL::text AS title
            FROM chosen c LEFT JOIN version_set_members m ON m.version_set_id = c.id
          ${
            wanted
              ? sql`UNION ALL
          SELECT 1, h.first_set_id, h.service, h.version, v.commit_sha, v.pull_number, v.repo,
            (SELECT e.title FROM merge_queue_entries e
              WHERE e.repo = v.repo AND e.pull_number = v.pull_number AND e.status = 'merged' AND e.title <> ''
              ORDER BY e.id DESC LIMIT 1)
          FROM (SELECT service, version, min(version_set_id) AS first_set_id FROM version_set_members WHERE service ${wanted} GROUP BY service, version) h
          LEFT JOIN versions v ON v.service = h.service AND v.version = h.version`
              : sql``
          }
          ORDER BY 1, 2, 3`,
    );
    let set: VersionSetSnapshot | undefined;
    const history: HistorySqlRow[] = [];
    for (const row of rows) {
      if (Number(row.kind) === 0) {
        set ??= { id: Number(row.set_id), versions: {} };
        if (row.service !== null && row.version !== null) set.versions[row.service] = row.version;
      } else {
        history.push({ ...row, first_set_id: row.set_id ?? 0 });
      }
    }
    return { set, history: historyOf(history) };
  }

  async mintWithVersion(change: VersionMint): Promise<VersionSetSnapshot> {
    if (change.base && change.base.versions[change.service] === change.version) {
      await this.db
        .insert(versions)
        .values({ service: change.service, version: change.version, commitSha: change.commitSha ?? null, pullNumber: change.pullNumber ?? null, repo: change.repo ?? null })
        .onConflictDoNothing();
      return change.base;
    }
    const next = { ...(change.base?.versions ?? {}), [change.service]: change.version };
    // The version, the set and its members in one statement.
    const members = sql.join(Object.entries(next).map(([service, version]) => sql`(${service}, ${version})`), sql`, `);
    const [set] = await queryRows<{ id: number | string }>(
      this.db,
      sql`WITH known AS (INSERT INTO versions (service, version, commit_sha, pull_number, repo)
            VALUES (${change.service}, ${change.version}, ${change.commitSha ?? null}, ${change.pullNumber ?? null}::int, ${change.repo ?? null}) ON CONFLICT DO NOTHING),
          minted AS (INSERT INTO version_sets (parent_id, source, changed_service) VALUES (${change.base?.id ?? null}::int, ${change.source}, ${change.service}) RETURNING id),
          members AS (INSERT INTO version_set_members (version_set_id, service, version) SELECT minted.id, m.service, m.version FROM minted, (VALUES ${members}) AS m(service, version))
          SELECT id FROM minted`,
    );
    return { id: Number(set!.id), versions: next };
  }

  async mergedAs(service: string, version: string): Promise<number | undefined> {
    const [already] = await this.db
      .select({ id: versionSets.id })
      .from(versionSets)
      .innerJoin(versionSetMembers, eq(versionSetMembers.versionSetId, versionSets.id))
      .where(and(eq(versionSets.source, 'merge'), eq(versionSets.changedService, service), eq(versionSetMembers.service, service), eq(versionSetMembers.version, version)))
      .orderBy(asc(versionSets.id))
      .limit(1);
    return already?.id;
  }

  history(services: readonly string[]): Promise<VersionHistory> {
    return versionHistory(this.db, services);
  }
}

/** Mints a set with exactly these versions (e.g. a whole shop at once), derived from the latest (seeding and tests). */
export async function mintVersionSet(db: Db, members: Record<string, string>, source: 'merge' | 'deploy' = 'deploy'): Promise<VersionSetSnapshot> {
  return db.transaction(async (tx) => {
    await lockMinting(tx);
    const base = await new DrizzleVersionSetStore(tx).latest();
    const [set] = await tx.insert(versionSets).values({ parentId: base?.id ?? null, source, changedService: null }).returning({ id: versionSets.id });
    const next = { ...(base?.versions ?? {}), ...members };
    for (const [service, version] of Object.entries(members)) await tx.insert(versions).values({ service, version }).onConflictDoNothing();
    await tx.insert(versionSetMembers).values(Object.entries(next).map(([service, version]) => ({ versionSetId: set!.id, service, version })));
    return { id: set!.id, versions: next };
  });
}

/** The latest version set (tests and tools). */
export function latestVersionSet(db: DbOrTx): Promise<VersionSetSnapshot | undefined> {
  return new DrizzleVersionSetStore(db).latest();
}
