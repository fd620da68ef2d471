import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ActorResolver, userGroupIdsIn } from '../../../src/app/slack/actor-resolver.js';
import { createSlackApp, refuseFutureTimestamps } from '../../../src/app/slack/create-slack-app.js';
import type { DoraReports, HomePages } from '../../../src/app/slack/slack-deps.js';
import type { AuditLog } from '../../../src/ports/audit-log.js';
import type { ReleaseService } from '../../../src/services/release-service-api.js';
import type { ProcessedRequests } from '../../../src/ports/processed-requests.js';
import { exampleShopConfig } from '../../support/fakes/example-config.js';

const silent = pino({ level: 'silent' });

describe('actor resolution', () => {
  it('adds the configured user groups a user belongs to, reading each group once per cache period', async () => {
    const calls: string[] = [];
    let now = 0;
    const directory = {
      usergroups: {
        users: {
          list: async ({ usergroup }: { usergroup: string }) => {
            calls.push(usergroup);
            if (usergroup === 'S0BROKEN') throw new Error('missing_scope');
            return { ok: true, users: usergroup === 'S0RELEASE' ? ['U0DANA'] : [] };
          },
        },
      },
    };
    const resolver = new ActorResolver(directory, ['S0BROKEN', 'S0RELEASE'], { ttlMs: 60_000, now: () => now });
    const [dana, alice] = await Promise.all([resolver.resolve('U0DANA'), resolver.resolve('U0ALICE')]);
    expect(dana).toEqual({ userId: 'U0DANA', userGroupIds: ['S0RELEASE'] });
    expect(alice).toEqual({ userId: 'U0ALICE', userGroupIds: [] });
    expect(calls.sort()).toEqual(['S0BROKEN', 'S0RELEASE']);
    now = 61_000;
    await resolver.resolve('U0DANA');
    expect(calls).toHaveLength(4);
  });

  it('finds the user groups named in the config', () => {
    expect(userGroupIdsIn(exampleShopConfig())).toEqual(['S0RELEASE']);
  });
});

describe('request dates', () => {
  function run(timestamp: string | undefined, path = '/slack/events'): { status: number | undefined; passed: boolean } {
    let passed = false;
    let status: number | undefined;
    const guard = refuseFutureTimestamps(() => (passed = true), { paths: ['/slack/events'], nowSeconds: () => 1_000_000, logger: silent });
    const req = { method: 'POST', url: path, headers: timestamp === undefined ? {} : { 'x-slack-request-timestamp': timestamp }, resume: () => {} } as unknown as IncomingMessage;
    const res = { writeHead: (code: number) => (status = code), end: () => {} } as unknown as ServerResponse;
    guard(req, res);
    return { status, passed };
  }

  it('refuses a timestamp more than five minutes ahead, and leaves everything else to Bolt', () => {
    expect(run(String(1_000_000 + 301))).toEqual({ status: 401, passed: false });
    expect(run(String(1_000_000 + 300))).toEqual({ status: undefined, passed: true });
    expect(run(String(1_000_000 - 3600))).toEqual({ status: undefined, passed: true });
    expect(run(undefined)).toEqual({ status: undefined, passed: true });
    expect(run(String(1_000_000 + 3600), '/healthz')).toEqual({ status: undefined, passed: true });
  });
});

describe('modes', () => {
  const deps = { releases: {} as ReleaseService, config: exampleShopConfig(), audit: {} as AuditLog, dora: {} as DoraReports, homePages: {} as HomePages, requests: {} as ProcessedRequests, clock: { now: () => new Date() } };

  it('uses Socket Mode when an app token is given, and HTTP mode otherwise', () => {
    expect(createSlackApp({ botToken: 'xoxb-1', appToken: 'xapp-1', port: 0, logger: silent }, deps).mode).toBe('socket');
    expect(createSlackApp({ botToken: 'xoxb-1', signingSecret: 's', port: 0, logger: silent }, deps).mode).toBe('http');
    expect(() => createSlackApp({ botToken: 'xoxb-1', port: 0, logger: silent }, deps)).toThrow(/signing secret/);
  });
});
