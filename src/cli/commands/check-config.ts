import { parseArgs } from 'node:util';
import { formatConfigErrors, loadDeliveryConfig } from '../../config/load-delivery-config.js';
import { dependencyOrder } from '../../domain/version-set/dependency-order.js';
import type { CliContext } from '../cli-context.js';

export const CHECK_CONFIG_HELP = `Usage: durable-delivery check-config [file]

Validates a delivery config: its schema, then every cross-reference (teams, dependencies, approver
groups, required environments), dependency cycles, time zones, cron expressions, stage weights,
freezes and version constraints. Every error is printed at once as

  file:line:column  key.path: what was expected (got …)

[file] defaults to DELIVERY_CONFIG, else ./delivery.yaml, else the shipped examples/delivery.yaml.
Exit status: 0 when valid, 1 when not.`;

export async function checkConfigCommand(args: string[], context: CliContext): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
  const loaded = loadDeliveryConfig(positionals[0] ?? context.env.DELIVERY_CONFIG, { cwd: context.cwd });
  if (!loaded.ok) {
    context.err(formatConfigErrors(loaded));
    return 1;
  }
  const { config } = loaded;
  const services = Object.keys(config.services);
  const order = dependencyOrder(
    services,
    Object.fromEntries(Object.entries(config.services).map(([name, service]) => [name, service.dependsOn.map((dependency) => dependency.service)])),
  );
  const environments = Object.entries(config.environments).map(
    ([name, environment]) => `${name} (${environment.stages.map((stage) => `${stage.weight}%`).join(' → ')})`,
  );
  const lines = [
    `${loaded.sourceMap ? displayed(loaded.path, context.cwd) : loaded.path}: OK`,
    `  ${services.length} service${services.length === 1 ? '' : 's'}, deployed in the order ${order.ok ? order.order.join(' → ') : '?'}`,
    `  ${environments.length} environment${environments.length === 1 ? '' : 's'}: ${environments.join(', ')}`,
    `  ${Object.keys(config.teams).length} team(s), ${Object.keys(config.approverGroups).length} approver group(s)`,
  ];
  if (config.mergeQueue) {
    lines.push(
      `  merge queue: label "${config.mergeQueue.label}" on ${config.mergeQueue.repos.length} repo(s)` +
        (config.mergeQueue.autoDeployTo ? `, deploys each version set to ${config.mergeQueue.autoDeployTo}` : ''),
    );
  }
  context.out(lines.join('\n'));
  return 0;
}

function displayed(path: string, cwd: string): string {
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}
