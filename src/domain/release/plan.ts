import type { DeliveryConfig } from '../../config/delivery-schema.js';
import { formatDuration } from '../../config/duration.js';
import { assessSufficiency } from '../health/sufficiency.js';
import { dependencyOrder } from '../version-set/dependency-order.js';
import { firstDeployRefusal, firstDeployWarning } from './first-deploy.js';
import { GITHUB_COM, shipmentOf, type VersionHistory } from './what-ships.js';
import type { EnvironmentPlan, PlanStep, PlannedStage, ReleasePlan, Refusal, ServiceChange } from './types.js';

/**
 * What serves now, per environment: service → its heaviest serving infra-set, and `others`: every
 * other infra-set of it there that is not retired (warm ones, a lighter canary), which each traffic
 * change lists at its weight so a router never has to guess what to keep.
 */
export type ServingMap = Record<string, Record<string, ServingEntry>>;
export interface ServingEntry {
  version: string;
  infraSetId: string;
  others?: string[];
}

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
  /** What the version sets know of the shipped services' versions: direction, pull requests, links. */
  history?: VersionHistory;
  /** False when `serving` is not known (a plan from the config alone): no change is then called a first deploy. */
  servingKnown?: boolean;
  /** Where the plan's links to GitHub point (GitHub Enterprise); GitHub.com when absent. */
  githubWebUrl?: string;
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
        shipment: shipmentOf({
          from: serving[service]?.version ?? null,
          to: input.versions[service]!,
          repo: config.services[service]?.repo ?? null,
          history: input.history?.[service] ?? [],
          versionSetId: input.versionSetId,
          githubWebUrl: input.githubWebUrl ?? GITHUB_COM,
        }),
      }));
    if (changes.length === 0) continue;
    const firstDeploys = input.servingKnown === false ? [] : changes.filter((change) => change.fromVersion === null).map((change) => change.service);
    const firstDeployRefused = firstDeployRefusal(config, env, firstDeploys);
    if (firstDeployRefused) return { ok: false, refusal: firstDeployRefused };
    const stages: PlannedStage[] = envConfig.stages.map((stage) => ({ name: stage.name, weight: stage.weight, bakeSeconds: stage.bake }));
    // A first deploy has no canary: every stage sends it all the traffic, so per-stage canary sizes do not apply.
    const judgeability = stageJudgeability(config, env, changes.filter((change) => !firstDeploys.includes(change.service)), stages);
    const irreversible = changes.filter((change) => config.services[change.service]?.irreversible.includes(change.toVersion)).map((change) => change.service);
    environments.push({
      environment: env,
      changes,
      stages,
      approvalsRequired: envConfig.approvals.required,
      rollbackOrder: [...changes].reverse().map((change) => ({ service: change.service, toInfraSetId: change.fromInfraSetId, toVersion: change.fromVersion })),
      warnings: [
        ...irreversible.map((service) => `${service}@${input.versions[service]} is irreversible: on failure the release holds for a fix to roll forward or a rollback someone confirms, and never rolls back by itself`),
        ...firstDeploys.map((service) => firstDeployWarning(config, env, service)),
        ...judgeability.filter((line) => !line.enough).map((line) => line.text),
      ],
      ...(irreversible.length > 0 ? { irreversible } : {}),
      notes: [
        ...judgeability.filter((line) => line.enough).map((line) => line.text),
        ...(envConfig.watch !== undefined ? [`after 100%, health is watched for ${formatDuration(envConfig.watch)} with the previous infra-sets warm: a breach rolls back at once`] : []),
      ],
    });
    for (const change of changes) {
      const base = { environment: env, service: change.service, infraSetId: change.toInfraSetId, version: change.toVersion };
      steps.push({ kind: 'provision', ...base });
      stages.forEach((stage, stageIndex) => {
        steps.push({ kind: 'stage', ...base, stage: stage.name, stageIndex, weight: stage.weight, bakeSeconds: stage.bakeSeconds });
      });
      steps.push({ kind: 'finalize', ...base });
    }
    if (envConfig.watch !== undefined) {
      const last = changes[changes.length - 1]!;
      steps.push({
        kind: 'watch',
        environment: env,
        service: last.service,
        infraSetId: last.toInfraSetId,
        version: last.toVersion,
        seconds: envConfig.watch,
        services: changes.map((change) => ({
          service: change.service,
          infraSetId: change.toInfraSetId,
          version: change.toVersion,
          previous: change.fromInfraSetId && change.fromVersion ? { infraSetId: change.fromInfraSetId, version: change.fromVersion } : null,
        })),
      });
    }
  }
  if (steps.length === 0) {
    return { ok: false, refusal: { code: 'nothing_to_deploy', message: `Every service of version set ${input.versionSetId} already serves these versions in ${path.join(' → ')}` } };
  }
  return { ok: true, plan: { versionSetId: input.versionSetId, versions: { ...input.versions }, path, environments, steps } };
}

/**
 * Whether each judged stage can reach a verdict within its bake, said up front (DESIGN.md §7). The
 * judge's own rule (assessSufficiency) decides, so the plan and the judge never disagree; a stage
 * that cannot is a warning (it will hold for a human), one that can is a note with the expected time.
 */
function stageJudgeability(config: DeliveryConfig, env: string, changes: ServiceChange[], stages: PlannedStage[]): Array<{ enough: boolean; text: string }> {
  const lines: Array<{ enough: boolean; text: string }> = [];
  const intervalSeconds = config.environments[env]!.health.interval;
  for (const change of changes) {
    const service = config.services[change.service]!;
    if (!service.expectedLoad || service.checks.length === 0) continue;
    const { requestsPerSecond, errorRate } = service.expectedLoad;
    for (const stage of stages) {
      if (stage.bakeSeconds === 0) continue;
      const verdicts = service.checks.map((check) =>
        assessSufficiency({ check, requestsPerSecond, weight: stage.weight, baselineErrorRate: errorRate, bakeSeconds: stage.bakeSeconds, intervalSeconds }),
      );
      // A stage is judged when every check is: the slowest one sets the pace.
      const slowest = verdicts.reduce((worst, verdict) => (verdict.expectedSecondsToVerdict > worst.expectedSecondsToVerdict ? verdict : worst));
      const enough = verdicts.every((verdict) => verdict.enough);
      const rate = requestsPerSecond * (stage.weight / 100);
      const head = `${stage.name} ${stage.weight}% of ${change.service}: ~${formatRate(rate)} req/s, expected verdict ${Number.isFinite(slowest.expectedSecondsToVerdict) ? `in ~${formatMinutes(slowest.expectedSecondsToVerdict)}` : 'never'}; bake ${formatDuration(stage.bakeSeconds)}`;
      lines.push(
        enough
          ? { enough, text: `${head}: enough` }
          : { enough, text: `${head}: not enough data within the bake (${service.checks.filter((_, index) => !verdicts[index]!.enough).map((check) => check.name).join(', ')}); it will hold for a human` },
      );
    }
  }
  return lines;
}

function formatRate(rate: number): string {
  return rate >= 10 ? String(Math.round(rate)) : rate >= 1 ? rate.toFixed(1).replace(/\.0$/, '') : rate.toFixed(2);
}

function formatMinutes(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)}s`;
  return seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}
