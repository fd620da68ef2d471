import { formatDuration } from './duration.js';
import { parseConstraint } from '../domain/version-set/constraints.js';
import { dependencyOrder } from '../domain/version-set/dependency-order.js';
import { checkWindowCron, isValidTimeZone } from '../domain/windows/window-status.js';
import type { DeliveryConfig } from './delivery-schema.js';
import type { KeyPath } from './source-map.js';
import { validateRouting } from './validate-routing.js';

/** One problem the schema cannot see: a reference, a cycle, an order. The loader adds file positions. */
export interface ConfigIssue {
  path: KeyPath;
  message: string;
}

/**
 * Checks what holds between parts of a parsed config: every name refers to something that exists,
 * nothing depends on itself in a loop, schedules parse, stages ramp up to 100%. Returns every issue.
 */
export function validateDeliveryConfig(config: DeliveryConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const teams = Object.keys(config.teams);
  const services = Object.keys(config.services);
  const environments = Object.keys(config.environments);
  const groups = Object.keys(config.approverGroups);

  for (const [service, spec] of Object.entries(config.services)) {
    const at = ['services', service];
    if (!config.teams[spec.team]) {
      issues.push({ path: [...at, 'team'], message: `unknown team '${spec.team}'${known('teams', teams)}` });
    }
    spec.dependsOn.forEach((dependency, index) => {
      const dependencyAt = [...at, 'dependsOn', index];
      if (dependency.service === service) {
        issues.push({ path: [...dependencyAt, 'service'], message: `${service} cannot depend on itself` });
      } else if (!config.services[dependency.service]) {
        issues.push({ path: [...dependencyAt, 'service'], message: `unknown service '${dependency.service}'${known('services', services)}` });
      }
      if (dependency.version !== undefined) {
        const parsed = parseConstraint(dependency.version);
        if (!parsed.ok) issues.push({ path: [...dependencyAt, 'version'], message: `invalid version constraint: ${parsed.message}` });
      }
    });
    const checkNames = new Set<string>();
    spec.checks.forEach((check, index) => {
      if (checkNames.has(check.name)) issues.push({ path: [...at, 'checks', index, 'name'], message: `duplicate check name '${check.name}'` });
      checkNames.add(check.name);
    });
  }

  // Services sharing a repository (a monorepo) need distinct paths, or a merge cannot say whose version it mints.
  const byRepo = new Map<string, string[]>();
  for (const [service, spec] of Object.entries(config.services)) byRepo.set(spec.repo, [...(byRepo.get(spec.repo) ?? []), service]);
  for (const [repo, sharing] of byRepo) {
    if (sharing.length < 2) continue;
    const paths = new Map<string, string>();
    for (const service of sharing) {
      const path = config.services[service]!.path?.replace(/^\.?\/+|\/+$/g, '');
      if (path === undefined || path === '') {
        issues.push({ path: ['services', service, 'repo'], message: `${repo} holds ${sharing.join(', ')}: give each a distinct \`path\`` });
      } else if (paths.has(path)) {
        issues.push({ path: ['services', service, 'path'], message: `${paths.get(path)} already uses path '${path}' in ${repo}` });
      } else {
        paths.set(path, service);
      }
    }
  }

  const serviceOrder = dependencyOrder(
    services,
    Object.fromEntries(Object.entries(config.services).map(([service, spec]) => [service, spec.dependsOn.map((dependency) => dependency.service)])),
  );
  if (!serviceOrder.ok) {
    // Point at the first edge of the cycle: the dependency entry of its first service on the second.
    const [first, second] = serviceOrder.cycle;
    const index = config.services[first!]!.dependsOn.findIndex((dependency) => dependency.service === second);
    issues.push({ path: ['services', first!, 'dependsOn', index, 'service'], message: `dependency cycle: ${serviceOrder.cycle.join(' → ')}` });
  }

  for (const [environment, spec] of Object.entries(config.environments)) {
    const at = ['environments', environment];
    if (spec.watch !== undefined && spec.watch < spec.health.interval) {
      issues.push({ path: [...at, 'watch'], message: `a watch of ${formatDuration(spec.watch)} is shorter than the health interval (${formatDuration(spec.health.interval)}): nothing would be measured in it` });
    }
    spec.requires.forEach((required, index) => {
      if (required === environment) issues.push({ path: [...at, 'requires', index], message: `${environment} cannot require itself` });
      else if (!config.environments[required]) {
        issues.push({ path: [...at, 'requires', index], message: `unknown environment '${required}'${known('environments', environments)}` });
      }
    });

    const stageNames = new Set<string>();
    spec.stages.forEach((stage, index) => {
      if (stageNames.has(stage.name)) issues.push({ path: [...at, 'stages', index, 'name'], message: `duplicate stage name '${stage.name}'` });
      stageNames.add(stage.name);
      const previous = spec.stages[index - 1];
      if (previous && stage.weight <= previous.weight) {
        issues.push({
          path: [...at, 'stages', index, 'weight'],
          message: `stage weights must strictly increase: ${stage.weight}% after ${previous.weight}% in '${previous.name}'`,
        });
      }
    });
    const last = spec.stages[spec.stages.length - 1];
    if (last && last.weight !== 100) {
      issues.push({ path: [...at, 'stages', spec.stages.length - 1, 'weight'], message: `the last stage must take 100% of traffic (got ${last.weight}%)` });
    }

    spec.approvals.from.forEach((group, index) => {
      if (!config.approverGroups[group]) {
        issues.push({ path: [...at, 'approvals', 'from', index], message: `unknown approver group '${group}'${known('approverGroups', groups)}` });
      }
    });
    if (spec.approvals.required > 0) {
      const approvers = new Set(spec.approvals.from.flatMap((group) => config.approverGroups[group] ?? []));
      if (spec.approvals.from.length === 0) {
        issues.push({ path: [...at, 'approvals', 'from'], message: `${spec.approvals.required} approval(s) required but no approver group is named` });
      } else if (approvers.size > 0 && approvers.size < spec.approvals.required) {
        issues.push({
          path: [...at, 'approvals', 'required'],
          message: `${spec.approvals.required} approvals required but the groups have only ${approvers.size} member(s)`,
        });
      }
    }

    spec.windows.forEach((window, index) => {
      const windowAt = [...at, 'windows', index];
      if (!isValidTimeZone(window.timezone)) {
        issues.push({ path: [...windowAt, 'timezone'], message: `unknown IANA time zone '${window.timezone}' (e.g. America/New_York, Europe/Berlin, UTC)` });
      }
      const cron = checkWindowCron(window.cron);
      if (!cron.ok) issues.push({ path: [...windowAt, 'cron'], message: `invalid cron expression '${window.cron}': ${cron.message}` });
      if (window.duration <= 0) issues.push({ path: [...windowAt, 'duration'], message: 'a window must last longer than 0s' });
    });

    spec.freezes.forEach((freeze, index) => {
      if (freeze.to.getTime() <= freeze.from.getTime()) {
        issues.push({
          path: [...at, 'freezes', index, 'to'],
          message: `a freeze must end after it starts (from ${freeze.from.toISOString()}, to ${freeze.to.toISOString()})`,
        });
      }
    });
  }

  const environmentOrder = dependencyOrder(
    environments,
    Object.fromEntries(Object.entries(config.environments).map(([environment, spec]) => [environment, spec.requires])),
  );
  if (!environmentOrder.ok) {
    const [first, second] = environmentOrder.cycle;
    const index = config.environments[first!]!.requires.indexOf(second!);
    issues.push({ path: ['environments', first!, 'requires', index], message: `environment cycle: ${environmentOrder.cycle.join(' → ')}` });
  }

  const queue = config.mergeQueue;
  if (queue?.autoDeployTo !== undefined && !config.environments[queue.autoDeployTo]) {
    issues.push({ path: ['mergeQueue', 'autoDeployTo'], message: `unknown environment '${queue.autoDeployTo}'${known('environments', environments)}` });
  }
  const digest = config.dora?.digest;
  if (digest) {
    if (!isValidTimeZone(digest.timezone)) issues.push({ path: ['dora', 'digest', 'timezone'], message: `unknown IANA time zone '${digest.timezone}' (e.g. America/New_York, Europe/Berlin, UTC)` });
    const cron = checkWindowCron(digest.cron);
    if (!cron.ok) issues.push({ path: ['dora', 'digest', 'cron'], message: `invalid cron expression '${digest.cron}': ${cron.message}` });
  }
  issues.push(...validateRouting(config));
  return issues;
}

function known(what: string, names: string[]): string {
  return names.length === 0 ? ` (no ${what} are defined)` : ` (known ${what}: ${names.join(', ')})`;
}
