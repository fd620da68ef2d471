import { and, asc, desc, eq } from 'drizzle-orm';
import type { VersionMint, VersionSetSnapshot, VersionSetStore } from '../../ports/version-set-store.js';
import type { Db, DbOrTx } from '../db.js';
import { versionSetMembers, versionSets, versions } from '../schema/index.js';
import type { VersionHistory } from '../../domain/release/what-ships.js';
import { lockMinting } from './drizzle-environment-store.js';
import { versionHistory } from './drizzle-version-history.js';

/** Version sets over drizzle: a set row, its members, and the versions they name. */
export class DrizzleVersionSetStore implements VersionSetStore {
  constructor(private readonly db: DbOrTx) {}

  async latest(): Promise<VersionSetSnapshot | undefined> {
    const [latest] = await this.db.select({ id: versionSets.id }).from(versionSets).orderBy(desc(versionSets.id)).limit(1);
    return latest ? this.byId(latest.id) : undefined;
  }

  async byId(id: number): Promise<VersionSetSnapshot | undefined> {
    const [set] = await this.db.select({ id: versionSets.id }).from(versionSets).where(eq(versionSets.id, id));
    if (!set) return undefined;
    const members = await this.db.select().from(versionSetMembers).where(eq(versionSetMembers.versionSetId, id)).orderBy(asc(versionSetMembers.service));
    return { id, versions: Object.fromEntries(members.map((member) => [member.service, member.version])) };
  }

  async mintWithVersion(change: VersionMint): Promise<VersionSetSnapshot> {
    await this.db
      .insert(versions)
      .values({ service: change.service, version: change.version, commitSha: change.commitSha ?? null, pullNumber: change.pullNumber ?? null, repo: change.repo ?? null })
      .onConflictDoNothing();
    if (change.base && change.base.versions[change.service] === change.version) return change.base;
    const [set] = await this.db
      .insert(versionSets)
      .values({ parentId: change.base?.id ?? null, source: change.source, changedService: change.service })
      .returning({ id: versionSets.id });
    const next = { ...(change.base?.versions ?? {}), [change.service]: change.version };
    await this.db.insert(versionSetMembers).values(Object.entries(next).map(([service, version]) => ({ versionSetId: set!.id, service, version })));
    return { id: set!.id, versions: next };
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
