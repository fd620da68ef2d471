import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryConfigSchema } from '../../../src/config/delivery-schema.js';
import { ManualClock } from '../../../src/ports/clock.js';
import { SimulatedFleet } from '../../../src/adapters/fleet/simulated-fleet.js';
import { latestStoredInstant, seedInfraSetId, seedSandboxStore } from '../../../src/sandbox/sandbox-seed.js';
import { syncFleetFromStore } from '../../../src/app/sync-fleet.js';
import { sandboxConfig, sandboxUsers } from '../../../src/sandbox/start-sandbox.js';
import type { Database } from '../../../src/store/db.js';
import { infraSets, releases } from '../../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../../support/databases.js';

const config = deliveryConfigSchema.parse({
  approverGroups: { 'release-managers': ['U0BOB'] },
  teams: { shop: { channel: '#shop', members: ['U0ALICE'] } },
  services: { api: { repo: 'acme/api', team: 'shop' }, db: { repo: 'acme/db', team: 'shop' } },
  environments: {
    staging: { channel: '#deploys', stages: [{ name: 'full', weight: 100, bake: '2m' }] },
    production: {
      channel: '#deploys',
      requires: ['staging'],
      stages: [
        { name: 'canary', weight: 1, bake: '10m' },
        { name: 'full', weight: 100, bake: '5m' },
      ],
      windows: [{ cron: '0 9 * * 1-5', duration: '8h', timezone: 'America/New_York' }],
    },
  },
});
const at = new Date('2026-01-05T10:00:00Z');

describe.each(testDatabaseKinds)('sandbox store seed on $name', (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await kind.open();
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await truncateAll(database.db);
  });

  it('starts a new sandbox with v1 serving every service everywhere, once', async () => {
    expect(await seedSandboxStore(database.db, config, at)).toEqual({ seeded: true });
    expect(await seedSandboxStore(database.db, config, at)).toEqual({ seeded: false });
    const rows = await database.db.select().from(infraSets);
    expect(rows.map((row) => [row.id, row.version, row.state, row.weight]).sort()).toEqual([
      ['is-seed-production-api', 'v1', 'serving', 100],
      ['is-seed-production-db', 'v1', 'serving', 100],
      ['is-seed-staging-api', 'v1', 'serving', 100],
      ['is-seed-staging-db', 'v1', 'serving', 100],
    ]);
  });

  it('mirrors the store in the fleet, weights included, skipping retired infra-sets', async () => {
    await database.db.insert(infraSets).values([
      { id: 'is-a', service: 'api', environment: 'production', version: 'v1', state: 'serving', weight: 90, createdAt: at },
      { id: 'is-b', service: 'api', environment: 'production', version: 'v2', state: 'serving', weight: 10, createdAt: at },
      { id: 'is-old', service: 'api', environment: 'production', version: 'v0', state: 'retired', weight: 0, createdAt: at },
    ]);
    const fleet = new SimulatedFleet({ clock: new ManualClock(at) });
    expect(await syncFleetFromStore(database.db, fleet, at)).toBe(2);
    expect(fleet.weights('api', 'production')).toEqual({ 'is-a': 90, 'is-b': 10 });
    expect(fleet.infraSet('is-old')).toBeUndefined();
    // The weights held before the sandbox started, so a baseline has history to be compared with.
    expect(fleet.weightAt('is-a', new Date(at.getTime() - 60_000))).toBe(90);
  });

  it('knows where a restarted sandbox clock resumes: the latest release update', async () => {
    expect(await latestStoredInstant(database.db)).toBeNull();
    const later = new Date('2026-01-06T03:00:00Z');
    await database.db.insert(releases).values(
      [at, later].map((updatedAt, index) => ({
        id: `r${index}`,
        status: 'running' as const,
        environment: 'production',
        versionSetId: 1,
        requester: 'U0ALICE',
        // The row's state is irrelevant here; only its timestamps are read.
        state: {} as never,
        createdAt: at,
        updatedAt,
      })),
    );
    expect(await latestStoredInstant(database.db)).toEqual(later);
  });
});

describe('sandbox config and people', () => {
  it('lifts windows and keeps every stage\'s bake, full-traffic ones included', () => {
    const sandbox = sandboxConfig(config);
    expect(sandbox.environments.production?.windows).toEqual([]);
    expect(sandbox.environments.production?.stages.map((stage) => [stage.name, stage.bake])).toEqual([
      ['canary', 600],
      ['full', 300],
    ]);
    expect(seedInfraSetId('staging', 'api')).toBe('is-seed-staging-api');
  });

  it('offers everyone the config names, requesters before approvers', () => {
    expect(sandboxUsers(config)).toEqual([
      { id: 'U0ALICE', name: 'Alice', role: 'shop team' },
      { id: 'U0BOB', name: 'Bob', role: 'release manager' },
    ]);
  });
});
