import { describe, expect, it } from 'vitest';
import { decide, newReleaseState, startRelease } from '../../../src/domain/release/decide.js';
import type { WorldFacts } from '../../../src/domain/release/gates.js';
import { planRelease } from '../../../src/domain/release/plan.js';
import type { Decision, ReleaseInput, ReleaseState } from '../../../src/domain/release/types.js';
import { toReleaseView } from '../../../src/domain/release/view.js';
import { exampleShopConfig } from '../../support/fakes/example-config.js';

const config = exampleShopConfig();
const T0 = new Date('2026-11-17T15:00:00.000Z');
const open = { window: { open: true as const, closesAt: null }, freeze: { frozen: false as const }, lock: null };
const facts: WorldFacts = {
  environments: { staging: open, production: open },
  serving: { staging: { checkout: { version: 'v2', infraSetId: 'is-s' } }, production: { checkout: { version: 'v1', infraSetId: 'is-p1' } } },
};
const ctx = { config, facts };
const alice = { userId: 'U0ALICE', userGroupIds: [] };

function ok(decision: Decision): ReleaseState {
  if (decision.kind !== 'accepted') throw new Error(decision.message);
  return decision.state;
}
function token(state: ReleaseState): string {
  const phase = state.phase as { token?: string; measuring?: string | null };
  return phase.token ?? phase.measuring ?? '';
}

function walk(...inputs: Array<(state: ReleaseState) => ReleaseInput>): ReleaseState {
  const planned = planRelease({ releaseId: 'r1', config, versionSetId: 5, versions: { checkout: 'v2' }, environment: 'production', serving: facts.serving });
  if (!planned.ok) throw new Error();
  let state = ok(startRelease(newReleaseState({ id: 'r1', requester: alice, plan: planned.plan, now: T0 }), T0, ctx));
  for (const input of inputs) state = ok(decide(state, input(state), T0, ctx));
  return state;
}

const view = (state: ReleaseState, now = T0) => toReleaseView(state, { version: 4, updatedAt: T0.toISOString() }, config, facts, now);

describe('release view', () => {
  it('shows what ships, the gates with reasons, and the rollback order before anything starts', () => {
    const card = view(walk());
    expect(card).toMatchObject({ id: 'r1', status: 'waiting', version: 4, versionSetId: 5, targetEnvironment: 'production', changes: [{ service: 'checkout', from: 'v1', to: 'v2' }] });
    expect(card.environments[0]!.gates).toContainEqual(expect.objectContaining({ gate: 'approvals', ok: false }));
    expect(card.environments[0]!.gates).toContainEqual({ gate: 'window', ok: true });
    expect(card.environments[0]!.services[0]!.stages.map((stage) => stage.state)).toEqual(['waiting', 'pending', 'pending']);
    expect(card.rollbackOrder).toEqual([{ environment: 'production', moves: [{ environment: 'production', service: 'checkout', toInfraSetId: 'is-p1', toVersion: 'v1' }] }]);
    expect(card.allowedActions).toEqual(['approve', 'pause', 'rollback', 'abort', 'supersede']);
  });

  it('shows a baking stage with its weight and bake time left, and who approved', () => {
    const state = walk(
      () => ({ type: 'approve', actor: { userId: 'U0BOB', userGroupIds: [] } }),
      (s) => ({ type: 'provisioned', token: token(s), outcome: { kind: 'done' } }),
      (s) => ({ type: 'traffic_applied', token: token(s), outcome: { kind: 'applied', verified: true } }),
    );
    const card = view(state, new Date(T0.getTime() + 4 * 60_000));
    const service = card.environments[0]!.services[0]!;
    expect(service.provisioning).toBe('done');
    expect(service.stages[0]).toEqual({ stage: 'canary', weight: 1, state: 'running', bakeSecondsLeft: 360, startedAt: T0.toISOString(), holding: false });
    expect(card.environments[0]!.approvals.by).toEqual([{ userId: 'U0BOB', at: T0.toISOString() }]);
    expect(card.summary).toContain('canary 1% baking, 6m left');
    expect(card.allowedActions).toContain('promote');
    expect(card.allowedActions).toContain('supersede');
  });

  it('marks the failed stage and the rolled back environment', () => {
    const state = walk(
      () => ({ type: 'approve', actor: { userId: 'U0BOB', userGroupIds: [] } }),
      (s) => ({ type: 'provisioned', token: token(s), outcome: { kind: 'done' } }),
      (s) => ({ type: 'traffic_applied', token: token(s), outcome: { kind: 'applied', verified: true } }),
      () => ({ type: 'rollback', actor: alice, reason: 'bad build' }),
      (s) => ({ type: 'traffic_applied', token: (s.phase as { inFlight: { token: string } }).inFlight.token, outcome: { kind: 'applied', verified: true } }),
    );
    const card = view(state);
    expect(card.status).toBe('rolled_back');
    expect(card.environments[0]!.state).toBe('rolled_back');
    expect(card.environments[0]!.services[0]!.stages[0]).toMatchObject({ state: 'failed', reason: expect.stringContaining('bad build') });
    expect(card.allowedActions).toEqual([]);
    expect(card.outcome).toMatchObject({ kind: 'rolled_back' });
  });
});
