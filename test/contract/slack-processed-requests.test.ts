import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/db.js';
import { DrizzleProcessedRequests } from '../../src/store/repos/processed-requests-repo.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';

describe.each(testDatabaseKinds)('processed Slack requests on $name', (kind) => {
  let database: Database;
  let requests: DrizzleProcessedRequests;
  beforeAll(async () => {
    database = await kind.open();
    requests = new DrizzleProcessedRequests(database.db);
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await truncateAll(database.db);
  });

  it('lets the first claim of a key through and no later one, even when they race', async () => {
    const at = new Date('2026-11-23T14:00:00Z');
    const claims = await Promise.all(Array.from({ length: 5 }, () => requests.claim('action:rel-1:7:approve:U0BOB', 'slack_action', at)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await requests.claim('action:rel-1:7:approve:U0BOB', 'slack_action', at)).toBe(false);
    expect(await requests.claim('action:rel-1:8:approve:U0BOB', 'slack_action', at)).toBe(true);
  });

  it('keeps the first answer and prunes old keys', async () => {
    await requests.claim('command:1', 'slack_command', new Date('2026-11-23T13:00:00Z'));
    await requests.claim('command:2', 'slack_command', new Date('2026-11-23T14:00:00Z'));
    await requests.recordResponse('command:2', { text: 'done' });
    expect(await requests.responseOf('command:2')).toEqual({ text: 'done' });
    expect(await requests.prune(new Date('2026-11-23T13:30:00Z'))).toBe(1);
    expect(await requests.claim('command:1', 'slack_command', new Date())).toBe(true);
    expect(await requests.claim('command:2', 'slack_command', new Date())).toBe(false);
  });
});
