import { parseArgs } from 'node:util';
import { and, eq, gt } from 'drizzle-orm';
import { githubWebUrl } from '../../config/env.js';
import { formatConfigErrors, loadDeliveryConfig } from '../../config/load-delivery-config.js';
import type { DeliveryConfig } from '../../config/delivery-schema.js';
import { planDowngrades } from '../../domain/release/downgrade.js';
import { planRelease, type ServingMap } from '../../domain/release/plan.js';
import type { VersionHistory } from '../../domain/release/what-ships.js';
import { versionHistory } from '../../store/repos/drizzle-version-history.js';
import type { ReleasePlan } from '../../domain/release/types.js';
import { plannedInfraSet, plannedTrafficChange } from '../../adapters/planned-objects.js';
import { checkConstraints } from '../../domain/version-set/constraints.js';
import { databaseOptionsFromEnv, openDatabase } from '../../store/db.js';
import { infraSets, versionSetMembers } from '../../store/schema/index.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { environmentGates, parseDeploySpec, renderPlanText, type DeploySpec, type PlanReport } from '../plan-report.js';

export const PLAN_HELP = `Usage: durable-delivery plan --deploy <service@version | set N> --to <environment> [--json] [--config file]

Prints the plan a deploy would make, without starting anything: the environments it walks, the
services in dependency order (providers first), the stages of each environment, its gates
(approvals, windows, freezes, previous environment) and the rollback order (the reverse).

  --deploy service@version   one or more services, repeated or comma-separated: an ad-hoc set,
                             planned from the config alone (no database needed)
  --deploy "set N"           version set N from the database (DATABASE_URL, else PGlite in DATA_DIR),
                             planned against what serves there now
  --to environment           the target environment; the environments it requires come first
  --allow-downgrade          confirm the plan's downgrades (a service going back to an older
                             version than serves); without it such a plan is refused
  --json                     the plan as JSON
  --config file              the delivery config (default: DELIVERY_CONFIG, ./delivery.yaml, the example)

Exit status: 0 with a plan, 1 when the deploy would be refused (unknown service, constraint
violated, nothing to deploy, a downgrade not allowed) or the config is invalid, 2 on a usage error.`;

export async function planCommand(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      deploy: { type: 'string', multiple: true },
      to: { type: 'string' },
      json: { type: 'boolean', default: false },
      'allow-downgrade': { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const parsed = parseDeploySpec(values.deploy ?? [], positionals);
  if (!parsed.ok) throw new UsageError(parsed.message);
  if (!values.to) throw new UsageError('missing --to <environment>');

  const loaded = loadDeliveryConfig(values.config ?? context.env.DELIVERY_CONFIG, { cwd: context.cwd });
  if (!loaded.ok) {
    context.err(formatConfigErrors(loaded));
    return 1;
  }
  const config = loaded.config;
  const input = await versionsAndServing(parsed.spec, context);
  if (!input.ok) {
    context.err(input.message);
    return 1;
  }

  const planned = planRelease({
    releaseId: 'preview',
    config,
    versionSetId: parsed.spec.kind === 'set' ? parsed.spec.versionSetId : 0,
    versions: input.versions,
    environment: values.to,
    serving: input.serving,
    history: input.history,
    // An ad-hoc set is planned from the config alone: what serves is not known, so nothing is called a first deploy.
    servingKnown: parsed.spec.kind === 'set',
    githubWebUrl: githubWebUrl(context.env),
  });
  if (!planned.ok) {
    if (values.json) context.out(JSON.stringify({ ok: false, refusal: planned.refusal }, null, 2));
    else context.err(`Refused (${planned.refusal.code}): ${planned.refusal.message}`);
    return 1;
  }

  const now = context.now();
  const report: PlanReport = {
    plan: planned.plan,
    gates: Object.fromEntries(planned.plan.environments.map((env) => [env.environment, environmentGates(config, env.environment, planned.plan.path, now)])),
    violations: constraintViolations(config, parsed.spec, input.versions),
    source: parsed.spec.kind === 'set' ? { kind: 'set', versionSetId: parsed.spec.versionSetId } : { kind: 'adhoc' },
    objects: plannedObjects(config, planned.plan),
    downgrades: { list: planDowngrades(planned.plan), allowed: values['allow-downgrade'] },
  };
  const ok = report.violations.length === 0 && (report.downgrades.list.length === 0 || report.downgrades.allowed);
  if (values.json) context.out(JSON.stringify({ ok, ...report }, null, 2));
  else context.out(renderPlanText(report));
  return ok ? 0 : 1;
}

function plannedObjects(config: DeliveryConfig, plan: ReleasePlan): PlanReport['objects'] {
  const objects: PlanReport['objects'] = {};
  for (const { environment, changes } of plan.environments) {
    for (const change of changes) {
      const service = config.services[change.service]!;
      const set = { infraSetId: change.toInfraSetId, service: change.service, environment, version: change.toVersion };
      (objects[environment] ??= {})[change.service] = { traffic: plannedTrafficChange(service.traffic, set), infra: plannedInfraSet(service.infra, set) };
    }
  }
  return objects;
}

/**
 * An ad-hoc set names only some services, so a provider it leaves out is not a violation here: the
 * engine checks the full set when the deploy is requested. A stored set is complete.
 */
function constraintViolations(config: DeliveryConfig, spec: DeploySpec, versions: Record<string, string>) {
  const dependsOn = Object.fromEntries(Object.entries(config.services).map(([name, service]) => [name, service.dependsOn]));
  const violations = checkConstraints(versions, dependsOn);
  return spec.kind === 'adhoc' ? violations.filter((violation) => violation.code !== 'missing_provider') : violations;
}

type Inputs = { ok: true; versions: Record<string, string>; serving: ServingMap; history: VersionHistory } | { ok: false; message: string };

async function versionsAndServing(spec: DeploySpec, context: CliContext): Promise<Inputs> {
  if (spec.kind === 'adhoc') return { ok: true, versions: spec.versions, serving: {}, history: {} };
  const database = await openDatabase(databaseOptionsFromEnv(context.env));
  try {
    const members = await database.db.select().from(versionSetMembers).where(eq(versionSetMembers.versionSetId, spec.versionSetId));
    if (members.length === 0) return { ok: false, message: `Refused (unknown_version_set): there is no version set ${spec.versionSetId}` };
    const rows = await database.db
      .select()
      .from(infraSets)
      .where(and(eq(infraSets.state, 'serving'), gt(infraSets.weight, 0)));
    // During a canary two infra-sets serve one service; what "serves now" is the one with most traffic.
    const serving: ServingMap = {};
    const weights = new Map<string, number>();
    for (const row of rows) {
      const key = `${row.environment}/${row.service}`;
      if ((weights.get(key) ?? -1) >= row.weight) continue;
      weights.set(key, row.weight);
      (serving[row.environment] ??= {})[row.service] = { version: row.version, infraSetId: row.id };
    }
    // Which way each change goes when a version is no semver: the version sets that first held each.
    const history = await versionHistory(database.db, members.map((member) => member.service));
    return { ok: true, versions: Object.fromEntries(members.map((member) => [member.service, member.version])), serving, history };
  } finally {
    await database.close();
  }
}
