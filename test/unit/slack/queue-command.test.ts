import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { queueCommand } from '../../../src/app/slack/listeners/commands/queue.js';
import type { CommandArgs } from '../../../src/app/slack/listeners/commands/run-command.js';
import type { DoraReports, HomePages, MergeQueueCommands, SlackDeps } from '../../../src/app/slack/slack-deps.js';
import type { AuditLog } from '../../../src/ports/audit-log.js';
import type { ReleaseService } from '../../../src/services/release-service-api.js';
import { exampleShopConfig } from '../../support/fakes/example-config.js';

/** The /queue listener with a fake ack and response_url, the way Bolt calls it. */
function harness(mergeQueue: MergeQueueCommands | null, claims = new Set<string>()) {
  const acks: unknown[] = [];
  const responses: unknown[] = [];
  const deps: SlackDeps = {
    releases: {} as ReleaseService,
    mergeQueue,
    config: exampleShopConfig(),
    audit: {} as AuditLog,
    dora: {} as DoraReports,
    homePages: {} as HomePages,
    requests: {
      claim: async (key) => (claims.has(key) ? false : (claims.add(key), true)),
      recordResponse: async () => {},
      responseOf: async () => undefined,
      prune: async () => 0,
      claimCommand: async (key) => (claims.has(key) ? false : (claims.add(key), true)),
      markHandled: async () => {},
      unhandledCommands: async () => [],
      takeOver: async () => false,
    },
    actors: { resolve: async (userId) => ({ userId, userGroupIds: [] }) },
    responseUrls: { post: async (_url, message) => void responses.push(message) },
    homeViewers: null,
    clock: { now: () => new Date('2026-11-23T15:00:00Z') },
    logger: pino({ level: 'silent' }),
  };
  const listener = queueCommand(deps);
  const run = (text: string, trigger = `t-${text}`) =>
    listener({
      command: { command: '/queue', text, user_id: 'U0ALICE', trigger_id: trigger, channel_id: 'C1' },
      ack: async (message?: unknown) => void acks.push(message),
    } as unknown as CommandArgs);
  return { run, acks, responses };
}

function text(message: unknown): string {
  return (message as { text?: string } | undefined)?.text ?? '';
}

describe('/queue', () => {
  it('says clearly that the merge queue is not enabled', async () => {
    const { run, acks } = harness(null);
    await run('add acme/web#12');
    expect(text(acks[0])).toContain('merge queue is not enabled');
  });

  it('queues, lists and removes through the merge queue service, once per request', async () => {
    const calls: string[] = [];
    const queue: MergeQueueCommands = {
      enqueue: async (request) => (calls.push(`enqueue ${request.repo}#${request.pullNumber} by ${request.requestedBy}`), { kind: 'accepted', position: 2 }),
      remove: async (request) => (calls.push(`remove ${request.repo}#${request.pullNumber} by ${request.actor}`), { kind: 'refused', code: 'not_queued', message: 'acme/web#13 is not in the queue' }),
      list: async () => ({ queues: [{ repo: 'acme/web', baseBranch: 'main', mode: 'serial', batchSize: 1, paused: null, unreachable: null, entries: [] }] }),
    };
    const { run, acks, responses } = harness(queue);
    await run('add acme/web#12', 'same-trigger');
    await run('add acme/web#12', 'same-trigger');
    await run('remove acme/web#13');
    await run('');
    expect(calls).toEqual(['enqueue acme/web#12 by U0ALICE', 'remove acme/web#13 by U0ALICE']);
    expect(acks).toHaveLength(4);
    expect(acks.every((ack) => ack === undefined)).toBe(true);
    expect(text(responses[0])).toContain('position 2');
    expect(text(responses[1])).toContain('not in the queue');
    expect(JSON.stringify(responses[2])).toContain('(empty)');
  });

  it('answers a typo with the right form before doing anything', async () => {
    const { run, acks } = harness(null);
    await run('rmove acme/web#1');
    expect(text(acks[0])).toContain('Did you mean /queue remove?');
  });
});
