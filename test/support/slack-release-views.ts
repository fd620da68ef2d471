import type { ReleaseView } from '../../src/domain/release/types.js';

/** A release in production's canary stage, waiting for nothing: the card's common case. */
export function sampleReleaseView(overrides: Partial<ReleaseView> = {}): ReleaseView {
  return {
    id: 'rel-0001',
    status: 'running',
    version: 7,
    requester: { userId: 'U0ALICE' },
    versionSetId: 42,
    targetEnvironment: 'production',
    path: ['staging', 'production'],
    createdAt: '2026-11-23T14:00:00.000Z',
    updatedAt: '2026-11-23T14:12:00.000Z',
    changes: [
      { service: 'payments', from: 'v2.0.0', to: 'v2.1.0' },
      { service: 'checkout', from: 'v1.4.1', to: 'v1.4.2' },
    ],
    environments: [
      {
        environment: 'staging',
        state: 'done',
        services: [
          { service: 'payments', from: 'v2.0.0', to: 'v2.1.0', infraSetId: 'is-pay-s-1', provisioning: 'done', converged: true, stages: [{ stage: 'full', weight: 100, state: 'done' }] },
          { service: 'checkout', from: 'v1.4.1', to: 'v1.4.2', infraSetId: 'is-chk-s-1', provisioning: 'done', converged: true, stages: [{ stage: 'full', weight: 100, state: 'done' }] },
        ],
        gates: [{ gate: 'window', ok: true }],
        approvals: { required: 0, by: [] },
        warnings: [],
      },
      {
        environment: 'production',
        state: 'active',
        services: [
          {
            service: 'payments',
            from: 'v2.0.0',
            to: 'v2.1.0',
            infraSetId: 'is-pay-p-1',
            provisioning: 'done',
            converged: false,
            stages: [
              { stage: 'canary', weight: 1, state: 'running', bakeSecondsLeft: 240, startedAt: '2026-11-23T14:06:00.000Z', holding: false },
              { stage: 'early', weight: 10, state: 'pending' },
              { stage: 'full', weight: 100, state: 'pending' },
            ],
          },
          {
            service: 'checkout',
            from: 'v1.4.1',
            to: 'v1.4.2',
            infraSetId: 'is-chk-p-1',
            provisioning: 'pending',
            converged: false,
            stages: [
              { stage: 'canary', weight: 1, state: 'pending' },
              { stage: 'early', weight: 10, state: 'pending' },
              { stage: 'full', weight: 100, state: 'pending' },
            ],
          },
        ],
        gates: [
          { gate: 'approvals', ok: true },
          { gate: 'window', ok: true, detail: 'weekday business hours, closes 17:00' },
          { gate: 'freeze', ok: true },
          { gate: 'dependencies', ok: true },
        ],
        approvals: { required: 1, by: [{ userId: 'U0BOB', at: '2026-11-23T14:05:00.000Z' }] },
        warnings: ['canary at 1% of payments sees ~6 req/s: too little to judge within 10m'],
      },
    ],
    summary: 'production · payments · canary 1% baking, 4m left',
    paused: null,
    held: null,
    awaitingReading: null,
    health: {
      at: '2026-11-23T14:11:00.000Z',
      environment: 'production',
      service: 'payments',
      stage: 'canary',
      verdict: 'pass',
      checks: [
        { check: 'errors', verdict: 'pass', summary: 'errors 0.21% vs baseline 0.20% (1.05×), 41% of the way to a verdict' },
        { check: 'latency', verdict: 'pass', summary: 'p99 412 ms vs baseline 398 ms' },
      ],
    },
    rollbackOrder: [
      {
        environment: 'production',
        moves: [
          { environment: 'production', service: 'checkout', toInfraSetId: 'is-chk-p-0', toVersion: 'v1.4.1' },
          { environment: 'production', service: 'payments', toInfraSetId: 'is-pay-p-0', toVersion: 'v2.0.0' },
        ],
      },
    ],
    allowedActions: ['pause', 'promote', 'rollback', 'abort', 'supersede'],
    outcome: null,
    ...overrides,
  };
}
