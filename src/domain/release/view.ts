import type { DeliveryConfig } from '../../config/delivery-schema.js';
import { formatDuration } from '../../config/duration.js';
import { assertNever } from '../assert-never.js';
import { currentEnvironment, currentStep } from './cursor.js';
import { environmentAwaitingApproval, releaseStatus, supersedableServices } from './decide.js';
import { environmentGates, type WorldFacts } from './gates.js';
import { rollbackOrder } from './rollback-order.js';
import type { EnvironmentView, OperatorAction, ReleaseState, ReleaseView, ServiceProgressView, StageView } from './types.js';

export interface ViewMeta {
  version: number;
  updatedAt: string;
}

/**
 * Everything a release card shows, computed from the state alone (plus the world's facts for the
 * gates of environments not yet done). Pure, so the card is the same wherever it is rendered.
 */
export function toReleaseView(state: ReleaseState, meta: ViewMeta, config: DeliveryConfig, facts: WorldFacts | null, now: Date): ReleaseView {
  const status = releaseStatus(state);
  const target = state.plan.path[state.plan.path.length - 1]!;
  const targetPlan = state.plan.environments.find((env) => env.environment === target) ?? state.plan.environments[state.plan.environments.length - 1];
  const rollingBack = state.phase.kind === 'rolling_back' || (state.phase.kind === 'finished' && state.phase.outcome !== 'succeeded');
  // Where it failed; every environment it moved is rolled back with it.
  const failedEnv = rollingBack ? currentEnvironment(state) : null;
  const failureReason = state.phase.kind === 'rolling_back' || state.phase.kind === 'finished' ? (state.phase.reason ?? '') : '';

  const environments: EnvironmentView[] = state.plan.environments.map((envPlan) => {
    const env = envPlan.environment;
    const steps = state.plan.steps.map((step, index) => ({ step, index })).filter(({ step }) => step.environment === env);
    const lastIndex = steps[steps.length - 1]?.index ?? -1;
    const firstIndex = steps[0]?.index ?? 0;
    const services: ServiceProgressView[] = envPlan.changes.map((change) => {
      const own = steps.filter(({ step }) => step.service === change.service);
      const provisions = own.filter(({ step }) => step.kind === 'provision');
      const lastProvision = provisions[provisions.length - 1]?.index ?? -1;
      const finalize = own.find(({ step }) => step.kind === 'finalize')?.index ?? -1;
      const moved = state.moved.some((entry) => entry.environment === env && entry.service === change.service);
      const rolledBack = rollingBack && moved;
      const stages: StageView[] = own.flatMap(({ step, index }): StageView[] => {
        if (step.kind !== 'stage') return [];
        const base = { stage: step.stage, weight: step.weight };
        if (rolledBack && index <= state.cursor) return [index === state.cursor && failedEnv === env ? { ...base, state: 'failed', reason: failureReason } : { ...base, state: 'rolled_back' }];
        if (index < state.cursor) return [{ ...base, state: 'done' }];
        // Gates closed before provisioning: the first stage shows what it waits for.
        const cursorStep = state.plan.steps[state.cursor];
        if (
          state.phase.kind === 'waiting' &&
          state.phase.blockedBy.length > 0 &&
          cursorStep?.kind === 'provision' &&
          cursorStep.service === step.service &&
          cursorStep.environment === env &&
          step.stageIndex === 0
        ) {
          return [{ ...base, state: 'waiting', reasons: state.phase.blockedBy }];
        }
        if (index > state.cursor || state.phase.kind === 'finished') return [{ ...base, state: 'pending' }];
        const phase = state.phase;
        switch (phase.kind) {
          case 'shifting':
            return [{ ...base, state: 'shifting' }];
          case 'baking': {
            const left = Math.max(0, Math.ceil((Date.parse(phase.bakeUntil) - now.getTime()) / 1000));
            return [{ ...base, state: 'running', bakeSecondsLeft: left, startedAt: phase.startedAt, holding: phase.askedHuman || (left === 0 && phase.lastVerdict !== 'pass') }];
          }
          case 'waiting':
            return [phase.blockedBy.length > 0 ? { ...base, state: 'waiting', reasons: phase.blockedBy } : { ...base, state: 'pending' }];
          case 'provisioning':
          case 'rolling_back':
          case 'watching':
            return [{ ...base, state: 'pending' }];
          default:
            return assertNever(phase, 'phase');
        }
      });
      return {
        service: change.service,
        from: change.fromVersion,
        to: change.toVersion,
        infraSetId: change.toInfraSetId,
        provisioning: state.cursor > lastProvision ? 'done' : state.cursor === lastProvision && state.phase.kind === 'provisioning' ? 'running' : 'pending',
        stages,
        converged: !rolledBack && finalize !== -1 && finalize < state.cursor,
      };
    });
    const movedHere = state.moved.some((entry) => entry.environment === env);
    const envState: EnvironmentView['state'] =
      rollingBack && (failedEnv === env || movedHere) ? 'rolled_back' : state.cursor > lastIndex ? 'done' : state.cursor >= firstIndex ? 'active' : 'pending';
    const approvalsBy = state.approvals.filter((approval) => approval.environment === env).map(({ userId, at }) => ({ userId, at }));
    return {
      environment: env,
      state: envState,
      services,
      gates: facts && envState !== 'done' && state.phase.kind !== 'finished' ? environmentGates(state, env, facts, config) : [],
      approvals: { required: envPlan.approvalsRequired, by: approvalsBy },
      warnings: envPlan.warnings,
      notes: envPlan.notes ?? [],
      ...watchSecondsOf(state, env),
    };
  });

  return {
    id: state.id,
    status,
    version: meta.version,
    requester: { userId: state.requester.userId },
    versionSetId: state.plan.versionSetId,
    targetEnvironment: target,
    path: state.plan.path,
    createdAt: state.createdAt,
    updatedAt: meta.updatedAt,
    changes: (targetPlan?.changes ?? []).map((change) => ({ service: change.service, from: change.fromVersion, to: change.toVersion, ...(change.shipment ? { shipment: change.shipment } : {}) })),
    environments,
    summary: summarize(state, now),
    paused: state.paused,
    ...(state.plan.downgradeConfirmed ? { downgradeConfirmed: state.plan.downgradeConfirmed } : {}),
    ...irreversibleView(state),
    held: heldView(state),
    health: state.lastHealth,
    watch: watchView(state),
    traffic: state.lastTraffic ?? null,
    awaitingReading: awaitingReading(state, config),
    // Once it rolls back, what it actually moved; before, everything a failure at the end would move.
    rollbackOrder: rollbackOrder(state, { onlyMoved: rollingBack }),
    allowedActions: allowedActions(state),
    outcome: state.phase.kind === 'finished' ? { kind: state.phase.outcome, at: state.phase.at, reason: state.phase.reason } : null,
  };
}

/** Each irreversible service@version the release ships, once, whichever environments it goes to. */
function irreversibleView(state: ReleaseState): Pick<ReleaseView, 'irreversible'> {
  const shipped = new Map<string, { service: string; version: string }>();
  for (const envPlan of state.plan.environments) {
    for (const service of envPlan.irreversible ?? []) {
      const change = envPlan.changes.find((candidate) => candidate.service === service);
      if (change) shipped.set(`${service}@${change.toVersion}`, { service, version: change.toVersion });
    }
  }
  return shipped.size > 0 ? { irreversible: [...shipped.values()] } : {};
}

function watchSecondsOf(state: ReleaseState, environment: string): { watchSeconds?: number } {
  const watch = state.plan.steps.find((step) => step.kind === 'watch' && step.environment === environment);
  return watch?.kind === 'watch' ? { watchSeconds: watch.seconds } : {};
}

function watchView(state: ReleaseState): ReleaseView['watch'] {
  const step = currentStep(state);
  if (state.phase.kind !== 'watching' || step?.kind !== 'watch') return null;
  return { environment: step.environment, since: state.phase.startedAt, until: state.phase.until, services: step.services.map((watched) => watched.service) };
}

function awaitingReading(state: ReleaseState, config: DeliveryConfig): ReleaseView['awaitingReading'] {
  const phase = state.phase;
  const step = currentStep(state);
  if ((phase.kind !== 'baking' && phase.kind !== 'shifting') || step?.kind !== 'stage') return null;
  if (step.bakeSeconds <= 0 || (config.services[step.service]?.checks ?? []).length === 0) return null;
  const last = state.lastHealth;
  const since = phase.kind === 'baking' ? phase.startedAt : phase.since;
  const ownReading = last && last.environment === step.environment && last.service === step.service && last.stage === step.stage && Date.parse(last.at) >= Date.parse(since);
  return ownReading ? null : { environment: step.environment, service: step.service, stage: step.stage };
}

function heldView(state: ReleaseState): ReleaseView['held'] {
  const phase = state.phase;
  const step = currentStep(state);
  if (phase.kind !== 'baking' || !phase.askedHuman || step?.kind !== 'stage') return null;
  // States held before the hold was recorded: since the stage started, asked of the requester.
  const hold = phase.hold ?? { since: phase.startedAt, asked: [state.requester.userId], passingSince: null };
  return { ...hold, environment: step.environment, service: step.service, stage: step.stage, weight: step.weight };
}

export function allowedActions(state: ReleaseState): OperatorAction[] {
  const phase = state.phase;
  if (phase.kind === 'finished' || phase.kind === 'rolling_back') return [];
  const actions: OperatorAction[] = [];
  if (environmentAwaitingApproval(state)) actions.push('approve');
  if (state.paused || (phase.kind === 'baking' && phase.askedHuman) || (phase.kind === 'watching' && phase.services.some((entry) => entry.held))) actions.push('resume');
  if (!state.paused) actions.push('pause');
  if (phase.kind === 'baking') actions.push('promote');
  actions.push('rollback', 'abort');
  // Offered only where it would be accepted: once every service converged where the release is, a fix ships as a new release.
  if (supersedableServices(state).length > 0) actions.push('supersede');
  return actions;
}

function summarize(state: ReleaseState, now: Date): string {
  const phase = state.phase;
  const step = currentStep(state);
  const where = step ? `${step.environment} · ${step.service}` : state.plan.path.join(' → ');
  switch (phase.kind) {
    case 'finished':
      return phase.outcome === 'succeeded' ? `Converged in ${state.plan.path.join(' → ')}` : `${phase.outcome === 'aborted' ? 'Aborted' : 'Rolled back'}: ${phase.reason ?? ''}`;
    case 'rolling_back':
      return `Rolling back: ${phase.reason}`;
    case 'waiting':
      if (state.paused) return `${where} · paused by <@${state.paused.by}>`;
      return phase.blockedBy.length > 0 ? `${where} · waiting: ${phase.blockedBy.map((failure) => failure.message).join('; ')}` : `${where} · starting`;
    case 'provisioning':
      return `${where} · provisioning ${step?.infraSetId ?? ''}`;
    case 'shifting':
      return `${where} · shifting traffic`;
    case 'watching': {
      const left = Math.max(0, (Date.parse(phase.until) - now.getTime()) / 1000);
      const watched = step?.kind === 'watch' ? step.services.map((entry) => entry.service).join(', ') : '';
      const head = `${step?.environment ?? ''} · watching ${watched} at 100%`;
      const held = phase.services.find((entry) => entry.held);
      if (held) return `${head} · held: ${held.service} fails health but is irreversible — Roll back and confirm, or Resume and ship the fix as a new release when the watch closes`;
      if (state.paused) return `${head} · paused by <@${state.paused.by}>`;
      return left > 0 ? `${head}, ${formatDuration(left)} left in the watch window` : `${head}, the watch window is closing`;
    }
    case 'baking': {
      const left = Math.max(0, (Date.parse(phase.bakeUntil) - now.getTime()) / 1000);
      const label = step?.kind === 'stage' ? `${step.stage} ${step.weight}%` : '';
      if (phase.askedHuman) {
        return phase.hold?.passingSince
          ? `${where} · ${label} held: health passes again — press Resume to go on`
          : `${where} · ${label} held: health unclear, a human must decide`;
      }
      return left > 0 ? `${where} · ${label} baking, ${formatDuration(left)} left` : `${where} · ${label} bake done, waiting for a passing health reading`;
    }
    default:
      return assertNever(phase, 'phase');
  }
}
