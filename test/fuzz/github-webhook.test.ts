import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQueueWebhook } from '../../src/app/github/webhook-event-parser.js';
import { fuzzRuns, fuzzTimeout } from './fuzz-runs.js';

/**
 * GitHub webhook bodies after signature verification: any JSON GitHub (or a misconfigured proxy)
 * might send, for any event name, becomes one of the queue's events or `ignored` with a reason —
 * never an exception, and never an event with missing fields.
 */

const events = ['pull_request', 'check_suite', 'check_run', 'status', 'push', 'ping', 'issues', ''];
const shaped = fc.record(
  {
    action: fc.constantFrom('labeled', 'unlabeled', 'closed', 'synchronize', 'opened', 'completed', 'weird'),
    number: fc.oneof(fc.integer(), fc.double(), fc.string()),
    pull_request: fc.record({ number: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.string()), merged: fc.oneof(fc.boolean(), fc.constant(null)), head: fc.record({ sha: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 }), fc.integer()) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    label: fc.record({ name: fc.oneof(fc.constant('merge-queue'), fc.string()) }, { requiredKeys: [] }),
    check_suite: fc.record({ head_sha: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
    check_run: fc.record({ head_sha: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
    sha: fc.string(),
    state: fc.constantFrom('success', 'failure', 'pending', 'error', ''),
    repository: fc.record({ full_name: fc.oneof(fc.constant('acme/api'), fc.string(), fc.integer()) }, { requiredKeys: [] }),
    sender: fc.record({ login: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(shaped, fc.jsonValue(), fc.anything());

describe('GitHub webhook payloads, fuzzed', () => {
  it('become a queue event with every field, or ignored with a reason', () => {
    fc.assert(
      fc.property(fc.constantFrom(...events), body, (eventName, payload) => {
        const event = parseQueueWebhook(eventName, payload);
        switch (event.kind) {
          case 'ignored':
            expect(event.reason.length).toBeGreaterThan(0);
            break;
          case 'pull_labeled':
          case 'pull_unlabeled':
            expect(typeof event.repo).toBe('string');
            expect(Number.isInteger(event.pullNumber)).toBe(true);
            expect(typeof event.label).toBe('string');
            break;
          case 'pull_closed':
            expect(typeof event.merged).toBe('boolean');
            expect(Number.isInteger(event.pullNumber)).toBe(true);
            break;
          case 'pull_synchronized':
            expect(typeof event.headSha).toBe('string');
            break;
          case 'checks_completed':
            expect(typeof event.sha).toBe('string');
            break;
        }
      }),
      { numRuns: fuzzRuns(1_000) },
    );
  }, fuzzTimeout(1_000, 5));
});
