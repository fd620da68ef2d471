import type { DeliveryConfig, HealthCheckConfig } from '../../config/delivery-schema.js';
import type { Refusal } from './types.js';

/**
 * The first deploy of a service to an environment has nothing to split traffic with and no baseline
 * to compare a canary with: every stage sends it all the traffic, and only absolute thresholds
 * (`max` on an error rate, `maxMs` on a latency, a saturation's `max`) can judge it. Said up front;
 * and where a human must approve, refused unless those thresholds are there.
 */

export const FIRST_DEPLOY_NOTICE = 'first deploy: no canary possible — judged on absolute thresholds only';

/** A check that needs a baseline to judge anything: the key to add, and where. */
export interface MissingThreshold {
  check: string;
  key: 'max' | 'maxMs';
  path: string;
}

/** Checks of the service that would stay inconclusive without a baseline, with the key each lacks. */
export function missingAbsoluteThresholds(service: string, checks: readonly HealthCheckConfig[]): MissingThreshold[] {
  const missing: MissingThreshold[] = [];
  checks.forEach((check, index) => {
    const path = `services.${service}.checks[${index}]`;
    if (check.kind === 'error_rate' && check.max === undefined) missing.push({ check: check.name, key: 'max', path: `${path}.max` });
    if (check.kind === 'latency' && check.maxMs === undefined) missing.push({ check: check.name, key: 'maxMs', path: `${path}.maxMs` });
  });
  return missing;
}

function keysToAdd(missing: readonly MissingThreshold[]): string {
  return missing.map((entry) => `\`${entry.key}\` to check ${entry.check} (${entry.path})`).join(' and ');
}

/** The plan's up-front line for a service that never served in `environment`. */
export function firstDeployWarning(config: DeliveryConfig, environment: string, service: string): string {
  const checks = config.services[service]?.checks ?? [];
  const head = `${service} in ${environment}: ${FIRST_DEPLOY_NOTICE}`;
  if (checks.length === 0) return `${head} (it has no health checks: nothing is judged)`;
  const missing = missingAbsoluteThresholds(service, checks);
  if (missing.length === 0) return head;
  return `${head}; ${missing.map((entry) => `${entry.check} has no ${entry.key}`).join(', ')}, so it cannot judge and the release will hold for a human (add ${keysToAdd(missing)})`;
}

/**
 * Refuses the first deploy of a service to an environment that needs approvals when a check of it
 * could only compare with a baseline: there is none, so it would hold at every stage.
 */
export function firstDeployRefusal(config: DeliveryConfig, environment: string, services: readonly string[]): Refusal | null {
  if ((config.environments[environment]?.approvals.required ?? 0) === 0) return null;
  const problems = services
    .map((service) => ({ service, missing: missingAbsoluteThresholds(service, config.services[service]?.checks ?? []) }))
    .filter((entry) => entry.missing.length > 0);
  if (problems.length === 0) return null;
  const names = problems.map((entry) => entry.service).join(', ');
  return {
    code: 'first_deploy_needs_thresholds',
    message:
      `${names} never served in ${environment}, so there is no baseline to compare a canary with (${FIRST_DEPLOY_NOTICE}), and ${environment} needs approvals. ` +
      `Add ${problems.map((entry) => keysToAdd(entry.missing)).join('; and ')} to the delivery config, then deploy again.`,
  };
}
