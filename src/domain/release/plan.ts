import type { DeliveryConfig } from '../../config/delivery-schema.js';
import { dependencyOrder } from '../version-set/dependency-order.js';
import type { EnvironmentPlan, PlanStep, PlannedStage, ReleasePlan, Refusal, ServiceChange } from './types.js';

/** What serves now in one environment: service → its serving infra-set. */
export type ServingMap = Record<string, Record<string, { version: string; infraSetId: string }>>;

export interface PlanInput {
  releaseId: string;
  config: DeliveryConfig;
  versionSetId: number;
  /** The whole version set, service → version. */
  versions: Record<string, string>;
  environment: string;
  serving: ServingMap;
  /** When set, only these services may change (a single-service /deploy). */
  scope?: readonly string[];
}

export type PlanResult = { ok: true; plan: ReleasePlan } | { ok: false; refusal: Refusal };

/** The environments a release walks: everything `environment` requires (transitively), in config order, then itself. */
export function environmentPath(config: DeliveryConfig, environment: string): string[] {
  const needed = new Set<string>();
  const visit = (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    for (const required of config.environments[name]?.requires ?? []) visit(required);
  };
  visit(environment);
  return Object.keys(config.environments).filter((name) => needed.has(name) && name !== environment).concat(environment);
}

export function infraSetIdFor(releaseId: string, environment: string, service: string, revision = 0): string {
  return `is-${releaseId}-${environment}-${service}${revision > 0 ? `-s${revision}` : ''}`;
}

/**
 * Plans a release: for each environment on the path, the services whose version differs from what
 * serves there, in dependency order, each minting a new infra-set and walking the environment's
 * stages; and, computed now so it can be shown before anything starts, the rollback order.
 */
export function planRelease(input: PlanInput): PlanResult {
  const { config, environment } = input;
  if (!config.environments[environment]) {
    return { ok: false, refusal: { code: 'unknown_environment', message: `No environment named ${environment}` } };
  }
  for (const service of Object.keys(input.versions)) {
    if (!config.services[service]) return { ok: false, refusal: { code: 'unknown_service', message: `No service named ${service}` } };
  }
  const candidates = Object.keys(input.versions).filter((service) => !input.scope || input.scope.includes(service));
  const dependsOn = Object.fromEntries(Object.entries(config.services).map(([name, service]) => [name, service.dependsOn.map((dep) => dep.service)]));
  const ordered = dependencyOrder(candidates, dependsOn);
  if (!ordered.ok) {
    return { ok: false, refusal: { code: 'dependency_cycle', message: `Dependency cycle: ${ordered.cycle.join(' → ')}` } };
  }

  const path = environmentPath(config, environment);
  const environments: EnvironmentPlan[] = [];
  const steps: PlanStep[] = [];
  for (const env of path) {
    const envConfig = config.environments[env]!;
    const serving = input.serving[env] ?? {};
    const changes: ServiceChange[] = ordered.order
      .filter((service) => serving[service]?.version !== input.versions[service])
      .map((service) => ({
        service,
        fromVersion: serving[service]?.version ?? null,
        fromInfraSetId: serving[service]?.infraSetId ?? null,
        toVersion: input.versions[service]!,
        toInfraSetId: infraSetIdFor(input.releaseId, env, service),
      }));
    if (changes.length === 0) continue;
    const stages: PlannedStage[] = envConfig.stages.map((stage) => ({ name: stage.name, weight: stage.weight, bakeSeconds: stage.bake }));
    environments.push({
      environment: env,
      changes,
      stages,
      approvalsRequired: envConfig.approvals.required,
      rollbackOrder: [...changes].reverse().map((change) => ({ service: change.service, toInfraSetId: change.fromInfraSetId, toVersion: change.fromVersion })),
      warnings: judgeabilityWarnings(config, env, changes, stages),
    });
    for (const change of changes) {
      const base = { environment: env, service: change.service, infraSetId: change.toInfraSetId, version: change.toVersion };
      steps.push({ kind: 'provision', ...base });
      stages.forEach((stage, stageIndex) => {
        steps.push({ kind: 'stage', ...base, stage: stage.name, stageIndex, weight: stage.weight, bakeSeconds: stage.bakeSeconds });
      });
      steps.push({ kind: 'finalize', ...base });
    }
  }
  if (steps.length === 0) {
    return { ok: false, refusal: { code: 'nothing_to_deploy', message: `Every service of version set ${input.versionSetId} already serves these versions in ${path.join(' → ')}` } };
  }
  return { ok: true, plan: { versionSetId: input.versionSetId, versions: { ...input.versions }, path, environments, steps } };
}

/**
 * A canary stage too small to judge within its bake is said up front: with the expected load and
 * error rate, fewer than ~5 expected errors over the bake cannot tell a doubled error rate apart
 * (DESIGN.md §7).
 */
function judgeabilityWarnings(config: DeliveryConfig, env: string, changes: ServiceChange[], stages: PlannedStage[]): string[] {
  const warnings: string[] = [];
  for (const change of changes) {
    const service = config.services[change.service]!;
    if (!service.expectedLoad || !service.checks.some((check) => check.kind === 'error_rate')) continue;
    for (const stage of stages) {
      if (stage.bakeSeconds === 0) continue;
      const expectedErrors = service.expectedLoad.requestsPerSecond * (stage.weight / 100) * stage.bakeSeconds * service.expectedLoad.errorRate;
      if (expectedErrors < 5) {
        warnings.push(
          `${change.service} in ${env}: stage ${stage.name} (${stage.weight}%) expects ~${expectedErrors.toFixed(1)} errors over its bake — not enough data to judge error rate; it will hold for a human`,
        );
      }
    }
  }
  return warnings;
}
