import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseState } from '../../src/domain/release/types.js';
import type { Database } from '../../src/store/db.js';
import { DrizzleAuditLog } from '../../src/store/repos/drizzle-audit-log.js';
import { appendOperatorEvent, appendRefusal, appendTransition, insertRelease } from '../../src/store/repos/drizzle-release-repo.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';

/** Only what the audit log reads of a release: its path and the services each environment changes. */
function releaseState(id: string, path: string[], services: string[]): ReleaseState {
  return { id, plan: { path, environments: path.map((environment) => ({ environment, changes: services.map((service) => ({ service })) })) } } as unknown as ReleaseState;
}

describe.each(testDatabaseKinds)('the audit log on $name', (kind) => {
  let database: Database;
  let audit: DrizzleAuditLog;
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 15, minute));

  beforeAll(async () => {
    database = await kind.open();
    audit = new DrizzleAuditLog(database.db);
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await truncateAll(database.db);
    const db = database.db;
    await insertRelease(db, { id: 'r1', status: 'running', environment: 'production', versionSetId: 1, requester: 'U0ALICE', state: releaseState('r1', ['staging', 'production'], ['web', 'checkout']), nextTickAt: null, now: at(0) });
    await appendTransition(db, { releaseId: 'r1', version: 1, events: [{ type: 'created', message: 'requested' }], input: 'deploy', actor: 'U0ALICE', at: at(0) });
    await appendTransition(db, { releaseId: 'r1', version: 2, events: [{ type: 'shifting', message: 'Shifting checkout to 1%' }], input: 'tick', actor: null, at: at(1) });
    await appendTransition(db, { releaseId: 'r1', version: 3, events: [{ type: 'approved', message: 'bob approved production', data: { environment: 'production' } }], input: 'approve', actor: 'U0BOB', at: at(2) });
    await appendTransition(db, { releaseId: 'r1', version: 4, events: [{ type: 'health_reading', message: 'fail' }, { type: 'rollback_started', message: 'Rolling back' }], input: 'health_reading', actor: null, at: at(3) });
    await appendOperatorEvent(db, { type: 'freeze', actor: 'U0BOB', message: 'froze staging', at: at(4), data: { environment: 'staging' } });
    await appendOperatorEvent(db, { type: 'manual_rollback', actor: 'U0CAROL', message: 'rolled payments back', at: at(5), data: { environment: 'production', service: 'payments' } });
    await appendRefusal(db, { releaseId: null, version: 0, input: 'deploy', actor: 'U0MALLORY', code: 'not_authorized', message: 'may not deploy', at: at(6), data: { environment: 'production' } });
  });

  it('answers people’s actions newest first, without the engine’s own steps', async () => {
    const page = await audit.history({ limit: 10 });
    expect(page.entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['refused', 'U0MALLORY'],
      ['manual_rollback', 'U0CAROL'],
      ['freeze', 'U0BOB'],
      ['automatic_rollback', null],
      ['approval', 'U0BOB'],
      ['deploy', 'U0ALICE'],
    ]);
    expect(page.nextBefore).toBeNull();
    expect(page.entries[4]).toMatchObject({ releaseId: 'r1', environment: 'production', services: ['checkout', 'web'] });
  });

  it('scopes by service and by environment, and pages with a cursor', async () => {
    expect((await audit.history({ service: 'payments', limit: 10 })).entries.map((entry) => entry.action)).toEqual(['manual_rollback']);
    expect((await audit.history({ service: 'web', limit: 10 })).entries.map((entry) => entry.action)).toEqual(['automatic_rollback', 'approval', 'deploy']);
    expect((await audit.history({ environment: 'staging', limit: 10 })).entries.map((entry) => entry.action)).toEqual(['freeze', 'automatic_rollback', 'approval', 'deploy']);
    const first = await audit.history({ environment: 'production', limit: 2 });
    expect(first.entries.map((entry) => entry.action)).toEqual(['refused', 'manual_rollback']);
    const second = await audit.history({ environment: 'production', limit: 2, beforeId: first.nextBefore! });
    expect(second.entries.map((entry) => entry.action)).toEqual(['automatic_rollback', 'approval']);
    const third = await audit.history({ environment: 'production', limit: 2, beforeId: second.nextBefore! });
    expect(third.entries.map((entry) => entry.action)).toEqual(['deploy']);
    expect(third.nextBefore).toBeNull();
  });

  it('exports every row since a moment, oldest first, in batches', async () => {
    const all = await audit.exportSince({ since: at(1), afterId: 0, limit: 100 });
    expect(all.map((entry) => entry.action)).toEqual(['progress', 'approval', 'automatic_rollback', 'freeze', 'manual_rollback', 'refused']);
    const batch = await audit.exportSince({ since: at(0), afterId: all[2]!.id, limit: 2 });
    expect(batch.map((entry) => entry.action)).toEqual(['freeze', 'manual_rollback']);
  });
});
