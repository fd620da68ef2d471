import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { ServingMap } from './plan.js';
import type { GateResult, PlanStep, ReleaseState } from './types.js';

/** What the world looks like for one environment at `now`, loaded by the service before deciding. */
export interface EnvironmentFacts {
  window: { open: true; closesAt: string | null } | { open: false; reopensAt: string | null; reason: string };
  freeze: { frozen: false } | { frozen: true; reason: string; until: string | null };
  lock: { holder: string; reason: string | null } | null;
}

export interface WorldFacts {
  environments: Record<string, EnvironmentFacts>;
  serving: ServingMap;
}

const OPEN_FACTS: EnvironmentFacts = { window: { open: true, closesAt: null }, freeze: { frozen: false }, lock: null };

export function factsFor(facts: WorldFacts, environment: string): EnvironmentFacts {
  return facts.environments[environment] ?? OPEN_FACTS;
}

/**
 * The gates before a step, each as a value. Provision and stage steps need approvals, an open
 * window, no freeze, a free lock (or one held by the requester) and the previous environment
 * converged; a stage also needs the service's providers in this release converged here. Finalize
 * moves no traffic and is never gated.
 */
export function gatesFor(state: ReleaseState, step: PlanStep, facts: WorldFacts, config: DeliveryConfig): GateResult[] {
  if (step.kind === 'finalize') return [];
  const env = step.environment;
  const envFacts = factsFor(facts, env);
  const results: GateResult[] = [approvalsGate(state, env), windowGate(envFacts), freezeGate(envFacts), lockGate(envFacts, state.requester.userId), previousEnvironmentGate(state, env, facts)];
  if (step.kind === 'stage') results.push(dependenciesGate(state, step.service, env, facts, config));
  return results;
}

/** The gates shown for an environment on the card: those of its first step. */
export function environmentGates(state: ReleaseState, environment: string, facts: WorldFacts, config: DeliveryConfig): GateResult[] {
  const first = state.plan.steps.find((step) => step.environment === environment && step.kind === 'stage');
  return first ? gatesFor(state, first, facts, config) : [];
}

export function approvalsGate(state: ReleaseState, environment: string): GateResult {
  const required = state.plan.environments.find((plan) => plan.environment === environment)?.approvalsRequired ?? 0;
  const have = state.approvals.filter((approval) => approval.environment === environment).length;
  if (have >= required) return { gate: 'approvals', ok: true, detail: required === 0 ? 'none required' : `${have}/${required}` };
  return { gate: 'approvals', ok: false, code: 'approvals_missing', message: `${have} of ${required} approval${required === 1 ? '' : 's'} for ${environment}` };
}

function windowGate(facts: EnvironmentFacts): GateResult {
  if (facts.window.open) return { gate: 'window', ok: true };
  return {
    gate: 'window',
    ok: false,
    code: 'window_closed',
    message: facts.window.reason,
    ...(facts.window.reopensAt ? { opensAt: facts.window.reopensAt } : {}),
  };
}

function freezeGate(facts: EnvironmentFacts): GateResult {
  if (!facts.freeze.frozen) return { gate: 'freeze', ok: true };
  return {
    gate: 'freeze',
    ok: false,
    code: 'frozen',
    message: `Frozen: ${facts.freeze.reason}`,
    ...(facts.freeze.until ? { opensAt: facts.freeze.until } : {}),
  };
}

function lockGate(facts: EnvironmentFacts, requesterId: string): GateResult {
  if (!facts.lock || facts.lock.holder === requesterId) return { gate: 'lock', ok: true };
  return { gate: 'lock', ok: false, code: 'environment_locked', message: `Locked by <@${facts.lock.holder}>${facts.lock.reason ? `: ${facts.lock.reason}` : ''}` };
}

function previousEnvironmentGate(state: ReleaseState, environment: string, facts: WorldFacts): GateResult {
  const index = state.plan.path.indexOf(environment);
  if (index <= 0) return { gate: 'previous_environment', ok: true };
  const previous = state.plan.path[index - 1]!;
  const services = state.plan.environments.find((plan) => plan.environment === environment)?.changes.map((change) => change.service) ?? [];
  const lagging = services.filter((service) => facts.serving[previous]?.[service]?.version !== state.plan.versions[service]);
  if (lagging.length === 0) return { gate: 'previous_environment', ok: true, detail: `${previous} converged` };
  return {
    gate: 'previous_environment',
    ok: false,
    code: 'previous_environment_not_converged',
    message: `${lagging.map((service) => `${service}@${state.plan.versions[service]}`).join(', ')} not yet serving in ${previous}`,
  };
}

function dependenciesGate(state: ReleaseState, service: string, environment: string, facts: WorldFacts, config: DeliveryConfig): GateResult {
  const inRelease = new Set(state.plan.environments.find((plan) => plan.environment === environment)?.changes.map((change) => change.service) ?? []);
  const providers = (config.services[service]?.dependsOn ?? []).map((dep) => dep.service).filter((provider) => inRelease.has(provider));
  const lagging = providers.filter((provider) => facts.serving[environment]?.[provider]?.version !== state.plan.versions[provider]);
  if (lagging.length === 0) return { gate: 'dependencies', ok: true };
  return {
    gate: 'dependencies',
    ok: false,
    code: 'dependencies_not_converged',
    message: `${service} waits for ${lagging.map((provider) => `${provider}@${state.plan.versions[provider]}`).join(', ')} in ${environment}`,
  };
}
