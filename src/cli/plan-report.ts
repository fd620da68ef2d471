import { formatDuration } from '../config/duration.js';
import type { DeliveryConfig, EnvironmentConfig } from '../config/delivery-schema.js';
import { describeDowngrade, type Downgrade } from '../domain/release/downgrade.js';
import type { ReleasePlan } from '../domain/release/types.js';
import { changeMarks } from '../domain/release/what-ships.js';
import type { ConstraintViolation } from '../domain/version-set/constraints.js';
import { deployWindowStatus, describeWindow } from '../domain/windows/window-status.js';

/** What `--deploy` named: a stored version set, or service@version pairs shipped as an ad-hoc set. */
export type DeploySpec = { kind: 'set'; versionSetId: number } | { kind: 'adhoc'; versions: Record<string, string> };

export type DeploySpecParse = { ok: true; spec: DeploySpec } | { ok: false; message: string };

/**
 * Reads `--deploy` values: `set 42` (also `set:42`, or `--deploy set 42` where 42 arrives as a
 * positional), or service@version pairs, repeated or comma-separated.
 */
export function parseDeploySpec(values: readonly string[], positionals: readonly string[]): DeploySpecParse {
  const words = values.flatMap((value) => value.split(',')).map((word) => word.trim()).filter(Boolean);
  if (words.length === 0) return { ok: false, message: 'missing --deploy <service@version | set N>' };
  const setMatch = words.length === 1 ? /^set(?:[\s:=]+(\d+))?$/i.exec(words[0]!) : null;
  if (setMatch) {
    const id = setMatch[1] ?? (positionals.length === 1 ? positionals[0] : undefined);
    if (id === undefined || !/^\d+$/.test(id)) return { ok: false, message: 'expected a version set number after "set", e.g. --deploy "set 42"' };
    return { ok: true, spec: { kind: 'set', versionSetId: Number(id) } };
  }
  if (positionals.length > 0) return { ok: false, message: `unexpected argument "${positionals[0]}"` };
  const versions: Record<string, string> = {};
  for (const word of words) {
    const [, service, version] = /^([a-z0-9][a-z0-9-]*)@(\S+)$/.exec(word) ?? [];
    if (service === undefined || version === undefined) return { ok: false, message: `"${word}" is not service@version (e.g. checkout@v1.4.2) or "set N"` };
    if (versions[service] !== undefined && versions[service] !== version) {
      return { ok: false, message: `${service} is named twice, as ${versions[service]} and ${version}` };
    }
    versions[service] = version;
  }
  return { ok: true, spec: { kind: 'adhoc', versions } };
}

/** One precondition of an environment, as the plan shows it before anything starts. */
export interface PlannedGate {
  gate: 'approvals' | 'window' | 'freeze' | 'previous_environment' | 'dependencies';
  /** What the config demands. */
  rule: string;
  /** How it stands at the time of the plan, when that can be known without the database. */
  now?: string;
}

export function environmentGates(config: DeliveryConfig, environment: string, path: readonly string[], at: Date): PlannedGate[] {
  const spec: EnvironmentConfig = config.environments[environment]!;
  const gates: PlannedGate[] = [];
  const approvals = spec.approvals;
  gates.push({
    gate: 'approvals',
    rule:
      approvals.required === 0
        ? 'none required'
        : `${approvals.required} from ${approvals.from.join(', ')}${approvals.excludeRequester ? ' (not the requester)' : ''}`,
  });
  const status = deployWindowStatus(spec, at);
  const opens = !status.open && status.reopensAt ? `, opens ${status.reopensAt.toISOString()}` : '';
  const now = status.open
    ? `open now${status.closesAt ? `, closes ${status.closesAt.toISOString()}` : ''}`
    : status.code === 'scheduled_freeze'
      ? `closed now, ${status.reason}${opens}`
      : `closed now${opens}`;
  const scheduled = spec.windows.length > 0 || spec.freezes.length > 0;
  gates.push({
    gate: 'window',
    rule: spec.windows.length === 0 ? 'always open' : spec.windows.map(describeWindow).join('; '),
    ...(scheduled ? { now } : {}),
  });
  const upcoming = spec.freezes.filter((freeze) => freeze.to.getTime() > at.getTime());
  gates.push({
    gate: 'freeze',
    rule:
      upcoming.length === 0
        ? 'no scheduled freeze (an ad-hoc /freeze still applies)'
        : upcoming.map((freeze) => `${freeze.reason}: ${freeze.from.toISOString()} → ${freeze.to.toISOString()}`).join('; '),
  });
  const previous = path.slice(0, path.indexOf(environment));
  const required = spec.requires.length > 0 ? spec.requires : previous.slice(-1);
  if (required.length > 0) gates.push({ gate: 'previous_environment', rule: `the same versions converged in ${required.join(', ')}` });
  gates.push({ gate: 'dependencies', rule: 'each service starts after the providers it depends on in this release converge' });
  return gates;
}

export interface PlanReport {
  plan: ReleasePlan;
  /** Keyed by environment. */
  gates: Record<string, PlannedGate[]>;
  violations: ConstraintViolation[];
  source: { kind: 'set'; versionSetId: number } | { kind: 'adhoc' };
  /** Per environment and service: the platform object and field a traffic move writes, and what the new infra-set is made of. */
  objects: Record<string, Record<string, { traffic: string; infra: string }>>;
  /** Services the plan takes back to an older version, and whether --allow-downgrade confirmed them. */
  downgrades: { list: Downgrade[]; allowed: boolean };
}

export function renderPlanText(report: PlanReport): string {
  const { plan } = report;
  const what = Object.entries(plan.versions).map(([service, version]) => `${service}@${version}`).join(', ');
  const lines: string[] = [
    `Plan: ${report.source.kind === 'set' ? `version set ${report.source.versionSetId} (${what})` : what} to ${plan.path[plan.path.length - 1]}`,
    `Path: ${plan.path.join(' → ')}`,
  ];
  if (report.violations.length > 0) {
    lines.push('', 'Version constraints: ✗ this deploy would be refused');
    for (const violation of report.violations) lines.push(`  ✗ ${violation.message}`);
  } else {
    lines.push('Version constraints: ✓ satisfied');
  }
  if (report.downgrades.list.length > 0) {
    lines.push('', report.downgrades.allowed ? 'Downgrades: ⚠ allowed by --allow-downgrade' : 'Downgrades: ✗ this deploy would be refused without --allow-downgrade');
    for (const downgrade of report.downgrades.list) lines.push(`  ⚠ ${describeDowngrade(downgrade)}${downgrade.orderedBy === 'version_sets' ? ' (older version set)' : ''}`);
  }
  for (const environment of plan.environments) {
    lines.push('', `${environment.environment}`);
    lines.push('  Deploy order (providers first):');
    const width = Math.max(...environment.changes.map((change) => change.service.length));
    environment.changes.forEach((change, index) => {
      const from = change.fromVersion ?? '(none)';
      lines.push(`    ${index + 1}. ${change.service.padEnd(width)}  ${from} → ${change.toVersion}${changeMarks(change, plan.versionSetId)}  (infra-set ${change.toInfraSetId})`);
      const objects = report.objects[environment.environment]?.[change.service];
      if (objects) lines.push(`       infra:   ${objects.infra}`, `       traffic: ${objects.traffic}`);
    });
    lines.push(
      `  Stages: ${environment.stages.map((stage) => `${stage.name} ${stage.weight}%${stage.bakeSeconds > 0 ? ` bake ${formatDuration(stage.bakeSeconds)}` : ''}`).join(' → ')}`,
    );
    lines.push('  Gates:');
    for (const gate of report.gates[environment.environment] ?? []) {
      lines.push(`    ${gate.gate.replace('_', ' ')}: ${gate.rule}${gate.now ? ` — ${gate.now}` : ''}`);
    }
    lines.push(`  Rollback order (reverse): ${environment.rollbackOrder.map((step) => step.service).join(' → ')}`);
    for (const step of environment.rollbackOrder) {
      lines.push(`    ${step.service} back to ${step.toVersion ? `${step.toVersion} (${step.toInfraSetId})` : 'no previous version: traffic off the new infra-set'}`);
    }
    for (const warning of environment.warnings) lines.push(`  ⚠ ${warning}`);
  }
  return lines.join('\n');
}
