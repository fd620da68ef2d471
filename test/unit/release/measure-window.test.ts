import { describe, expect, it } from 'vitest';
import { decide, newReleaseState, startRelease, type DecideContext } from '../../../src/domain/release/decide.js';
import type { EnvironmentFacts, WorldFacts } from '../../../src/domain/release/gates.js';
import { planRelease } from '../../../src/domain/release/plan.js';
import type { Decision, ReleaseEffect, ReleaseState } from '../../../src/domain/release/types.js';
import { exampleShopConfig } from '../../support/fakes/example-config.js';

/**
 * The judge adds each reading's counts to the evidence, so the windows it is asked to measure must
 * tile the bake: each starting where the previous ended, the first at the stage's start. A window
 * that grew from the stage's start would count its early requests again at every reading.
 */

const T0 = new Date('2026-11-17T15:00:00.000Z');
const open: EnvironmentFacts = { window: { open: true, closesAt: null }, freeze: { frozen: false }, lock: null };
const world: WorldFacts = {
  environments: { staging: open, production: open },
  serving: {
    staging: { checkout: { version: 'v2', infraSetId: 'is-stg-v2' } },
    production: { checkout: { version: 'v1', infraSetId: 'is-prod-v1' } },
  },
};
const ctx: DecideContext = { config: exampleShopConfig(), facts: world };

function accepted(decision: Decision): Extract<Decision, { kind: 'accepted' }> {
  if (decision.kind !== 'accepted') throw new Error(`refused: ${decision.code} ${decision.message}`);
  return decision;
}

function token(state: ReleaseState): string {
  const phase = state.phase;
  if (phase.kind === 'provisioning' || phase.kind === 'shifting') return phase.token;
  if (phase.kind === 'baking' && phase.measuring) return phase.measuring;
  throw new Error(`no token in ${phase.kind}`);
}

function bakingCanary(): ReleaseState {
  const planned = planRelease({ releaseId: 'r1', config: ctx.config, versionSetId: 7, versions: { checkout: 'v2' }, environment: 'production', serving: world.serving });
  if (!planned.ok) throw new Error(planned.refusal.message);
  let state = accepted(startRelease(newReleaseState({ id: 'r1', requester: { userId: 'U0ALICE', userGroupIds: [] }, plan: planned.plan, now: T0 }), T0, ctx)).state;
  state = accepted(decide(state, { type: 'approve', actor: { userId: 'U0BOB', userGroupIds: [] } }, T0, ctx)).state;
  state = accepted(decide(state, { type: 'provisioned', token: token(state), outcome: { kind: 'done' } }, T0, ctx)).state;
  return accepted(decide(state, { type: 'traffic_applied', token: token(state), outcome: { kind: 'applied', verified: true } }, T0, ctx)).state;
}

const measureOf = (effects: ReleaseEffect[]) => effects.find((effect): effect is Extract<ReleaseEffect, { kind: 'measure' }> => effect.kind === 'measure');

describe('the measurement windows of a baking stage', () => {
  it('tile the bake: contiguous, non-overlapping, the first from the stage start, through late and failed readings', () => {
    let state = bakingCanary();
    expect(state.phase).toMatchObject({ kind: 'baking', startedAt: T0.toISOString() });
    const windows: Array<{ from: string; to: string }> = [];
    // Ticks at uneven moments, as a busy scheduler delivers them; some between measurements.
    const ticks = [0.5, 1, 1.2, 2.4, 3, 3.1, 4.7, 6, 7.5, 9];
    let reading = 0;
    for (const minutes of ticks) {
      const now = new Date(T0.getTime() + minutes * 60_000);
      const ticked = accepted(decide(state, { type: 'tick' }, now, ctx));
      state = ticked.state;
      const measure = measureOf(ticked.effects);
      if (!measure) continue;
      windows.push(measure.window);
      expect(measure.window.to).toBe(now.toISOString());
      reading += 1;
      // Every third reading fails to arrive as a verdict (an outage): its interval is not measured again.
      const verdict = reading % 3 === 0 ? 'error' : 'inconclusive';
      state = accepted(decide(state, { type: 'health_reading', token: measure.token, reading: { verdict, checks: [], evidence: { reading } } }, now, ctx)).state;
    }
    expect(windows.length).toBeGreaterThanOrEqual(6);
    expect(windows[0]!.from).toBe(T0.toISOString());
    for (let i = 1; i < windows.length; i += 1) expect(windows[i]!.from).toBe(windows[i - 1]!.to);
    for (const window of windows) expect(Date.parse(window.to)).toBeGreaterThan(Date.parse(window.from));
  });
});
