import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { HealthReading } from '../../ports/health.js';
import type { Weights } from '../../ports/traffic.js';
import { assertNever } from '../assert-never.js';
import { restartedEvidence } from '../health/evidence.js';
import { awaitsMoreEvidence } from '../health/judge.js';
import { MAX_CHART_READINGS, stageChart, stageReadingSamples, type StageChartOutcome } from '../health/stage-chart.js';
import { mayActOn, mayApprove } from './authorization.js';
import { currentEnvironment, currentStep } from './cursor.js';
import { gatesFor, type WorldFacts } from './gates.js';
import { infraSetIdFor } from './plan.js';
import { rollbackOrder } from './rollback-order.js';
import { GITHUB_COM, shipmentOf } from './what-ships.js';
import type {
  Actor,
  Decision,
  DeployTarget,
  GateFailure,
  Phase,
  PlanStep,
  Refusal,
  ReleaseEffect,
  ReleaseEventData,
  ReleaseInput,
  ReleasePlan,
  ReleaseState,
  ReleaseStatus,
} from './types.js';

/**
 * The release state machine, modelled on Argo Rollouts' canary reconciler: from the persisted
 * state, each call applies one input and then advances the cursor over the flattened plan as far as
 * it can without waiting on the world, and says when it next needs a tick. Pure: the clock and the
 * world's facts are arguments; effects are returned as values for the caller to persist and run.
 *
 * A window that closes mid-bake: the stage already baking keeps baking, keeps being measured and is
 * judged (a failing canary still rolls back), but no new traffic step starts until the window
 * reopens — the next step's window gate holds the release in `waiting`.
 *
 * Pause stops the cursor, not safety: a paused release still measures its canary and still rolls
 * back on repeated failures.
 */

export interface DecideContext {
  config: DeliveryConfig;
  facts: WorldFacts;
  /** Where links to GitHub point (a supersede's "What ships"): GitHub Enterprise's host; GitHub.com when absent. */
  githubWebUrl?: string;
}

/** Rechecks closed gates at least this often (a freeze lifted or a lock released is not an input). */
const GATE_RECHECK_MS = 60_000;
/** Gates that open on an input or a known time are still rechecked this often, as a safety net. */
const IDLE_RECHECK_MS = 60 * 60_000;
/** A safety tick while waiting on an effect's result; the outbox normally feeds it back long before. */
const EFFECT_SAFETY_MS = 5 * 60_000;

export function newReleaseState(args: { id: string; requester: Actor; plan: ReleasePlan; now: Date; target?: DeployTarget }): ReleaseState {
  return {
    id: args.id,
    requester: args.requester,
    ...(args.target ? { target: args.target } : {}),
    createdAt: args.now.toISOString(),
    plan: args.plan,
    cursor: 0,
    phase: { kind: 'waiting', since: args.now.toISOString(), blockedBy: [] },
    paused: null,
    approvals: [],
    moved: [],
    lastHealth: null,
    seq: 0,
    discarded: [],
    supersededBy: [],
  };
}

/** The first decision of a new release: announce it and take every step that can be taken now. */
export function startRelease(state: ReleaseState, now: Date, context: DecideContext): Decision {
  const draft = new Draft(structuredClone(state), context, now);
  const first = state.plan.steps[0];
  draft.event('created', `Release of version set ${state.plan.versionSetId} to ${state.plan.path.join(' → ')} requested by <@${state.requester.userId}>`, {
    plan: state.plan.environments.map((env) => ({ environment: env.environment, changes: env.changes })),
  });
  if (first) {
    draft.effect({ kind: 'annotate', annotation: 'release_started', environment: first.environment, service: first.service, version: first.version, text: `Release ${state.id} started`, alert: 'info' });
  }
  advance(draft);
  return draft.finish();
}

export function decide(previous: ReleaseState, input: ReleaseInput, now: Date, context: DecideContext): Decision {
  const draft = new Draft(structuredClone(previous), context, now);
  const refusal = applyInput(draft, input);
  if (refusal) return { kind: 'refused', ...refusal };
  advance(draft);
  return draft.finish();
}

export function releaseStatus(state: ReleaseState): ReleaseStatus {
  const phase = state.phase;
  switch (phase.kind) {
    case 'finished':
      return phase.outcome;
    case 'rolling_back':
      return 'rolling_back';
    case 'waiting':
      if (state.paused) return 'paused';
      return phase.blockedBy.length > 0 ? 'waiting' : 'running';
    case 'baking':
      // Held outranks paused: a human is being asked and the card must say so.
      if (phase.askedHuman) return 'held';
      return state.paused ? 'paused' : 'running';
    case 'watching':
      if (phase.services.some((entry) => entry.held)) return 'held';
      return state.paused ? 'paused' : 'running';
    case 'provisioning':
    case 'shifting':
      return state.paused ? 'paused' : 'running';
    default:
      return assertNever(phase, 'phase');
  }
}

/** The environment that still needs approvals first, from the current one onward. */
export function environmentAwaitingApproval(state: ReleaseState): string | undefined {
  const start = state.plan.path.indexOf(currentEnvironment(state));
  for (const env of state.plan.environments) {
    if (state.plan.path.indexOf(env.environment) < start) continue;
    const have = state.approvals.filter((approval) => approval.environment === env.environment).length;
    if (have < env.approvalsRequired) return env.environment;
  }
  return undefined;
}

class Draft {
  readonly events: ReleaseEventData[] = [];
  readonly effects: ReleaseEffect[] = [];
  readonly serving: WorldFacts['serving'];
  readonly nowIso: string;
  constructor(
    readonly state: ReleaseState,
    readonly context: DecideContext,
    readonly now: Date,
  ) {
    this.nowIso = now.toISOString();
    this.serving = structuredClone(context.facts.serving);
  }
  get config(): DeliveryConfig {
    return this.context.config;
  }
  get facts(): WorldFacts {
    return { environments: this.context.facts.environments, serving: this.serving };
  }
  token(): string {
    this.state.seq += 1;
    return `${this.state.id}:${this.state.seq}`;
  }
  event(type: string, message: string, data?: Record<string, unknown>): void {
    this.events.push(data ? { type, message, data } : { type, message });
  }
  effect(effect: ReleaseEffect): void {
    this.effects.push(effect);
  }
  thread(text: string): void {
    this.effects.push({ kind: 'thread', text });
  }
  finish(): Decision {
    if (this.events.length > 0) this.effects.push({ kind: 'card' });
    return { kind: 'accepted', state: this.state, events: this.events, effects: this.effects, nextTickAt: nextTickAt(this.state, this.now, this.config) };
  }
}

function refusal(code: Refusal['code'], message: string): Refusal {
  return { code, message };
}

function applyInput(draft: Draft, input: ReleaseInput): Refusal | null {
  const state = draft.state;
  // Who may give the input comes first, before anything about the release's state is looked at.
  if ('actor' in input) {
    const allowed = mayActOn(draft.config, state, input);
    if (!allowed.ok) return allowed.refusal;
  }
  const finished = state.phase.kind === 'finished';
  switch (input.type) {
    case 'tick':
      return null;
    case 'approve': {
      if (finished) return refusal('release_finished', `Release ${state.id} has finished`);
      const env = environmentAwaitingApproval(state);
      if (!env) return refusal('no_approval_needed', `Release ${state.id} needs no more approvals`);
      if (state.approvals.some((approval) => approval.environment === env && approval.userId === input.actor.userId)) {
        return refusal('already_approved', `<@${input.actor.userId}> already approved ${env}`);
      }
      const check = mayApprove(draft.config, input.actor, env, state.requester.userId);
      if (!check.ok) return check.refusal;
      state.approvals.push({ environment: env, userId: input.actor.userId, at: draft.nowIso });
      draft.event('approved', `<@${input.actor.userId}> approved ${env}`, { environment: env, userId: input.actor.userId });
      draft.thread(`✅ <@${input.actor.userId}> approved ${env}`);
      return null;
    }
    case 'pause': {
      if (finished || state.phase.kind === 'rolling_back') return refusal('release_finished', `Release ${state.id} is ${releaseStatus(state)}`);
      if (state.paused) return refusal('already_paused', `Release ${state.id} is already paused by <@${state.paused.by}>`);
      state.paused = { by: input.actor.userId, at: draft.nowIso, ...(input.reason ? { reason: input.reason } : {}), ...(input.lineStop !== undefined ? { lineStop: input.lineStop } : {}) };
      draft.event('paused', `<@${input.actor.userId}> paused the release${input.reason ? `: ${input.reason}` : ''}`, input.lineStop !== undefined ? { lineStop: input.lineStop } : undefined);
      draft.thread(input.lineStop !== undefined ? `:octagonal_sign: Line stopped by <@${input.actor.userId}>: ${input.reason ?? 'no reason given'}` : `⏸ Paused by <@${input.actor.userId}>${input.reason ? `: ${input.reason}` : ''}`);
      return null;
    }
    case 'resume': {
      if (finished || state.phase.kind === 'rolling_back') return refusal('release_finished', `Release ${state.id} is ${releaseStatus(state)}`);
      const held = (state.phase.kind === 'baking' && state.phase.askedHuman) || (state.phase.kind === 'watching' && state.phase.services.some((entry) => entry.held));
      if (!state.paused && !held) return refusal('not_paused', `Release ${state.id} is not paused`);
      if (input.lineStop !== undefined && state.paused?.lineStop !== input.lineStop) return refusal('not_paused', `Release ${state.id} was not paused by that line stop`);
      state.paused = null;
      if (state.phase.kind === 'watching') {
        for (const entry of state.phase.services) {
          entry.held = null;
          entry.consecutiveFails = 0;
        }
      }
      // Resuming a release held on unclear health means "keep judging": the count starts over, and
      // the judge has another bake's time to reach a verdict before waiting counts as unclear.
      if (state.phase.kind === 'baking') {
        if (state.phase.askedHuman) {
          const step = currentStep(state);
          const bakeMs = step?.kind === 'stage' ? step.bakeSeconds * 1000 : 0;
          state.phase.verdictDueAt = new Date(draft.now.getTime() + bakeMs).toISOString();
        }
        state.phase.askedHuman = false;
        state.phase.hold = null;
        state.phase.consecutiveUnclear = 0;
      }
      draft.event('resumed', `<@${input.actor.userId}> resumed the release`);
      draft.thread(`▶️ Resumed by <@${input.actor.userId}>`);
      return null;
    }
    case 'promote': {
      if (finished || state.phase.kind === 'rolling_back') return refusal('release_finished', `Release ${state.id} is ${releaseStatus(state)}`);
      if (state.phase.kind !== 'baking') return refusal('not_baking', `Nothing is baking in release ${state.id}`);
      const step = currentStep(state)!;
      draft.event('promoted', `<@${input.actor.userId}> promoted ${step.service} past ${stepLabel(step)} in ${step.environment}`);
      draft.thread(`⏭ <@${input.actor.userId}> promoted ${step.service} past ${stepLabel(step)}`);
      chartStage(draft, 'promoted');
      moveOn(draft);
      return null;
    }
    case 'rollback':
    case 'abort': {
      if (finished) return refusal('release_finished', `Release ${state.id} has finished`);
      if (state.phase.kind === 'rolling_back') return refusal('invalid_input', `Release ${state.id} is already rolling back`);
      const reason = input.type === 'rollback' ? `rolled back by <@${input.actor.userId}>${input.reason ? `: ${input.reason}` : ''}` : `aborted by <@${input.actor.userId}>`;
      startRollback(draft, reason, input.type === 'rollback' ? 'rolled_back' : 'aborted');
      return null;
    }
    case 'supersede':
      return supersede(draft, input);
    case 'provisioned': {
      const phase = state.phase;
      if (phase.kind !== 'provisioning' || phase.token !== input.token) return null;
      const step = currentStep(state)!;
      if (input.outcome.kind === 'done') {
        draft.effect({ kind: 'record_provisioned', infraSetId: step.infraSetId });
        draft.event('provisioned', `${step.infraSetId} (${step.service}@${step.version}) is ready in ${step.environment}`);
        moveOn(draft);
      } else {
        startRollback(draft, `provisioning ${step.service}@${step.version} in ${step.environment} failed: ${input.outcome.reason}`, 'rolled_back');
      }
      return null;
    }
    case 'traffic_applied':
      return trafficApplied(draft, input.token, input.outcome);
    case 'health_reading':
      healthReading(draft, input.token, input.reading);
      return null;
    default:
      return assertNever(input, 'release input');
  }
}

function stepLabel(step: PlanStep): string {
  switch (step.kind) {
    case 'provision':
      return 'provisioning';
    case 'stage':
      return `${step.stage} (${step.weight}%)`;
    case 'finalize':
      return 'finalize';
    case 'watch':
      return 'the watch window';
    default:
      return assertNever(step, 'step');
  }
}

function moveOn(draft: Draft): void {
  draft.state.cursor += 1;
  draft.state.phase = { kind: 'waiting', since: draft.nowIso, blockedBy: [] };
}

function trafficApplied(draft: Draft, token: string, outcome: { kind: 'applied'; verified: boolean; detail?: string } | { kind: 'failed'; retryable: boolean; reason: string }): Refusal | null {
  const state = draft.state;
  const phase = state.phase;
  if (phase.kind === 'shifting' && phase.token === token) {
    const step = currentStep(state);
    if (step?.kind !== 'stage') return null;
    if (outcome.kind === 'failed') {
      startRollback(draft, `shifting ${step.service} to ${step.weight}% in ${step.environment} failed: ${outcome.reason}`, 'rolled_back');
      return null;
    }
    draft.effect({ kind: 'record_weights', environment: step.environment, service: step.service, weights: phase.weights, discard: state.discarded });
    recordReadBack(draft, step.environment, step.service, outcome);
    const checks = draft.config.services[step.service]?.checks ?? [];
    const judged = step.bakeSeconds > 0 && checks.length > 0;
    const interval = (draft.config.environments[step.environment]?.health.interval ?? 60) * 1000;
    const bakeMs = step.bakeSeconds * 1000;
    state.phase = {
      kind: 'baking',
      startedAt: draft.nowIso,
      bakeUntil: new Date(draft.now.getTime() + bakeMs).toISOString(),
      nextMeasureAt: judged ? new Date(draft.now.getTime() + Math.min(interval, bakeMs)).toISOString() : null,
      measuredUntil: draft.nowIso,
      measuring: null,
      evidence: null,
      consecutiveFails: 0,
      consecutiveUnclear: 0,
      lastVerdict: null,
      askedHuman: false,
      hold: null,
      readings: [],
    };
    draft.event('stage_started', `${step.service} at ${step.weight}% in ${step.environment} (${step.stage})`, { service: step.service, environment: step.environment, stage: step.stage, weight: step.weight });
    draft.thread(`🚦 ${step.service}@${step.version} at ${step.weight}% in ${step.environment} (${step.stage})`);
    draft.effect({ kind: 'annotate', annotation: 'stage_changed', environment: step.environment, service: step.service, version: step.version, text: `${step.stage}: ${step.weight}%`, alert: 'info' });
    return null;
  }
  if (phase.kind === 'rolling_back' && phase.inFlight?.token === token) {
    const move = phase.inFlight;
    if (outcome.kind === 'applied') {
      const weights: Weights = move.toInfraSetId ? { [move.toInfraSetId]: 100 } : {};
      draft.effect({ kind: 'record_weights', environment: move.environment, service: move.service, weights, discard: state.discarded });
      recordReadBack(draft, move.environment, move.service, outcome);
      draft.event('service_rolled_back', `${move.service} in ${move.environment} back on ${move.toVersion ?? 'nothing'}${move.toInfraSetId ? ` (${move.toInfraSetId})` : ''}`, { ...move });
      draft.thread(`↩️ ${move.service} in ${move.environment} back on ${move.toVersion ?? 'no traffic'}`);
    } else {
      draft.event('rollback_step_failed', `Rolling back ${move.service} in ${move.environment} failed: ${outcome.reason}`, { ...move });
      notifyOwners(draft, [move.environment], [move.service], `🚨 Rolling back ${move.service} in ${move.environment} failed: ${outcome.reason}. A human must restore traffic.`);
    }
    phase.inFlight = null;
  }
  return null;
}

/** What the router said it reads after a move: the card shows it as said, not the weights that were asked for. */
function recordReadBack(draft: Draft, environment: string, service: string, outcome: { kind: 'applied'; verified: boolean; detail?: string }): void {
  draft.state.lastTraffic = outcome.detail ? { at: draft.nowIso, environment, service, verified: outcome.verified, detail: outcome.detail } : null;
}

function healthReading(draft: Draft, token: string, reading: HealthReading): void {
  const state = draft.state;
  const phase = state.phase;
  if (phase.kind === 'watching') return watchReading(draft, phase, token, reading);
  if (phase.kind !== 'baking' || phase.measuring !== token) return;
  const step = currentStep(state);
  if (step?.kind !== 'stage') return;
  const policy = draft.config.environments[step.environment]!.health;
  phase.measuring = null;
  phase.evidence = reading.evidence;
  phase.lastVerdict = reading.verdict;
  phase.nextMeasureAt = new Date(draft.now.getTime() + policy.interval * 1000).toISOString();
  state.lastHealth = {
    at: draft.nowIso,
    environment: step.environment,
    service: step.service,
    stage: step.stage,
    verdict: reading.verdict,
    checks: reading.checks.map((check) => ({ check: check.check, verdict: check.verdict, summary: check.summary, ...(check.detail ? { detail: check.detail } : {}) })),
  };
  draft.event('health_reading', `${step.service} in ${step.environment} (${step.stage}): ${reading.verdict}`, { verdict: reading.verdict, checks: reading.checks });
  const checks = draft.config.services[step.service]?.checks ?? [];
  phase.readings = [...(phase.readings ?? []), stageReadingSamples(draft.nowIso, reading.verdict, checks, reading.checks)].slice(-MAX_CHART_READINGS);
  switch (reading.verdict) {
    case 'pass':
      phase.consecutiveFails = 0;
      phase.consecutiveUnclear = 0;
      if (phase.askedHuman && phase.hold && phase.hold.passingSince === null) {
        phase.hold.passingSince = draft.nowIso;
        draft.event('health_recovered', `${step.service} in ${step.environment} passes health again while held; it waits for Resume`);
        draft.thread(`💚 ${step.service} in ${step.environment} passes health again — still held at ${step.weight}%: press Resume to go on`);
      }
      return;
    case 'fail': {
      phase.consecutiveFails += 1;
      phase.consecutiveUnclear = 0;
      if (phase.hold) phase.hold.passingSince = null;
      if (phase.consecutiveFails >= policy.failAfter) {
        const failing = reading.checks.filter((check) => check.verdict === 'fail').map((check) => `${check.check}: ${check.summary}`);
        if (isIrreversible(state, step.environment, step.service)) {
          holdIrreversible(draft, phase, step, failing);
          return;
        }
        chartStage(draft, 'failed');
        startRollback(draft, `${step.service} failed health in ${step.environment} ${phase.consecutiveFails}× in a row (${failing.join('; ') || 'fail'})`, 'rolled_back');
      }
      return;
    }
    case 'inconclusive':
    case 'error': {
      phase.consecutiveFails = 0;
      if (phase.hold) phase.hold.passingSince = null;
      // A judge on its way to a verdict measured fine: at 1% a healthy canary often needs a few
      // intervals. Only once the stage should have been decided does waiting count as unclear.
      const deciding = awaitsMoreEvidence(reading);
      if (deciding && draft.now.getTime() < Date.parse(phase.verdictDueAt ?? phase.bakeUntil)) {
        phase.consecutiveUnclear = 0;
        return;
      }
      phase.consecutiveUnclear += 1;
      if (phase.consecutiveUnclear >= policy.holdAfter && !phase.askedHuman) {
        phase.askedHuman = true;
        const why = deciding ? `no verdict yet, ${phase.consecutiveUnclear} readings past its bake` : `${reading.verdict} ${phase.consecutiveUnclear}× in a row`;
        draft.event('held', `${step.service} in ${step.environment}: ${why}; holding for a human (promote, resume or roll back)`);
        const asked = notifyOwners(draft, [step.environment], [step.service], `⚠️ Release ${state.id}: ${step.service} in ${step.environment} cannot be judged (${why}). It holds at ${step.weight}% until someone presses Resume, Promote, Roll back or Abort.`);
        phase.hold = { since: draft.nowIso, asked, passingSince: null };
        chartStage(draft, 'held');
      }
      return;
    }
    default:
      assertNever(reading.verdict, 'verdict');
  }
}

function isIrreversible(state: ReleaseState, environment: string, service: string): boolean {
  return state.plan.environments.find((env) => env.environment === environment)?.irreversible?.includes(service) ?? false;
}

/**
 * A failing canary of an irreversible version: traffic going back would not undo it, so the release
 * holds where it is and asks for a fix to roll forward (supersede) or a rollback a human confirms.
 */
function holdIrreversible(draft: Draft, phase: Extract<Phase, { kind: 'baking' }>, step: Extract<PlanStep, { kind: 'stage' }>, failing: string[]): void {
  if (phase.askedHuman) return;
  phase.askedHuman = true;
  draft.event('held_irreversible', `${step.service}@${step.version} failed health in ${step.environment} but is irreversible: holding for a fix or a confirmed rollback`, { service: step.service, environment: step.environment });
  const asked = notifyOwners(
    draft,
    [step.environment],
    [step.service],
    `🛑 Release ${draft.state.id}: ${step.service}@${step.version} fails health in ${step.environment} (${failing.join('; ') || 'fail'}) but is irreversible, so it does not roll back by itself. It holds at ${step.weight}%: ship a fix to roll forward (${howToRollForward(draft.state.id, step.service)}), or press Roll back and confirm.`,
  );
  phase.hold = { since: draft.nowIso, asked, passingSince: null };
  chartStage(draft, 'held');
}

/** Posts the chart of the stage baking at the cursor, when it was measured at least once. */
function chartStage(draft: Draft, outcome: StageChartOutcome): void {
  const state = draft.state;
  const phase = state.phase;
  const step = currentStep(state);
  if (phase.kind !== 'baking' || step?.kind !== 'stage') return;
  const chart = stageChart({
    releaseId: state.id,
    environment: step.environment,
    service: step.service,
    version: step.version,
    stage: step.stage,
    weight: step.weight,
    startedAt: phase.startedAt,
    verdictAt: draft.nowIso,
    outcome,
    checks: draft.config.services[step.service]?.checks ?? [],
    readings: phase.readings ?? [],
  });
  if (chart) draft.effect({ kind: 'chart', chart });
}

/**
 * Where a held release's owners ship the fix from: the card's button, or the command to complete.
 * (No `<placeholder>`: the notice is Slack text, where angle brackets are markup.)
 */
function howToRollForward(releaseId: string, service: string): string {
  return `press Roll forward… on the card, or type \`/release supersede ${releaseId} ${service}@\` and the fix's version`;
}

/**
 * What a human can do about an irreversible version failing in the watch window. It has converged
 * (it serves 100%), so no fix rolls it forward inside this release: a fix ships as a new release
 * once this one ends, which Resume lets it do when the watch window closes.
 */
function watchHoldChoices(service: string, environment: string): string {
  return `Press Roll back and confirm to go back to the previous infra-set, or Resume to keep it: the release ends when the watch window closes, and the fix ships as a new release (\`/deploy ${service}@… to ${environment}\`)`;
}

/** Tells the environments' channels, the owning teams and the requester; answers who was told. */
function notifyOwners(draft: Draft, environments: readonly string[], services: string[], text: string): string[] {
  const channels = new Set<string>();
  for (const environment of environments) {
    const envChannel = draft.config.environments[environment]?.channel;
    if (envChannel) channels.add(envChannel);
  }
  for (const service of services) {
    const team = draft.config.services[service]?.team;
    const channel = team ? draft.config.teams[team]?.channel : undefined;
    if (channel) channels.add(channel);
  }
  // The requester hears of it directly too: they may not watch the team's channel at 3 a.m.
  channels.add(draft.state.requester.userId);
  for (const channel of channels) draft.effect({ kind: 'notify', channel, text });
  return [...channels];
}

/**
 * Traffic of every service this release moved, in every environment of its path, returns to what
 * served before the release (see rollbackOrder: the order the card shows). The moves run one after
 * another, each as soon as the previous is confirmed.
 */
function startRollback(draft: Draft, reason: string, outcome: 'rolled_back' | 'aborted'): void {
  const state = draft.state;
  const env = currentEnvironment(state);
  const order = rollbackOrder(state, { onlyMoved: true });
  const pending = order.flatMap((entry) => entry.moves);
  for (const envPlan of state.plan.environments) {
    for (const change of envPlan.changes) {
      const moved = state.moved.some((entry) => entry.environment === envPlan.environment && entry.service === change.service);
      if (moved && !state.discarded.includes(change.toInfraSetId)) state.discarded.push(change.toInfraSetId);
    }
  }
  const environments = order.map((entry) => entry.environment);
  const where = environments.length > 0 ? environments.join(' and ') : env;
  state.paused = null;
  state.phase = { kind: 'rolling_back', since: draft.nowIso, reason, outcome, pending, inFlight: null };
  draft.event(outcome === 'aborted' ? 'abort_started' : 'rollback_started', `Rolling back in ${where}: ${reason}`, {
    environment: env,
    order: pending.map((move) => `${move.service}@${move.environment}`),
  });
  draft.thread(`↩️ Rolling back ${pending.map((move) => `${move.service} in ${move.environment}`).join(' → ') || `nothing in ${env} (no traffic moved yet)`}: ${reason}`);
  notifyOwners(draft, environments.length > 0 ? environments : [env], [...new Set(pending.map((move) => move.service))], `↩️ Release ${state.id} is rolling back in ${where}: ${reason}`);
  const first = pending[0];
  if (first) {
    draft.effect({ kind: 'annotate', annotation: 'rolled_back', environment: first.environment, service: first.service, version: first.toVersion ?? 'none', text: reason, alert: 'error' });
  }
}

function finishRelease(draft: Draft, outcome: 'succeeded' | 'rolled_back' | 'aborted', reason: string | null): void {
  const state = draft.state;
  state.phase = { kind: 'finished', at: draft.nowIso, outcome, reason };
  const env = state.plan.path[state.plan.path.length - 1]!;
  const text = outcome === 'succeeded' ? `Release ${state.id} converged in ${state.plan.path.join(' → ')}` : `Release ${state.id} ${outcome === 'aborted' ? 'aborted' : 'rolled back'}: ${reason}`;
  draft.event('finished', text, { outcome });
  draft.thread(outcome === 'succeeded' ? `🎉 ${text}` : `🛑 ${text}`);
  const last = state.plan.steps[state.plan.steps.length - 1];
  if (last) {
    draft.effect({ kind: 'annotate', annotation: 'release_finished', environment: env, service: last.service, version: last.version, text, alert: outcome === 'succeeded' ? 'success' : 'warning' });
  }
}

function sameFailures(a: GateFailure[], b: GateFailure[]): boolean {
  return a.length === b.length && a.every((failure, index) => failure.code === b[index]!.code && failure.message === b[index]!.message);
}

function advance(draft: Draft): void {
  const state = draft.state;
  // Bounded: each pass either waits or moves the cursor forward.
  for (let guard = 0; guard < state.plan.steps.length * 4 + 8; guard += 1) {
    const phase: Phase = state.phase;
    switch (phase.kind) {
      case 'finished':
      case 'provisioning':
      case 'shifting':
        return;
      case 'rolling_back': {
        if (phase.inFlight) return;
        const next = phase.pending.shift();
        if (!next) {
          finishRelease(draft, phase.outcome, phase.reason);
          return;
        }
        const token = draft.token();
        const weights = withKeptInfraSets(draft, next.environment, next.service, next.toInfraSetId ? { [next.toInfraSetId]: 100 } : {});
        phase.inFlight = { ...next, token };
        draft.effect({ kind: 'set_weights', token, environment: next.environment, service: next.service, stage: 'rollback', weights, purpose: 'rollback' });
        return;
      }
      case 'baking': {
        const step = currentStep(state);
        if (step?.kind !== 'stage') return;
        const checks = draft.config.services[step.service]?.checks ?? [];
        const judged = step.bakeSeconds > 0 && checks.length > 0;
        if (judged && phase.measuring === null && phase.nextMeasureAt !== null && draft.now.getTime() >= Date.parse(phase.nextMeasureAt)) {
          const token = draft.token();
          phase.measuring = token;
          const change = state.plan.environments.find((env) => env.environment === step.environment)?.changes.find((c) => c.service === step.service);
          draft.effect({
            kind: 'measure',
            token,
            environment: step.environment,
            service: step.service,
            stage: step.stage,
            canary: { infraSetId: step.infraSetId, version: step.version },
            baseline: change?.fromInfraSetId && change.fromVersion ? { infraSetId: change.fromInfraSetId, version: change.fromVersion } : null,
            weight: step.weight,
            checks,
            // Only the new interval: the judge's evidence carries what came before (DESIGN.md §7).
            window: { from: phase.measuredUntil, to: draft.nowIso },
            evidence: phase.evidence,
          });
          phase.measuredUntil = draft.nowIso;
        }
        if (draft.now.getTime() < Date.parse(phase.bakeUntil)) return;
        const passed = !judged || phase.lastVerdict === 'pass';
        // Held means held: a passing reading after the hold is news for the human, not a promotion.
        if (!passed || state.paused || phase.askedHuman) return;
        draft.event('stage_passed', `${step.service} passed ${step.stage} (${step.weight}%) in ${step.environment}`, { service: step.service, environment: step.environment, stage: step.stage });
        if (judged) chartStage(draft, 'passed');
        // What the 100% stage measured of the baseline is what a watch after it compares with.
        if (step.weight >= 100 && phase.evidence !== null) state.fullStageEvidence = { ...state.fullStageEvidence, [`${step.environment}/${step.service}`]: phase.evidence };
        moveOn(draft);
        continue;
      }
      case 'watching': {
        const step = currentStep(state);
        if (step?.kind !== 'watch') return;
        if (advanceWatch(draft, phase, step)) continue;
        return;
      }
      case 'waiting': {
        if (state.paused) return;
        const step = currentStep(state);
        if (!step) {
          finishRelease(draft, 'succeeded', null);
          return;
        }
        // Watching changes nothing in the world: no gate holds it (a freeze or a closed window included).
        if (step.kind === 'watch') {
          startStep(draft, step);
          continue;
        }
        const failures = gatesFor(state, step, draft.facts, draft.config).filter((gate): gate is GateFailure => !gate.ok);
        if (failures.length > 0) {
          if (!sameFailures(phase.blockedBy, failures)) {
            state.phase = { kind: 'waiting', since: draft.nowIso, blockedBy: failures };
            draft.event('waiting', `${step.service} in ${step.environment} waits: ${failures.map((failure) => failure.message).join('; ')}`, { codes: failures.map((failure) => failure.code) });
          }
          return;
        }
        if (startStep(draft, step)) continue;
        return;
      }
      default:
        assertNever(phase, 'phase');
    }
  }
}

/**
 * A traffic change names every infra-set of the service there that still exists, each at its weight
 * (0: keep it running, no requests): a router never infers "retire" from an absence; retiring is
 * only ever the explicit retire effect.
 */
function withKeptInfraSets(draft: Draft, environment: string, service: string, weights: Weights): Weights {
  const serving = draft.serving[environment]?.[service];
  const existing = serving ? [serving.infraSetId, ...(serving.others ?? [])] : [];
  const all: Weights = { ...weights };
  for (const id of existing) all[id] ??= 0;
  return all;
}

/** Starts the step at the cursor; true when it completed at once (finalize) and the loop goes on. */
function startStep(draft: Draft, step: PlanStep): boolean {
  const state = draft.state;
  switch (step.kind) {
    case 'provision': {
      const token = draft.token();
      state.phase = { kind: 'provisioning', since: draft.nowIso, token };
      draft.effect({ kind: 'provision', token, environment: step.environment, service: step.service, stage: 'provision', infraSetId: step.infraSetId, version: step.version });
      draft.event('provisioning', `Provisioning ${step.service}@${step.version} in ${step.environment} (${step.infraSetId})`, { infraSetId: step.infraSetId });
      return false;
    }
    case 'stage': {
      const change = state.plan.environments.find((env) => env.environment === step.environment)?.changes.find((c) => c.service === step.service);
      const baseline = change?.fromInfraSetId ?? null;
      // A first deploy has nothing to share with: the new infra-set takes all traffic at once.
      const split: Weights = step.weight >= 100 || !baseline ? { [step.infraSetId]: 100 } : { [step.infraSetId]: step.weight, [baseline]: 100 - step.weight };
      const weights = withKeptInfraSets(draft, step.environment, step.service, baseline ? { ...split, [baseline]: split[baseline] ?? 0 } : split);
      const token = draft.token();
      // The first move records what served before: a later supersede may re-plan from the release's own set.
      if (!state.moved.some((entry) => entry.environment === step.environment && entry.service === step.service)) {
        state.moved.push({ environment: step.environment, service: step.service, fromInfraSetId: baseline, fromVersion: change?.fromVersion ?? null });
      }
      state.phase = { kind: 'shifting', since: draft.nowIso, token, weights };
      draft.effect({ kind: 'set_weights', token, environment: step.environment, service: step.service, stage: step.stage, weights, purpose: 'stage' });
      draft.event('shifting', `Shifting ${step.service} to ${step.weight}% in ${step.environment}`, { weights });
      return false;
    }
    case 'finalize': {
      const change = state.plan.environments.find((env) => env.environment === step.environment)?.changes.find((c) => c.service === step.service);
      draft.effect({ kind: 'converged', environment: step.environment, service: step.service, infraSetId: step.infraSetId, previousInfraSetId: change?.fromInfraSetId ?? null });
      const before = draft.serving[step.environment]?.[step.service];
      const others = before ? [before.infraSetId, ...(before.others ?? [])].filter((id) => id !== step.infraSetId) : [];
      (draft.serving[step.environment] ??= {})[step.service] = { version: step.version, infraSetId: step.infraSetId, ...(others.length > 0 ? { others } : {}) };
      draft.event('service_converged', `${step.service}@${step.version} serves 100% in ${step.environment}`, { service: step.service, environment: step.environment });
      draft.thread(`✅ ${step.service}@${step.version} converged in ${step.environment}`);
      moveOn(draft);
      return true;
    }
    case 'watch':
      startWatch(draft, step);
      return false;
    default:
      return assertNever(step, 'step');
  }
}

/**
 * After 100%: every service the release changed here keeps being judged against the infra-set it
 * replaced (still warm) for the watch window, from what the 100% stage measured of that baseline.
 */
function startWatch(draft: Draft, step: Extract<PlanStep, { kind: 'watch' }>): void {
  const state = draft.state;
  const interval = (draft.config.environments[step.environment]?.health.interval ?? 60) * 1000;
  const until = new Date(draft.now.getTime() + step.seconds * 1000).toISOString();
  state.phase = {
    kind: 'watching',
    startedAt: draft.nowIso,
    until,
    nextMeasureAt: new Date(draft.now.getTime() + Math.min(interval, step.seconds * 1000)).toISOString(),
    measuredUntil: draft.nowIso,
    services: step.services.map((watched) => ({
      service: watched.service,
      measuring: null,
      evidence: restartedEvidence(state.fullStageEvidence?.[`${step.environment}/${watched.service}`]),
      consecutiveFails: 0,
      lastVerdict: null,
    })),
  };
  const names = step.services.map((watched) => watched.service).join(', ');
  draft.event('watch_started', `Watching ${names} in ${step.environment} until ${until}, the previous infra-sets warm`, { environment: step.environment, services: step.services.map((watched) => watched.service), until });
  draft.thread(`👀 Watching ${names} in ${step.environment} for ${Math.round(step.seconds / 60)}m: a breach rolls back at once to the previous infra-set${step.services.length === 1 ? '' : 's'}, still warm`);
}

/** Measures every watched service each interval; the window closing without a breach ends the watch. */
function advanceWatch(draft: Draft, phase: Extract<Phase, { kind: 'watching' }>, step: Extract<PlanStep, { kind: 'watch' }>): boolean {
  const now = draft.now.getTime();
  if (phase.nextMeasureAt !== null && now >= Date.parse(phase.nextMeasureAt) && phase.services.every((entry) => entry.measuring === null)) {
    for (const entry of phase.services) {
      const watched = step.services.find((candidate) => candidate.service === entry.service);
      const checks = draft.config.services[entry.service]?.checks ?? [];
      if (!watched || checks.length === 0) continue;
      const token = draft.token();
      entry.measuring = token;
      draft.effect({
        kind: 'measure',
        token,
        environment: step.environment,
        service: entry.service,
        canary: { infraSetId: watched.infraSetId, version: watched.version },
        baseline: watched.previous,
        weight: 100,
        checks,
        window: { from: phase.measuredUntil, to: draft.nowIso },
        evidence: entry.evidence,
      });
    }
    phase.measuredUntil = draft.nowIso;
    phase.nextMeasureAt = null;
  }
  // Pause stops the cursor, not the judging: a paused watch keeps measuring and ends only on Resume.
  // An irreversible breach holds the watch open until a human decides.
  if (now < Date.parse(phase.until) || draft.state.paused || phase.services.some((entry) => entry.held)) return false;
  draft.event('watch_passed', `${step.services.map((watched) => watched.service).join(', ')} in ${step.environment}: the watch window closed without a breach`, { environment: step.environment });
  draft.thread(`✅ Watch window over in ${step.environment}: no breach`);
  moveOn(draft);
  return true;
}

/** A reading during the watch: `failAfter` fails in a row roll back at once, naming the service that failed. */
function watchReading(draft: Draft, phase: Extract<Phase, { kind: 'watching' }>, token: string, reading: HealthReading): void {
  const state = draft.state;
  const step = currentStep(state);
  const entry = phase.services.find((candidate) => candidate.measuring === token);
  if (!entry || step?.kind !== 'watch') return;
  const policy = draft.config.environments[step.environment]!.health;
  entry.measuring = null;
  entry.evidence = reading.evidence;
  entry.lastVerdict = reading.verdict;
  if (phase.services.every((candidate) => candidate.measuring === null)) phase.nextMeasureAt = new Date(draft.now.getTime() + policy.interval * 1000).toISOString();
  state.lastHealth = {
    at: draft.nowIso,
    environment: step.environment,
    service: entry.service,
    stage: 'watch',
    verdict: reading.verdict,
    checks: reading.checks.map((check) => ({ check: check.check, verdict: check.verdict, summary: check.summary, ...(check.detail ? { detail: check.detail } : {}) })),
  };
  draft.event('health_reading', `${entry.service} in ${step.environment} (watch): ${reading.verdict}`, { verdict: reading.verdict, checks: reading.checks, watch: true });
  if (reading.verdict !== 'fail') {
    // Unclear readings hold nothing here (the release is already at 100%); the watch goes on.
    entry.consecutiveFails = 0;
    return;
  }
  entry.consecutiveFails += 1;
  if (entry.consecutiveFails < policy.failAfter) return;
  const failing = reading.checks.filter((check) => check.verdict === 'fail').map((check) => `${check.check}: ${check.summary}`);
  if (isIrreversible(state, step.environment, entry.service)) {
    if (entry.held) return;
    draft.event('held_irreversible', `${entry.service} failed health in ${step.environment} during the watch window but is irreversible: holding for a confirmed rollback or a Resume`, { service: entry.service, environment: step.environment });
    const asked = notifyOwners(draft, [step.environment], [entry.service], `🛑 Release ${state.id}: ${entry.service} fails health in ${step.environment} during the watch window (${failing.join('; ') || 'fail'}) but is irreversible, so it does not roll back by itself. ${watchHoldChoices(entry.service, step.environment)}.`);
    entry.held = { since: draft.nowIso, asked, passingSince: null };
    return;
  }
  draft.event('late_rollback', `${entry.service} failed health in ${step.environment} during the watch window: late rollback`, { service: entry.service, environment: step.environment });
  startRollback(draft, `late rollback: ${entry.service} failed health in ${step.environment} during the watch window ${entry.consecutiveFails}× in a row (${failing.join('; ') || 'fail'})`, 'rolled_back');
}

/** The environments a supersede of `service` changes: from the current one on, those that ship it. */
function supersededEnvironments(state: ReleaseState, service: string) {
  const envIndex = state.plan.path.indexOf(currentEnvironment(state));
  return state.plan.environments.filter((plan) => state.plan.path.indexOf(plan.environment) >= envIndex && plan.changes.some((c) => c.service === service));
}

/**
 * Whether superseding `service` with `version` would change nothing: the release is in flight and
 * already ships that version of it wherever a supersede would put it (the same fix submitted twice,
 * a command typed again, the version it was deployed with).
 */
export function alreadyShips(state: ReleaseState, service: string, version: string): boolean {
  if (state.phase.kind === 'finished' || state.phase.kind === 'rolling_back') return false;
  const affected = supersededEnvironments(state, service);
  return affected.length > 0 && affected.every((plan) => plan.changes.find((change) => change.service === service)?.toVersion === version);
}

/** Whether `service` already converged in `environment` (its finalize step is behind the cursor): a fix there ships as a new release. */
function convergedIn(state: ReleaseState, environment: string, service: string): boolean {
  const finalizeIndex = state.plan.steps.findIndex((step) => step.kind === 'finalize' && step.environment === environment && step.service === service);
  return finalizeIndex !== -1 && finalizeIndex < state.cursor;
}

/**
 * The services a supersede would be accepted for now: the release is in flight, ships the service
 * from its current environment on, and the service has not converged in that environment yet (in a
 * watch window, say, the services it watches cannot be).
 */
export function supersedableServices(state: ReleaseState): string[] {
  if (state.phase.kind === 'finished' || state.phase.kind === 'rolling_back') return [];
  const environment = currentEnvironment(state);
  const services = [...new Set(state.plan.environments.flatMap((plan) => plan.changes.map((change) => change.service)))];
  return services.filter((service) => supersededEnvironments(state, service).length > 0 && !convergedIn(state, environment, service));
}

function supersede(draft: Draft, input: Extract<ReleaseInput, { type: 'supersede' }>): Refusal | null {
  const state = draft.state;
  if (state.phase.kind === 'finished') return refusal('release_finished', `Release ${state.id} has finished`);
  if (state.phase.kind === 'rolling_back') return refusal('invalid_input', `Release ${state.id} is rolling back`);
  const env = currentEnvironment(state);
  const envIndex = state.plan.path.indexOf(env);
  const affected = supersededEnvironments(state, input.service);
  if (affected.length === 0) return refusal('not_in_release', `${input.service} is not (or no longer) shipped by release ${state.id}`);
  if (convergedIn(state, env, input.service)) return refusal('not_in_flight', `${input.service} already converged in ${env}; ship the fix as a new release`);
  const finalizeIndex = state.plan.steps.findIndex((step) => step.kind === 'finalize' && step.environment === env && step.service === input.service);
  const revision = state.supersededBy.filter((entry) => entry.service === input.service).length + 1;
  const provisionIndex = state.plan.steps.findIndex((step) => step.kind === 'provision' && step.environment === env && step.service === input.service);
  const inFlight = provisionIndex !== -1 && provisionIndex <= state.cursor && state.cursor <= finalizeIndex;
  const renamed = new Map<string, string>();
  for (const plan of affected) {
    const change = plan.changes.find((c) => c.service === input.service)!;
    const fresh = infraSetIdFor(state.id, plan.environment, input.service, revision);
    renamed.set(change.toInfraSetId, fresh);
    if (plan.environment === env && inFlight && !state.discarded.includes(change.toInfraSetId)) state.discarded.push(change.toInfraSetId);
    change.toVersion = input.version;
    change.toInfraSetId = fresh;
    change.shipment = fixShipment(draft, input, change.fromVersion);
  }
  state.plan.steps = state.plan.steps.map((step) => {
    if (step.kind === 'watch') {
      // The watch judges the fix in place of the version it replaced.
      const services = step.services.map((watched) => {
        const fresh = renamed.get(watched.infraSetId);
        return fresh && watched.service === input.service ? { ...watched, infraSetId: fresh, version: input.version } : watched;
      });
      const fresh = renamed.get(step.infraSetId);
      return { ...step, services, ...(fresh && step.service === input.service ? { infraSetId: fresh, version: input.version } : {}) };
    }
    const fresh = renamed.get(step.infraSetId);
    return fresh && step.service === input.service ? { ...step, infraSetId: fresh, version: input.version } : step;
  });
  const inserted: PlanStep[] = earlierEnvironmentSteps(draft, envIndex, input, revision);
  if (inFlight && state.cursor > provisionIndex) {
    // Roll forward from the current stage: mint the fix, then redo the stage the old version was in.
    const current = state.plan.steps[state.cursor]!;
    inserted.push({ kind: 'provision', environment: env, service: input.service, infraSetId: current.infraSetId, version: input.version });
  }
  state.plan.steps.splice(state.cursor, 0, ...inserted);
  if (inFlight || inserted.length > 0) state.phase = { kind: 'waiting', since: draft.nowIso, blockedBy: [] };
  state.plan.versions[input.service] = input.version;
  state.plan.versionSetId = input.versionSetId;
  state.supersededBy.push({ service: input.service, version: input.version, at: draft.nowIso, by: input.actor.userId });
  draft.event('superseded', `<@${input.actor.userId}> superseded ${input.service} with ${input.version} (version set ${input.versionSetId})`, {
    service: input.service,
    version: input.version,
    versionSetId: input.versionSetId,
  });
  draft.thread(`🔁 ${input.service} superseded by ${input.version}; rolling forward from the current stage`);
  return null;
}

/** What the fix ships over `from`, as a plan's changes say it: which way it goes, and the pull requests and commits in between. */
function fixShipment(draft: Draft, input: Extract<ReleaseInput, { type: 'supersede' }>, from: string | null) {
  return shipmentOf({ from, to: input.version, repo: draft.config.services[input.service]?.repo ?? null, history: input.history, versionSetId: input.versionSetId, githubWebUrl: draft.context.githubWebUrl ?? GITHUB_COM });
}

/**
 * A fix must converge where the release already went before it reaches the current environment
 * (the `requires` rule holds for it too): steps for it in each earlier environment that does not
 * serve it yet, with that environment's plan updated so the card and a rollback know of them.
 */
function earlierEnvironmentSteps(draft: Draft, envIndex: number, input: Extract<ReleaseInput, { type: 'supersede' }>, revision: number): PlanStep[] {
  const { service, version } = input;
  const state = draft.state;
  const steps: PlanStep[] = [];
  for (const name of state.plan.path.slice(0, envIndex)) {
    const serving = draft.serving[name]?.[service];
    if (serving?.version === version) continue;
    let envPlan = state.plan.environments.find((plan) => plan.environment === name);
    if (!envPlan) {
      const stages = (draft.config.environments[name]?.stages ?? []).map((stage) => ({ name: stage.name, weight: stage.weight, bakeSeconds: stage.bake }));
      envPlan = { environment: name, changes: [], stages, approvalsRequired: draft.config.environments[name]?.approvals.required ?? 0, rollbackOrder: [], warnings: [] };
      const later = state.plan.environments.findIndex((plan) => state.plan.path.indexOf(plan.environment) > state.plan.path.indexOf(name));
      if (later === -1) state.plan.environments.push(envPlan);
      else state.plan.environments.splice(later, 0, envPlan);
    }
    const infraSetId = infraSetIdFor(state.id, name, service, revision);
    const change = { service, fromVersion: serving?.version ?? null, fromInfraSetId: serving?.infraSetId ?? null, toVersion: version, toInfraSetId: infraSetId, shipment: fixShipment(draft, input, serving?.version ?? null) };
    const existing = envPlan.changes.findIndex((entry) => entry.service === service);
    if (existing === -1) envPlan.changes.push(change);
    else {
      // The release's own earlier set here is superseded: it must never turn warm as a rollback target.
      const replaced = envPlan.changes[existing]!.toInfraSetId;
      if (replaced !== infraSetId && !state.discarded.includes(replaced)) state.discarded.push(replaced);
      envPlan.changes[existing] = change;
    }
    envPlan.rollbackOrder = [...envPlan.changes].reverse().map((entry) => ({ service: entry.service, toInfraSetId: entry.fromInfraSetId, toVersion: entry.fromVersion }));
    const base = { environment: name, service, infraSetId, version };
    steps.push({ kind: 'provision', ...base });
    envPlan.stages.forEach((stage, stageIndex) => steps.push({ kind: 'stage', ...base, stage: stage.name, stageIndex, weight: stage.weight, bakeSeconds: stage.bakeSeconds }));
    steps.push({ kind: 'finalize', ...base });
  }
  return steps;
}

/** When the release next needs a tick, from its persisted timestamps (null: only an input wakes it). */
export function nextTickAt(state: ReleaseState, now: Date, _config: DeliveryConfig): string | null {
  const phase = state.phase;
  const at = (ms: number) => new Date(ms).toISOString();
  switch (phase.kind) {
    case 'finished':
      return null;
    case 'waiting': {
      if (state.paused) return null;
      if (phase.blockedBy.length === 0) return at(now.getTime());
      // Approvals arrive as inputs, and lifting a freeze or a lock wakes waiting releases; only
      // convergence elsewhere needs polling. Times a gate opens are honoured exactly.
      const polled = phase.blockedBy.some((failure) => failure.code === 'dependencies_not_converged' || failure.code === 'previous_environment_not_converged');
      const opens = phase.blockedBy.map((failure) => (failure.opensAt ? Date.parse(failure.opensAt) : Infinity));
      return at(Math.min(now.getTime() + (polled ? GATE_RECHECK_MS : IDLE_RECHECK_MS), ...opens));
    }
    case 'provisioning':
    case 'shifting':
    case 'rolling_back':
      return at(now.getTime() + EFFECT_SAFETY_MS);
    case 'watching': {
      const candidates = [now.getTime() + EFFECT_SAFETY_MS, Math.max(now.getTime(), Date.parse(phase.until))];
      if (phase.nextMeasureAt && phase.services.every((entry) => entry.measuring === null)) candidates.push(Math.max(now.getTime(), Date.parse(phase.nextMeasureAt)));
      return at(Math.min(...candidates));
    }
    case 'baking': {
      const candidates = [now.getTime() + EFFECT_SAFETY_MS];
      const bakeUntil = Date.parse(phase.bakeUntil);
      if (bakeUntil > now.getTime()) candidates.push(bakeUntil);
      if (phase.measuring === null && phase.nextMeasureAt) candidates.push(Math.max(now.getTime(), Date.parse(phase.nextMeasureAt)));
      return at(Math.min(...candidates));
    }
    default:
      return assertNever(phase, 'phase');
  }
}
