import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationalRoutes } from '../../src/app/http-routes.js';
import type { Database } from '../../src/store/db.js';
import { mergeQueueEntries } from '../../src/store/schema/index.js';
import { testDatabaseKinds } from '../support/databases.js';

/** The gauges /metrics reads from the store at scrape time, so every replica reports the same. */
describe.each(testDatabaseKinds)('merge queue gauges on $name', (kind) => {
  let database: Database;

  beforeAll(async () => {
    database = await kind.open();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('counts the pull requests waiting in each queue and those it merged', async () => {
    const now = new Date('2026-11-24T10:00:00Z');
    const entry = (repo: string, pullNumber: number, status: (typeof mergeQueueEntries.$inferInsert)['status']) => ({
      repo,
      baseBranch: 'main',
      pullNumber,
      requestedBy: 'U0ALICE',
      source: 'slack' as const,
      status,
      enqueuedAt: now,
      updatedAt: now,
      finishedAt: ['merged', 'ejected', 'removed'].includes(status) ? now : null,
    });
    await database.db.insert(mergeQueueEntries).values([
      entry('acme/api', 1, 'queued'),
      entry('acme/api', 2, 'validating'),
      entry('acme/api', 3, 'merged'),
      entry('acme/api', 4, 'ejected'),
      entry('acme/web', 5, 'batched'),
      entry('acme/web', 6, 'merged'),
      entry('acme/web', 7, 'merged'),
    ]);
    const { registry } = operationalRoutes(database);
    const lines = (await registry.metrics()).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'durable_delivery_merge_queue_length{repo="acme/api"} 2',
        'durable_delivery_merge_queue_length{repo="acme/web"} 1',
        'durable_delivery_merge_queue_merged{repo="acme/api"} 1',
        'durable_delivery_merge_queue_merged{repo="acme/web"} 2',
      ]),
    );
  });
});
