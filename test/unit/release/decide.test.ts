import { describe, expect, it } from 'vitest';
import { mayActOn } from '../../../src/domain/release/authorization.js';
import { alreadyShips, decide, newReleaseState, nextTickAt, releaseStatus, startRelease, supersedableServices, type DecideContext } from '../../../src/domain/release/decide.js';
import type { EnvironmentFacts, WorldFacts } from '../../../src/domain/release/gates.js';
import { planRelease } from '../../../src/domain/release/plan.js';
import type { Actor, Decision, ReleaseEffect, ReleaseInput, ReleaseState } from '../../../src/domain/release/types.js';
import type { Verdict } from '../../../src/ports/health.js';
import { toReleaseView } from '../../../src/domain/release/view.js';
import { exampleShopConfig } from '../../support/fakes/example-config.js';

const actor = (userId: string, userGroupIds: string[] = []): Actor => ({ userId, userGroupIds });
const alice = actor('U0ALICE');
const bob = actor('U0BOB');
const carol = actor('U0CAROL');
const frank = actor('U0FRANK');
const T0 = new Date('2026-11-17T15:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const open: EnvironmentFacts = { window: { open: true, closesAt: null }, freeze: { frozen: false }, lock: null };

function facts(production: Partial<EnvironmentFacts> = {}, serving: WorldFacts['serving'] = {}): WorldFacts {
  return {
    environments: { staging: open, production: { ...open, ...production } },
    serving: {
      staging: { checkout: { version: 'v2', infraSetId: 'is-stg-v2' }, payments: { version: 'v2', infraSetId: 'is-stg-pay-v2' } },
      production: { checkout: { version: 'v1', infraSetId: 'is-prod-v1' }, payments: { version: 'v1', infraSetId: 'is-prod-pay-v1' } },
      ...serving,
    },
  };
}

function context(world = facts(), config = exampleShopConfig()): DecideContext {
  return { config, facts: world };
}

function accepted(decision: Decision): Extract<Decision, { kind: 'accepted' }> {
  if (decision.kind !== 'accepted') throw new Error(`refused: ${decision.code} ${decision.message}`);
  return decision;
}

/** A production release of checkout v2 (staging already serves it), started at T0 by alice. */
function started(ctx = context(), versions: Record<string, string> = { checkout: 'v2' }, requester = alice): ReleaseState {
  const planned = planRelease({ releaseId: 'r1', config: ctx.config, versionSetId: 7, versions, environment: 'production', serving: ctx.facts.serving });
  if (!planned.ok) throw new Error(planned.refusal.message);
  return accepted(startRelease(newReleaseState({ id: 'r1', requester, plan: planned.plan, now: T0 }), T0, ctx)).state;
}

function step(state: ReleaseState, input: ReleaseInput, now = T0, ctx = context()) {
  return accepted(decide(state, input, now, ctx));
}

function effectOf<K extends ReleaseEffect['kind']>(decision: { effects: ReleaseEffect[] }, kind: K): Extract<ReleaseEffect, { kind: K }> {
  const found = decision.effects.find((effect) => effect.kind === kind);
  if (!found) throw new Error(`no ${kind} effect in ${decision.effects.map((effect) => effect.kind).join(', ')}`);
  return found as Extract<ReleaseEffect, { kind: K }>;
}

function token(state: ReleaseState): string {
  const phase = state.phase;
  if (phase.kind === 'provisioning' || phase.kind === 'shifting') return phase.token;
  if (phase.kind === 'baking' && phase.measuring) return phase.measuring;
  if (phase.kind === 'rolling_back' && phase.inFlight) return phase.inFlight.token;
  throw new Error(`no token in ${phase.kind}`);
}

/** approve → provisioned → traffic applied: the canary bakes from T0. */
function baking(ctx = context()): ReleaseState {
  let state = step(started(ctx), { type: 'approve', actor: bob }, T0, ctx).state;
  state = step(state, { type: 'provisioned', token: token(state), outcome: { kind: 'done' } }, T0, ctx).state;
  return step(state, { type: 'traffic_applied', token: token(state), outcome: { kind: 'applied', verified: true } }, T0, ctx).state;
}

function reading(state: ReleaseState, verdict: Verdict, now: Date, ctx = context(), options: { deciding?: true } = {}) {
  const measured = step(state, { type: 'tick' }, now, ctx);
  return step(measured.state, { type: 'health_reading', token: token(measured.state), reading: { verdict, checks: [{ check: 'errors', verdict, summary: verdict, values: {}, ...options }], evidence: { n: 1 } } }, now, ctx);
}

/** An inconclusive reading of a sequential test on its way to a verdict ("60% of the way"). */
const deciding = (state: ReleaseState, now: Date) => reading(state, 'inconclusive', now, context(), { deciding: true });
const heldEvents = (decision: ReturnType<typeof step>) => decision.events.filter((event) => event.type === 'held');

const finishedState = (): ReleaseState => ({ ...started(), phase: { kind: 'finished', at: T0.toISOString(), outcome: 'succeeded', reason: null } });
const rollingBackState = (): ReleaseState => step(baking(), { type: 'rollback', actor: alice }).state;
const pausedState = (): ReleaseState => step(baking(), { type: 'pause', actor: alice }).state;
const approvedState = (): ReleaseState => step(started(), { type: 'approve', actor: bob }).state;

describe('refusals', () => {
  const twoApprovals = exampleShopConfig({ production: { approvals: { required: 2, from: ['release-managers'], excludeRequester: true } } });
  const cases: Array<[string, () => ReleaseState, ReleaseInput, string, DecideContext?]> = [
    ['the requester approving their own release', () => started(context(), { checkout: 'v2' }, bob), { type: 'approve', actor: bob }, 'self_approval'],
    ['a non-approver approving', () => started(context(), { checkout: 'v2' }, carol), { type: 'approve', actor: alice }, 'not_authorized'],
    ['approving once enough approved', approvedState, { type: 'approve', actor: carol }, 'no_approval_needed'],
    ['approving twice', () => step(started(context(facts(), twoApprovals)), { type: 'approve', actor: bob }, T0, context(facts(), twoApprovals)).state, { type: 'approve', actor: bob }, 'already_approved', context(facts(), twoApprovals)],
    ['promoting when nothing bakes', started, { type: 'promote', actor: alice }, 'not_baking'],
    ['resuming what is not paused', baking, { type: 'resume', actor: alice }, 'not_paused'],
    ['pausing twice', pausedState, { type: 'pause', actor: alice }, 'already_paused'],
    ['an outsider pausing', baking, { type: 'pause', actor: frank }, 'not_authorized'],
    ['an outsider promoting', baking, { type: 'promote', actor: frank }, 'not_authorized'],
    ['an outsider rolling back', baking, { type: 'rollback', actor: frank }, 'not_authorized'],
    ['an outsider aborting', baking, { type: 'abort', actor: frank }, 'not_authorized'],
    ['an outsider superseding', baking, { type: 'supersede', actor: frank, service: 'checkout', version: 'v3', versionSetId: 8, history: [] }, 'not_authorized'],
    ['superseding a service not shipped', baking, { type: 'supersede', actor: alice, service: 'web', version: 'v3', versionSetId: 8, history: [] }, 'not_in_release'],
    ['rolling back twice', rollingBackState, { type: 'rollback', actor: alice }, 'invalid_input'],
    ['pausing a rollback', rollingBackState, { type: 'pause', actor: alice }, 'release_finished'],
    ['superseding during a rollback', rollingBackState, { type: 'supersede', actor: alice, service: 'checkout', version: 'v3', versionSetId: 8, history: [] }, 'invalid_input'],
    ['approving a finished release', finishedState, { type: 'approve', actor: carol }, 'release_finished'],
    ['pausing a finished release', finishedState, { type: 'pause', actor: alice }, 'release_finished'],
    ['resuming a finished release', finishedState, { type: 'resume', actor: alice }, 'release_finished'],
    ['promoting a finished release', finishedState, { type: 'promote', actor: alice }, 'release_finished'],
    ['rolling back a finished release', finishedState, { type: 'rollback', actor: alice }, 'release_finished'],
    ['aborting a finished release', finishedState, { type: 'abort', actor: alice }, 'release_finished'],
    ['superseding a finished release', finishedState, { type: 'supersede', actor: alice, service: 'checkout', version: 'v3', versionSetId: 8, history: [] }, 'release_finished'],
  ];
  it.each(cases)('refuses %s', (_name, state, input, code, ctx) => {
    const decision = decide(state(), input, T0, ctx ?? context());
    expect(decision).toMatchObject({ kind: 'refused', code });
    expect(decision.kind === 'refused' && decision.message.length).toBeGreaterThan(10);
  });

  it('refuses superseding a service already converged in the current environment', () => {
    const ctx = context(facts({}, { staging: { checkout: { version: 'v2', infraSetId: 's' }, payments: { version: 'v2', infraSetId: 'p' } } }));
    // payments converges first, then checkout: once the cursor is past payments' finalize, payments is done.
    let state = started(ctx, { checkout: 'v2', payments: 'v2' });
    state = { ...state, cursor: state.plan.steps.findIndex((s) => s.service === 'checkout'), phase: { kind: 'waiting', since: T0.toISOString(), blockedBy: [] } };
    expect(decide(state, { type: 'supersede', actor: alice, service: 'payments', version: 'v3', versionSetId: 9, history: [] }, T0, ctx)).toMatchObject({ kind: 'refused', code: 'not_in_flight' });
  });
});

describe('who may give an input: one check, before anything about the release', () => {
  // The release service runs the same check on the row it read before it locks or decides anything.
  const outsiders: Array<[string, Extract<ReleaseInput, { actor: Actor }>]> = [
    ['approving', { type: 'approve', actor: alice }],
    ['pausing', { type: 'pause', actor: frank }],
    ['resuming', { type: 'resume', actor: frank }],
    ['promoting', { type: 'promote', actor: frank }],
    ['rolling back', { type: 'rollback', actor: frank }],
    ['aborting', { type: 'abort', actor: frank }],
    ['superseding', { type: 'supersede', actor: frank, service: 'checkout', version: 'v3', versionSetId: 8, history: [] }],
    ['stopping the line', { type: 'pause', actor: alice, lineStop: 1 }],
  ];
  const states: Array<[string, () => ReleaseState]> = [
    ['waiting for approval', started],
    ['baking', baking],
    ['paused', pausedState],
    ['rolling back', rollingBackState],
    ['finished', finishedState],
  ];
  it.each(outsiders)('an outsider %s is refused alike in every state, as mayActOn says', (_name, input) => {
    const answers = states.map(([, state]) => {
      expect(mayActOn(context().config, state(), input).ok).toBe(false);
      return decide(state(), input, T0, context());
    });
    expect(answers[0]).toMatchObject({ kind: 'refused', code: 'not_authorized' });
    // The refusal says nothing of where the release stands: the same words whatever its state.
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
  });

  it('an operator the check lets through is answered by the state', () => {
    expect(mayActOn(context().config, finishedState(), { type: 'pause', actor: alice }).ok).toBe(true);
    expect(decide(finishedState(), { type: 'pause', actor: alice }, T0, context())).toMatchObject({ kind: 'refused', code: 'release_finished' });
  });
});

describe('transitions', () => {
  it('starts by waiting for approval, with the reason as a value', () => {
    const state = started();
    expect(state.phase).toMatchObject({ kind: 'waiting', blockedBy: [{ gate: 'approvals', code: 'approvals_missing' }] });
    expect(releaseStatus(state)).toBe('waiting');
  });

  it('approve → provision → shift 1% → bake → measure → pass → 10% → … → finalize → succeeded', () => {
    const approved = step(started(), { type: 'approve', actor: bob });
    expect(approved.state.phase.kind).toBe('provisioning');
    expect(effectOf(approved, 'provision')).toMatchObject({ service: 'checkout', version: 'v2', infraSetId: 'is-r1-production-checkout' });

    const provisioned = step(approved.state, { type: 'provisioned', token: token(approved.state), outcome: { kind: 'done' } });
    expect(effectOf(provisioned, 'set_weights').weights).toEqual({ 'is-r1-production-checkout': 1, 'is-prod-v1': 99 });
    expect(effectOf(provisioned, 'record_provisioned').infraSetId).toBe('is-r1-production-checkout');

    const shifted = step(provisioned.state, { type: 'traffic_applied', token: token(provisioned.state), outcome: { kind: 'applied', verified: true } });
    expect(shifted.state.phase).toMatchObject({ kind: 'baking', bakeUntil: at(10).toISOString(), nextMeasureAt: at(1).toISOString() });
    expect(effectOf(shifted, 'record_weights')).toMatchObject({ weights: { 'is-r1-production-checkout': 1, 'is-prod-v1': 99 } });
    expect(shifted.nextTickAt).toBe(at(1).toISOString());

    // Nothing due yet: a tick changes nothing.
    const early = step(shifted.state, { type: 'tick' }, at(0.5));
    expect(early.events).toEqual([]);
    expect(early.effects).toEqual([]);

    let state = shifted.state;
    for (let minute = 1; minute <= 10; minute += 1) state = reading(state, 'pass', at(minute)).state;
    expect(state.phase).toMatchObject({ kind: 'shifting', weights: { 'is-r1-production-checkout': 10, 'is-prod-v1': 90 } });
    expect(state.lastHealth).toMatchObject({ verdict: 'pass', stage: 'canary' });
  });

  it('finalizes after the 100% stage: converged effect, then succeeded', () => {
    let state = baking();
    const last = state.plan.steps.findIndex((s) => s.kind === 'stage' && s.weight === 100);
    state = { ...state, cursor: last, phase: { kind: 'waiting', since: T0.toISOString(), blockedBy: [] } };
    const shifting = step(state, { type: 'tick' });
    // The set that served before stays listed, at 0: warm, not retired.
    expect(effectOf(shifting, 'set_weights').weights).toEqual({ 'is-r1-production-checkout': 100, 'is-prod-v1': 0 });
    const applied = step(shifting.state, { type: 'traffic_applied', token: token(shifting.state), outcome: { kind: 'applied', verified: true } });
    const promoted = step(applied.state, { type: 'promote', actor: bob });
    expect(effectOf(promoted, 'converged')).toEqual({ kind: 'converged', environment: 'production', service: 'checkout', infraSetId: 'is-r1-production-checkout', previousInfraSetId: 'is-prod-v1' });
    expect(promoted.state.phase).toMatchObject({ kind: 'finished', outcome: 'succeeded' });
    expect(promoted.nextTickAt).toBeNull();
    expect(promoted.effects.map((effect) => effect.kind)).toContain('card');
  });

  it('a finished bake whose last reading was unclear waits (short of a hold); a pass then promotes', () => {
    let state = baking();
    for (let minute = 1; minute <= 8; minute += 1) state = reading(state, 'pass', at(minute)).state;
    for (const minute of [9, 10]) state = reading(state, 'inconclusive', at(minute)).state;
    expect(state.phase.kind).toBe('baking');
    expect(releaseStatus(state)).toBe('running');
    state = reading(state, 'pass', at(11)).state;
    expect(state.phase.kind).toBe('shifting');
  });

  it('N consecutive fails roll back at once; a pass in between resets the count', () => {
    let state = reading(baking(), 'fail', at(1)).state;
    state = reading(state, 'pass', at(2)).state;
    state = reading(state, 'fail', at(3)).state;
    expect(state.phase.kind).toBe('baking');
    const failed = reading(state, 'fail', at(4));
    expect(failed.state.phase).toMatchObject({ kind: 'rolling_back', outcome: 'rolled_back' });
    expect(effectOf(failed, 'set_weights')).toMatchObject({ purpose: 'rollback', weights: { 'is-prod-v1': 100 } });
    expect(failed.effects).toContainEqual(expect.objectContaining({ kind: 'notify', channel: '#team-checkout' }));
    expect(failed.state.discarded).toContain('is-r1-production-checkout');
    const done = step(failed.state, { type: 'traffic_applied', token: token(failed.state), outcome: { kind: 'applied', verified: true } }, at(4));
    expect(done.state.phase).toMatchObject({ kind: 'finished', outcome: 'rolled_back' });
    expect(effectOf(done, 'record_weights')).toMatchObject({ weights: { 'is-prod-v1': 100 }, discard: ['is-r1-production-checkout'] });
  });

  it('a failure rolls back every environment the release moved: the current one first, each in reverse dependency order', () => {
    const serving: WorldFacts['serving'] = {
      staging: { checkout: { version: 'v1', infraSetId: 'is-stg-v1' }, payments: { version: 'v1', infraSetId: 'is-stg-pay-v1' } },
      production: { checkout: { version: 'v1', infraSetId: 'is-prod-v1' }, payments: { version: 'v1', infraSetId: 'is-prod-pay-v1' } },
    };
    const planned = planRelease({ releaseId: 'r1', config: exampleShopConfig(), versionSetId: 7, versions: { checkout: 'v2', payments: 'v2' }, environment: 'production', serving });
    if (!planned.ok) throw new Error(planned.refusal.message);
    const canary = planned.plan.steps.findIndex((s) => s.kind === 'stage' && s.environment === 'production' && s.service === 'checkout');
    // Everything before production's checkout canary is done: payments converged in both, checkout in staging.
    const state: ReleaseState = {
      ...newReleaseState({ id: 'r1', requester: alice, plan: planned.plan, now: T0, target: { kind: 'set', versionSetId: 7 } }),
      cursor: canary,
      approvals: [{ environment: 'production', userId: 'U0BOB', at: T0.toISOString() }],
      moved: [
        { environment: 'staging', service: 'payments', fromInfraSetId: 'is-stg-pay-v1', fromVersion: 'v1' },
        { environment: 'staging', service: 'checkout', fromInfraSetId: 'is-stg-v1', fromVersion: 'v1' },
        { environment: 'production', service: 'payments', fromInfraSetId: 'is-prod-pay-v1', fromVersion: 'v1' },
        // Recorded before the first move kept what served: the plan's rollback order stands in.
        { environment: 'production', service: 'checkout' },
      ],
      phase: {
        kind: 'baking', startedAt: T0.toISOString(), bakeUntil: at(10).toISOString(), nextMeasureAt: at(1).toISOString(), measuredUntil: T0.toISOString(),
        measuring: null, evidence: null, consecutiveFails: 0, consecutiveUnclear: 0, lastVerdict: null, askedHuman: false,
      },
    };
    const failed = reading(reading(state, 'fail', at(1)).state, 'fail', at(2));
    const phase = failed.state.phase;
    if (phase.kind !== 'rolling_back') throw new Error(`expected rolling_back, got ${phase.kind}`);
    expect([phase.inFlight, ...phase.pending].map((move) => [move!.environment, move!.service, move!.toInfraSetId])).toEqual([
      ['production', 'checkout', 'is-prod-v1'],
      ['production', 'payments', 'is-prod-pay-v1'],
      ['staging', 'checkout', 'is-stg-v1'],
      ['staging', 'payments', 'is-stg-pay-v1'],
    ]);
    expect(failed.state.discarded).toEqual(expect.arrayContaining(['is-r1-staging-payments', 'is-r1-staging-checkout', 'is-r1-production-payments', 'is-r1-production-checkout']));
    // Both environments' channels and both owning teams hear of it.
    expect(failed.effects.filter((effect) => effect.kind === 'notify').map((effect) => effect.channel)).toEqual(expect.arrayContaining(['#deploys', '#team-checkout', '#team-payments']));
    // Each confirmed move starts the next, in that order, then the release ends rolled back.
    let current = failed.state;
    const recorded: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      const next = step(current, { type: 'traffic_applied', token: token(current), outcome: { kind: 'applied', verified: true } }, at(2));
      const record = effectOf(next, 'record_weights');
      recorded.push(`${record.environment}/${record.service}`);
      current = next.state;
    }
    expect(recorded).toEqual(['production/checkout', 'production/payments', 'staging/checkout', 'staging/payments']);
    expect(current.phase).toMatchObject({ kind: 'finished', outcome: 'rolled_back' });
  });

  it('inconclusive or error N times in a row asks a human once, and never promotes', () => {
    let state = baking();
    const verdicts: Verdict[] = ['error', 'inconclusive'];
    let asked = 0;
    for (let minute = 1; minute <= 12; minute += 1) {
      const decision = reading(state, verdicts[minute % 2]!, at(minute));
      asked += decision.events.filter((event) => event.type === 'held').length;
      state = decision.state;
    }
    expect(asked).toBe(1);
    expect(state.phase).toMatchObject({ kind: 'baking', askedHuman: true });
    const resumed = step(state, { type: 'resume', actor: alice }, at(12));
    expect(resumed.state.phase).toMatchObject({ kind: 'baking', askedHuman: false, consecutiveUnclear: 0 });
  });

  it('a judge still deciding is waited for through the bake; past it a human is asked, and Resume gives it another bake', () => {
    // The production canary bakes 10 minutes, measured every minute, holdAfter 3.
    let state = baking();
    for (let minute = 1; minute <= 9; minute += 1) {
      const decision = deciding(state, at(minute));
      expect(heldEvents(decision)).toEqual([]);
      state = decision.state;
    }
    expect(state.phase).toMatchObject({ kind: 'baking', askedHuman: false, consecutiveUnclear: 0 });
    expect(releaseStatus(state)).toBe('running');
    // Past the bake still no verdict: after holdAfter such readings, a human decides.
    const held: string[] = [];
    for (const minute of [10, 11, 12]) {
      const decision = deciding(state, at(minute));
      held.push(...heldEvents(decision).map((event) => event.message));
      state = decision.state;
    }
    expect(held).toEqual([expect.stringContaining('no verdict yet, 3 readings past its bake')]);
    expect(releaseStatus(state)).toBe('held');
    // Resumed, the judge has another bake's time: more readings on their way to a verdict hold nothing.
    state = step(state, { type: 'resume', actor: bob }, at(12)).state;
    for (let minute = 13; minute <= 21; minute += 1) {
      const decision = deciding(state, at(minute));
      expect(heldEvents(decision)).toEqual([]);
      state = decision.state;
    }
    // A pass then promotes: the bake itself ended long ago.
    const passed = reading(state, 'pass', at(22));
    expect(passed.events.map((event) => event.type)).toContain('stage_passed');
  });

  it('readings that cannot judge count during the bake even between readings still deciding', () => {
    let state = baking();
    state = reading(state, 'error', at(1)).state;
    state = deciding(state, at(2)).state;
    // The deciding reading measured: the errors before it are no longer "in a row".
    const held: string[] = [];
    for (const minute of [3, 4, 5]) {
      const decision = reading(state, minute === 4 ? 'inconclusive' : 'error', at(minute));
      held.push(...heldEvents(decision).map((event) => event.message));
      state = decision.state;
    }
    expect(held).toEqual([expect.stringContaining('error 3× in a row')]);
  });

  it('a held release stays held when health recovers, says since when, and moves on Resume', () => {
    let state = baking();
    for (const minute of [1, 2, 3]) state = reading(state, 'inconclusive', at(minute)).state;
    expect(releaseStatus(state)).toBe('held');
    expect(state.phase).toMatchObject({ kind: 'baking', hold: { since: at(3).toISOString(), asked: expect.arrayContaining(['#team-checkout', 'U0ALICE']), passingSince: null } });
    const cursor = state.cursor;
    // Well past the bake, every reading passes: the release says so and still waits.
    for (let minute = 4; minute <= 20; minute += 1) {
      const decision = reading(state, 'pass', at(minute));
      expect(decision.effects.filter((effect) => effect.kind === 'set_weights')).toEqual([]);
      state = decision.state;
    }
    expect(releaseStatus(state)).toBe('held');
    expect(state.cursor).toBe(cursor);
    expect(state.phase).toMatchObject({ kind: 'baking', hold: { passingSince: at(4).toISOString() } });
    // An unclear reading takes the "passing again" back.
    state = reading(state, 'error', at(21)).state;
    expect(state.phase).toMatchObject({ kind: 'baking', hold: { passingSince: null } });
    state = reading(state, 'pass', at(22)).state;
    const resumed = step(state, { type: 'resume', actor: bob }, at(22));
    expect(releaseStatus(resumed.state)).toBe('running');
    expect(effectOf(resumed, 'set_weights').purpose).toBe('stage');
  });

  it('ignores stale results (another token) without any event', () => {
    const state = baking();
    for (const input of [
      { type: 'provisioned', token: 'r1:999', outcome: { kind: 'done' } },
      { type: 'traffic_applied', token: 'r1:999', outcome: { kind: 'applied', verified: true } },
      { type: 'health_reading', token: 'r1:999', reading: { verdict: 'fail', checks: [], evidence: null } },
    ] satisfies ReleaseInput[]) {
      const decision = step(state, input, at(0.1));
      expect(decision.events).toEqual([]);
      expect(decision.state).toEqual(state);
    }
  });

  it('a failed provisioning or traffic shift rolls back', () => {
    const approved = step(started(), { type: 'approve', actor: bob }).state;
    const failed = step(approved, { type: 'provisioned', token: token(approved), outcome: { kind: 'failed', retryable: false, reason: 'no capacity' } });
    // Nothing moved yet: the rollback has nothing to do and the release ends at once.
    expect(failed.state.phase).toMatchObject({ kind: 'finished', outcome: 'rolled_back', reason: expect.stringContaining('no capacity') });

    const provisioned = step(approved, { type: 'provisioned', token: token(approved), outcome: { kind: 'done' } }).state;
    const refused = step(provisioned, { type: 'traffic_applied', token: token(provisioned), outcome: { kind: 'failed', retryable: false, reason: 'router down' } });
    expect(refused.state.phase).toMatchObject({ kind: 'rolling_back' });
    expect(effectOf(refused, 'set_weights').weights).toEqual({ 'is-prod-v1': 100 });
  });

  it('pause stops the cursor but not measuring or rolling back', () => {
    let state = step(baking(), { type: 'pause', actor: alice }).state;
    expect(releaseStatus(state)).toBe('paused');
    for (let minute = 1; minute <= 12; minute += 1) state = reading(state, 'pass', at(minute)).state;
    expect(state.phase.kind).toBe('baking');
    expect(step(state, { type: 'resume', actor: alice }, at(12.5)).state.phase.kind).toBe('shifting');
    state = reading(state, 'fail', at(13)).state;
    expect(reading(state, 'fail', at(14)).state.phase.kind).toBe('rolling_back');
  });

  it('abort rolls traffic back and ends as aborted', () => {
    const aborted = step(baking(), { type: 'abort', actor: bob });
    expect(aborted.state.phase).toMatchObject({ kind: 'rolling_back', outcome: 'aborted' });
    const done = step(aborted.state, { type: 'traffic_applied', token: token(aborted.state), outcome: { kind: 'applied', verified: true } });
    expect(releaseStatus(done.state)).toBe('aborted');
  });

  it('supersede ships the fix through staging first, then redoes the current stage with a fresh infra-set', () => {
    const decision = step(baking(), { type: 'supersede', actor: alice, service: 'checkout', version: 'v2.1', versionSetId: 8, history: [] });
    expect(decision.state.discarded).toContain('is-r1-production-checkout');
    expect(decision.state.plan.versionSetId).toBe(8);
    expect(effectOf(decision, 'provision')).toMatchObject({ environment: 'staging', version: 'v2.1', infraSetId: 'is-r1-staging-checkout-s1' });
    const upcoming = decision.state.plan.steps.slice(decision.state.cursor).map((s) => `${s.kind}:${s.environment}:${s.kind === 'stage' ? s.weight : ''}`);
    expect(upcoming).toEqual(['provision:staging:', 'stage:staging:100', 'finalize:staging:', 'provision:production:', 'stage:production:1', 'stage:production:10', 'stage:production:100', 'finalize:production:']);
    // Staging now serves the fix: production mints its infra-set and redoes the canary with it.
    const stagingDone: ReleaseState = { ...decision.state, cursor: decision.state.cursor + 3, phase: { kind: 'waiting', since: T0.toISOString(), blockedBy: [] } };
    const ctx = context(facts({}, { staging: { checkout: { version: 'v2.1', infraSetId: 'is-r1-staging-checkout-s1' } } }));
    const provisioning = step(stagingDone, { type: 'tick' }, T0, ctx);
    expect(effectOf(provisioning, 'provision')).toMatchObject({ environment: 'production', infraSetId: 'is-r1-production-checkout-s1' });
    const next = step(provisioning.state, { type: 'provisioned', token: token(provisioning.state), outcome: { kind: 'done' } }, T0, ctx);
    expect(effectOf(next, 'set_weights').weights).toEqual({ 'is-r1-production-checkout-s1': 1, 'is-prod-v1': 99 });
  });
});

describe('supersede: the same fix twice', () => {
  it('knows when a release in flight already ships that version of the service, and never once it is over', () => {
    const state = baking();
    expect(alreadyShips(state, 'checkout', 'v2')).toBe(true);
    expect(alreadyShips(state, 'checkout', 'v2.1')).toBe(false);
    expect(alreadyShips(state, 'web', 'v2')).toBe(false);
    const fixed = step(state, { type: 'supersede', actor: alice, service: 'checkout', version: 'v2.1', versionSetId: 8, history: [] }).state;
    expect(alreadyShips(fixed, 'checkout', 'v2.1')).toBe(true);
    const aborted = step(fixed, { type: 'abort', actor: alice }).state;
    expect(alreadyShips(aborted, 'checkout', 'v2.1')).toBe(false);
  });
});

describe('supersede: what the fix ships', () => {
  const merged = (version: string, firstSetId: number, pullNumber: number | null, title: string | null = null) => ({ version, firstSetId, commitSha: version, pullNumber, repo: 'acme/checkout', title });

  it('lists the merged pull requests and commits between what serves and the fix, in every environment it goes to', () => {
    const history = [
      { version: 'v1', firstSetId: 1, commitSha: null, pullNumber: null, repo: null, title: null },
      { version: 'v2', firstSetId: 2, commitSha: null, pullNumber: null, repo: null, title: null },
      merged('c0ffee1', 4, 12, 'Cart keeps coupons'),
      merged('c0ffee2', 5, null),
      merged('c0ffee3', 6, 13, 'Retry payments on 503'),
      merged('c0ffee9', 9, 14, 'Not in the fix'),
    ];
    const decision = step(baking(), { type: 'supersede', actor: alice, service: 'checkout', version: 'c0ffee3', versionSetId: 8, history });
    // Staging serves v2 and production v1: both get the fix's pull requests and the bare commit.
    for (const [environment, serving] of [['staging', 'v2'], ['production', 'v1']] as const) {
      const change = decision.state.plan.environments.find((plan) => plan.environment === environment)!.changes.find((candidate) => candidate.service === 'checkout')!;
      expect(change.shipment, environment).toMatchObject({
        direction: 'upgrade',
        compareUrl: `https://github.com/acme/checkout/compare/${serving}...c0ffee3`,
        pulls: [
          { number: 13, title: 'Retry payments on 503', url: 'https://github.com/acme/checkout/pull/13' },
          { number: 12, title: 'Cart keeps coupons', url: 'https://github.com/acme/checkout/pull/12' },
        ],
        commits: [{ sha: 'c0ffee2', url: 'https://github.com/acme/checkout/commit/c0ffee2' }],
      });
    }
  });
});

describe('gates', () => {
  const gateCases: Array<[string, Partial<EnvironmentFacts>, string, string | undefined]> = [
    ['a closed window', { window: { open: false, reopensAt: '2026-11-18T14:00:00.000Z', reason: 'outside the maintenance window' } }, 'window_closed', '2026-11-18T14:00:00.000Z'],
    ['a freeze', { freeze: { frozen: true, reason: 'incident 123', until: '2026-11-17T17:00:00.000Z' } }, 'frozen', '2026-11-17T17:00:00.000Z'],
    ['a lock held by someone else', { lock: { holder: 'U0BOB', reason: 'migration' } }, 'environment_locked', undefined],
  ];
  it.each(gateCases)('waits on %s, saying when it opens', (_name, production, code, opensAt) => {
    const ctx = context(facts(production));
    const state = step(started(ctx), { type: 'approve', actor: bob }, T0, ctx);
    expect(state.state.phase).toMatchObject({ kind: 'waiting', blockedBy: [expect.objectContaining({ code, ...(opensAt ? { opensAt } : {}) })] });
    expect(state.effects.some((effect) => effect.kind === 'provision')).toBe(false);
    expect(Date.parse(state.nextTickAt!)).toBeLessThanOrEqual(opensAt ? Date.parse(opensAt) : at(60).getTime());
  });

  it('lets the lock holder through their own lock', () => {
    const ctx = context(facts({ lock: { holder: 'U0ALICE', reason: null } }));
    expect(step(started(ctx), { type: 'approve', actor: bob }, T0, ctx).state.phase.kind).toBe('provisioning');
  });

  it('waits for the previous environment to converge, polling every minute', () => {
    const ctx = context(facts({}, { staging: { checkout: { version: 'v1', infraSetId: 'is-stg-v1' } } }));
    const planned = planRelease({ releaseId: 'r1', config: ctx.config, versionSetId: 7, versions: { checkout: 'v2' }, environment: 'production', serving: ctx.facts.serving });
    if (!planned.ok) throw new Error();
    // Skip staging's steps, as if someone else had moved staging meanwhile.
    const state = { ...newReleaseState({ id: 'r1', requester: alice, plan: planned.plan, now: T0 }), approvals: [{ environment: 'production', userId: 'U0BOB', at: T0.toISOString() }] };
    state.cursor = state.plan.steps.findIndex((s) => s.environment === 'production');
    const decision = step(state, { type: 'tick' }, T0, ctx);
    expect(decision.state.phase).toMatchObject({ blockedBy: [expect.objectContaining({ code: 'previous_environment_not_converged' })] });
    expect(decision.nextTickAt).toBe(at(1).toISOString());
  });

  it('a consumer waits for its provider in the same release', () => {
    const ctx = context(facts({}, { staging: { checkout: { version: 'v2', infraSetId: 'a' }, web: { version: 'v2', infraSetId: 'b' } }, production: {} }));
    const state = started(ctx, { checkout: 'v2', web: 'v2' });
    const webStage = state.plan.steps.findIndex((s) => s.service === 'web' && s.kind === 'stage');
    const jumped = { ...state, approvals: [{ environment: 'production', userId: 'U0BOB', at: T0.toISOString() }], cursor: webStage, phase: { kind: 'waiting' as const, since: T0.toISOString(), blockedBy: [] } };
    expect(step(jumped, { type: 'tick' }, T0, ctx).state.phase).toMatchObject({ blockedBy: [expect.objectContaining({ gate: 'dependencies', code: 'dependencies_not_converged' })] });
  });
});

describe('timers', () => {
  it('next tick: measurement or bake end while baking, none when finished, none when paused and waiting', () => {
    const state = baking();
    expect(nextTickAt(state, T0, exampleShopConfig())).toBe(at(1).toISOString());
    expect(nextTickAt(finishedState(), T0, exampleShopConfig())).toBeNull();
    const pausedWaiting: ReleaseState = { ...started(), paused: { by: 'U0ALICE', at: T0.toISOString() } };
    expect(nextTickAt(pausedWaiting, T0, exampleShopConfig())).toBeNull();
  });
});

describe('stage charts', () => {
  function measuredReading(state: ReleaseState, verdict: Verdict, now: Date, errorRate: number) {
    const measured = step(state, { type: 'tick' }, now);
    // A bake that ended with a passing reading moves on at the tick, before another reading.
    if (measured.state.phase.kind !== 'baking') return measured;
    const values = { requests: 1000, errors: errorRate * 1000, errorRate, baselineRequests: 9000, baselineErrors: 45, baselineErrorRate: 0.005, ratio: errorRate / 0.005 };
    return step(measured.state, { type: 'health_reading', token: token(measured.state), reading: { verdict, checks: [{ check: 'errors', verdict, summary: verdict, values }], evidence: { n: 1 } } }, now);
  }
  const charts = (decision: { effects: ReleaseEffect[] }) => decision.effects.filter((effect): effect is Extract<ReleaseEffect, { kind: 'chart' }> => effect.kind === 'chart');

  it('a judged stage that passes posts one chart of its readings: canary, baseline, the limit, the verdict moment', () => {
    let state = baking();
    let posted: ReturnType<typeof charts> = [];
    for (let minute = 1; minute <= 10 && state.phase.kind === 'baking'; minute += 1) {
      const decision = measuredReading(state, 'pass', at(minute), 0.004);
      posted = [...posted, ...charts(decision)];
      state = decision.state;
    }
    expect(state.phase.kind).toBe('shifting');
    expect(posted).toHaveLength(1);
    const chart = posted[0]!.chart;
    expect(chart).toMatchObject({ releaseId: 'r1', environment: 'production', service: 'checkout', version: 'v2', stage: 'canary', weight: 1, outcome: 'passed', startedAt: T0.toISOString(), verdictAt: at(10).toISOString() });
    expect(chart.series).toHaveLength(1);
    // Limit: the baseline's rate times maxRatioToBaseline (2): the bound the canary is judged against.
    expect(chart.series[0]).toMatchObject({ check: 'errors', unit: 'share', bound: 'ceiling', verdict: 'pass' });
    expect(chart.series[0]!.points).toHaveLength(9);
    expect(chart.series[0]!.points[0]).toEqual({ at: at(1).toISOString(), canary: 0.004, baseline: 0.005, limit: 0.01 });
  });

  it('a failing stage posts its chart at once, with the rollback', () => {
    let state = measuredReading(baking(), 'fail', at(1), 0.02).state;
    const failed = measuredReading(state, 'fail', at(2), 0.03);
    state = failed.state;
    expect(state.phase.kind).toBe('rolling_back');
    expect(charts(failed).map((effect) => effect.chart.outcome)).toEqual(['failed']);
    expect(charts(failed)[0]!.chart.series[0]!.points.map((point) => point.canary)).toEqual([0.02, 0.03]);
  });

  it('a held stage posts its chart when it holds, and a promoted one when it is promoted', () => {
    let state = baking();
    let held: ReturnType<typeof charts> = [];
    for (let minute = 1; minute <= 3; minute += 1) {
      const decision = measuredReading(state, 'inconclusive', at(minute), 0.006);
      held = [...held, ...charts(decision)];
      state = decision.state;
    }
    expect(held.map((effect) => effect.chart.outcome)).toEqual(['held']);
    const promoted = step(state, { type: 'promote', actor: alice }, at(4));
    expect(charts(promoted).map((effect) => effect.chart.outcome)).toEqual(['promoted']);
  });

  it('a stage with no reading yet posts no chart', () => {
    const promoted = step(baking(), { type: 'promote', actor: alice }, at(0));
    expect(charts(promoted)).toEqual([]);
  });
});

describe('the watch window after 100%', () => {
  const watched = () => context(facts(), exampleShopConfig({ production: { watch: '30m' } }));

  /** Walks the production canary to 100% on passing readings, a minute at a time, until the watch starts. */
  function toWatch(ctx: DecideContext): { state: ReleaseState; minute: number } {
    let state = baking(ctx);
    let minute = 0;
    while (state.phase.kind !== 'watching' && minute < 60) {
      minute += 1;
      let decision = step(state, { type: 'tick' }, at(minute), ctx);
      if (decision.state.phase.kind === 'shifting') decision = step(decision.state, { type: 'traffic_applied', token: token(decision.state), outcome: { kind: 'applied', verified: true } }, at(minute), ctx);
      const phase = decision.state.phase;
      if (phase.kind === 'baking' && phase.measuring) {
        const evidence = { v: 1, canary: 'is-r1-production-checkout', baseline: 'is-prod-v1', weight: currentWeight(decision.state), checks: {} };
        decision = step(decision.state, { type: 'health_reading', token: phase.measuring, reading: { verdict: 'pass', checks: [], evidence } }, at(minute), ctx);
      }
      state = decision.state;
    }
    return { state, minute };
  }
  const currentWeight = (state: ReleaseState) => {
    const current = state.plan.steps[state.cursor];
    return current?.kind === 'stage' ? current.weight : 100;
  };
  const watchToken = (state: ReleaseState) => (state.phase.kind === 'watching' ? state.phase.services[0]!.measuring! : '');

  it('the plan says so up front, and the watch starts after the service converged at 100%, its previous set the baseline', () => {
    const ctx = watched();
    const release = started(ctx);
    expect(release.plan.steps.at(-1)).toMatchObject({ kind: 'watch', environment: 'production', seconds: 1800, services: [{ service: 'checkout', previous: { infraSetId: 'is-prod-v1', version: 'v1' } }] });
    expect(release.plan.environments.find((env) => env.environment === 'production')?.notes).toContain('after 100%, health is watched for 30m with the previous infra-sets warm: a breach rolls back at once');
    const { state, minute } = toWatch(ctx);
    expect(state.phase).toMatchObject({ kind: 'watching', until: at(minute + 30).toISOString() });
    expect(releaseStatus(state)).toBe('running');
    // The watch starts from what the 100% stage measured of the baseline: a fresh test for the canary.
    expect(state.phase.kind === 'watching' && state.phase.services[0]!.evidence).toMatchObject({ canary: 'is-r1-production-checkout', baseline: 'is-prod-v1', weight: 100 });
  });

  it('offers no supersede in the window: the service converged, so a fix ships as a new release', () => {
    const ctx = watched();
    expect(supersedableServices(baking(ctx))).toEqual(['checkout']);
    const { state } = toWatch(ctx);
    expect(supersedableServices(state)).toEqual([]);
    expect(decide(state, { type: 'supersede', actor: alice, service: 'checkout', version: 'v3', versionSetId: 8, history: [] }, T0, ctx)).toMatchObject({ kind: 'refused', code: 'not_in_flight' });
  });

  it('measures the new set against the warm previous one each interval, and succeeds when the window closes without a breach', () => {
    const ctx = watched();
    const walked = toWatch(ctx);
    const minute = walked.minute;
    let state = walked.state;
    const measured = step(state, { type: 'tick' }, at(minute + 1), ctx);
    expect(effectOf(measured, 'measure')).toMatchObject({ service: 'checkout', canary: { infraSetId: 'is-r1-production-checkout' }, baseline: { infraSetId: 'is-prod-v1', version: 'v1' }, weight: 100 });
    state = step(measured.state, { type: 'health_reading', token: watchToken(measured.state), reading: { verdict: 'inconclusive', checks: [], evidence: null } }, at(minute + 1), ctx).state;
    expect(state.phase.kind).toBe('watching');
    const done = step(state, { type: 'tick' }, at(minute + 30), ctx);
    expect(done.state.phase).toMatchObject({ kind: 'finished', outcome: 'succeeded' });
    expect(done.events.map((event) => event.type)).toContain('watch_passed');
  });

  it('a breach in the window rolls back at once to the previous infra-set, naming the service that failed (a late rollback)', () => {
    const ctx = watched();
    const walked = toWatch(ctx);
    const minute = walked.minute;
    let state = walked.state;
    const fail = (at: Date) => {
      const measured = step(state, { type: 'tick' }, at, ctx);
      return step(measured.state, { type: 'health_reading', token: watchToken(measured.state), reading: { verdict: 'fail', checks: [{ check: 'errors', verdict: 'fail', summary: 'errors 2.4% vs baseline 0.5% (4.8×)', values: {} }], evidence: null } }, at, ctx);
    };
    state = fail(at(minute + 1)).state;
    expect(state.phase.kind).toBe('watching');
    const late = fail(at(minute + 2));
    expect(late.state.phase).toMatchObject({ kind: 'rolling_back', outcome: 'rolled_back' });
    expect(late.state.phase.kind === 'rolling_back' && late.state.phase.reason).toBe('late rollback: checkout failed health in production during the watch window 2× in a row (errors: errors 2.4% vs baseline 0.5% (4.8×))');
    expect(late.events).toContainEqual(expect.objectContaining({ type: 'late_rollback', data: { service: 'checkout', environment: 'production' } }));
    expect(effectOf(late, 'set_weights')).toMatchObject({ purpose: 'rollback', weights: { 'is-prod-v1': 100 } });
    const done = step(late.state, { type: 'traffic_applied', token: token(late.state), outcome: { kind: 'applied', verified: true } }, at(minute + 2), ctx);
    expect(done.state.phase).toMatchObject({ kind: 'finished', outcome: 'rolled_back' });
  });

  it('a breach of an irreversible version holds the watch open for a human instead of rolling back; Resume goes on judging', () => {
    const ctx = watched();
    ctx.config.services.checkout!.irreversible = ['v2'];
    const walked = toWatch(ctx);
    let state = walked.state;
    const fail = (now: Date) => {
      const measured = step(state, { type: 'tick' }, now, ctx);
      return step(measured.state, { type: 'health_reading', token: watchToken(measured.state), reading: { verdict: 'fail', checks: [], evidence: null } }, now, ctx);
    };
    state = fail(at(walked.minute + 1)).state;
    const held = fail(at(walked.minute + 2));
    state = held.state;
    expect(held.events.map((event) => event.type)).toContain('held_irreversible');
    expect(held.effects.some((effect) => effect.kind === 'set_weights')).toBe(false);
    expect(releaseStatus(state)).toBe('held');
    // It has converged, so no supersede can roll it forward here: the notice offers what works.
    const notice = held.effects.find((effect) => effect.kind === 'notify');
    expect(notice && notice.kind === 'notify' && notice.text).toContain('Press Roll back and confirm to go back to the previous infra-set, or Resume to keep it: the release ends when the watch window closes, and the fix ships as a new release (`/deploy checkout@… to production`)');
    const summary = toReleaseView(state, { version: 1, updatedAt: at(walked.minute + 2).toISOString() }, ctx.config, ctx.facts, at(walked.minute + 2)).summary;
    expect(summary).toContain('held: checkout fails health but is irreversible — Roll back and confirm, or Resume and ship the fix as a new release when the watch closes');
    expect(decide(state, { type: 'supersede', actor: alice, service: 'checkout', version: 'v3', versionSetId: 9, history: [] }, at(walked.minute + 2), ctx)).toMatchObject({ kind: 'refused', code: 'not_in_flight' });
    // The window closing does not end it while it is held.
    expect(step(state, { type: 'tick' }, at(walked.minute + 40), ctx).state.phase.kind).toBe('watching');
    const resumed = step(state, { type: 'resume', actor: alice }, at(walked.minute + 3), ctx);
    expect(releaseStatus(resumed.state)).toBe('running');
    expect(step(resumed.state, { type: 'tick' }, at(walked.minute + 40), ctx).state.phase).toMatchObject({ kind: 'finished', outcome: 'succeeded' });
  });

  it('no gate holds a watch: a freeze coming down after 100% does not stop the judging', () => {
    const ctx = watched();
    const { state, minute } = toWatch(ctx);
    const frozen = context(facts({ freeze: { frozen: true, reason: 'incident', by: 'U0BOB' } as never }), ctx.config);
    expect(step(state, { type: 'tick' }, at(minute + 1), frozen).effects.some((effect) => effect.kind === 'measure')).toBe(true);
  });
});

describe('irreversible versions', () => {
  const irreversible = () => {
    const config = exampleShopConfig();
    config.services.checkout!.irreversible = ['v2'];
    return context(facts(), config);
  };

  it('the plan says so up front', () => {
    const plan = started(irreversible()).plan.environments.find((env) => env.environment === 'production')!;
    expect(plan.irreversible).toEqual(['checkout']);
    expect(plan.warnings).toContain('checkout@v2 is irreversible: on failure the release holds for a fix to roll forward or a rollback someone confirms, and never rolls back by itself');
  });

  it('a failing canary holds and asks for a fix or a confirmed rollback instead of rolling back by itself; a human can still roll back', () => {
    const ctx = irreversible();
    let state = reading(baking(ctx), 'fail', at(1), ctx).state;
    const failed = reading(state, 'fail', at(2), ctx);
    state = failed.state;
    expect(state.phase).toMatchObject({ kind: 'baking', askedHuman: true });
    expect(releaseStatus(state)).toBe('held');
    expect(failed.effects.some((effect) => effect.kind === 'set_weights')).toBe(false);
    expect(failed.events.map((event) => event.type)).toContain('held_irreversible');
    expect(failed.effects).toContainEqual(expect.objectContaining({ kind: 'notify', channel: '#team-checkout', text: expect.stringContaining('is irreversible, so it does not roll back by itself') }));
    // It says how to ship the fix: the card's button, or the command to complete.
    expect(failed.effects).toContainEqual(expect.objectContaining({ kind: 'notify', text: expect.stringContaining('press Roll forward… on the card, or type `/release supersede r1 checkout@` and the fix\'s version') }));
    // More failing readings keep it held: still no traffic moves.
    const again = reading(state, 'fail', at(3), ctx);
    expect(again.effects.some((effect) => effect.kind === 'set_weights')).toBe(false);
    // The confirmed Roll back of a human does move traffic back.
    const rolledBack = step(again.state, { type: 'rollback', actor: alice }, at(4), ctx);
    expect(rolledBack.state.phase).toMatchObject({ kind: 'rolling_back' });
    expect(effectOf(rolledBack, 'set_weights')).toMatchObject({ purpose: 'rollback', weights: { 'is-prod-v1': 100 } });
  });

  it('a fix rolls forward from the hold', () => {
    const ctx = irreversible();
    let state = reading(baking(ctx), 'fail', at(1), ctx).state;
    state = reading(state, 'fail', at(2), ctx).state;
    const fixed = step(state, { type: 'supersede', actor: alice, service: 'checkout', version: 'v3', versionSetId: 8, history: [] }, at(3), ctx);
    expect(fixed.events.map((event) => event.type)).toContain('superseded');
    expect(fixed.state.phase.kind).not.toBe('rolling_back');
  });
});
