import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../store/db.js';
import type { RecordMergeInput, VersionSets } from '../ports/version-sets.js';
import { versionSetMembers, versionSets, versions } from '../store/schema/index.js';

/** Serialises minting across replicas, so "the latest set" a new one derives from is never raced. */
const MINT_LOCK_KEY = 7_146_233_102;

export interface VersionSetSnapshot {
  id: number;
  versions: Record<string, string>;
}

export async function lockMinting(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${MINT_LOCK_KEY})`);
}

export async function latestVersionSet(db: DbOrTx): Promise<VersionSetSnapshot | undefined> {
  const [latest] = await db.select({ id: versionSets.id }).from(versionSets).orderBy(desc(versionSets.id)).limit(1);
  return latest ? versionSetById(db, latest.id) : undefined;
}

export async function versionSetById(db: DbOrTx, id: number): Promise<VersionSetSnapshot | undefined> {
  const [set] = await db.select({ id: versionSets.id }).from(versionSets).where(eq(versionSets.id, id));
  if (!set) return undefined;
  const members = await db.select().from(versionSetMembers).where(eq(versionSetMembers.versionSetId, id)).orderBy(asc(versionSetMembers.service));
  return { id, versions: Object.fromEntries(members.map((member) => [member.service, member.version])) };
}

/**
 * Mints `base` with one service's version replaced — or answers the set already minted for that
 * change (a retried merge webhook, a double-clicked deploy mint nothing twice). Call inside a
 * transaction holding lockMinting.
 */
export async function mintWithVersion(
  tx: DbOrTx,
  change: { base: VersionSetSnapshot | undefined; service: string; version: string; source: 'merge' | 'deploy' | 'supersede'; commitSha?: string; pullNumber?: number; repo?: string },
): Promise<VersionSetSnapshot> {
  await tx
    .insert(versions)
    .values({ service: change.service, version: change.version, commitSha: change.commitSha ?? null, pullNumber: change.pullNumber ?? null, repo: change.repo ?? null })
    .onConflictDoNothing();
  if (change.base && change.base.versions[change.service] === change.version) return change.base;
  const [set] = await tx
    .insert(versionSets)
    .values({ parentId: change.base?.id ?? null, source: change.source, changedService: change.service })
    .returning({ id: versionSets.id });
  const next = { ...(change.base?.versions ?? {}), [change.service]: change.version };
  await tx.insert(versionSetMembers).values(Object.entries(next).map(([service, version]) => ({ versionSetId: set!.id, service, version })));
  return { id: set!.id, versions: next };
}

/** Mints a set with exactly these versions (e.g. a whole shop at once), derived from the latest. */
export async function mintVersionSet(db: Db, members: Record<string, string>, source: 'merge' | 'deploy' = 'deploy'): Promise<VersionSetSnapshot> {
  return db.transaction(async (tx) => {
    await lockMinting(tx);
    const base = await latestVersionSet(tx);
    const [set] = await tx.insert(versionSets).values({ parentId: base?.id ?? null, source, changedService: null }).returning({ id: versionSets.id });
    const next = { ...(base?.versions ?? {}), ...members };
    for (const [service, version] of Object.entries(members)) await tx.insert(versions).values({ service, version }).onConflictDoNothing();
    await tx.insert(versionSetMembers).values(Object.entries(next).map(([service, version]) => ({ versionSetId: set!.id, service, version })));
    return { id: set!.id, versions: next };
  });
}

/** The merge queue's port: each merge mints the latest set with that service's version replaced. */
export class DrizzleVersionSets implements VersionSets {
  constructor(private readonly db: Db) {}

  async recordMerge(input: RecordMergeInput): Promise<{ versionSetId: number }> {
    return this.db.transaction(async (tx) => {
      await lockMinting(tx);
      // A replayed merge answers the set its first recording minted.
      const [already] = await tx
        .select({ id: versionSets.id })
        .from(versionSets)
        .innerJoin(versionSetMembers, eq(versionSetMembers.versionSetId, versionSets.id))
        .where(and(eq(versionSets.source, 'merge'), eq(versionSets.changedService, input.service), eq(versionSetMembers.service, input.service), eq(versionSetMembers.version, input.version)))
        .orderBy(asc(versionSets.id))
        .limit(1);
      if (already) return { versionSetId: already.id };
      const base = await latestVersionSet(tx);
      const minted = await mintWithVersion(tx, { base, ...input, source: 'merge' });
      return { versionSetId: minted.id };
    });
  }
}
