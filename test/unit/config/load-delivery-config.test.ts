import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatConfigError,
  formatConfigErrors,
  loadDeliveryConfig,
  parseDeliveryConfig,
  resolveDeliveryConfigPath,
  SHIPPED_DELIVERY_CONFIG,
  suggest,
} from '../../../src/config/load-delivery-config.js';

const BASE = `approverGroups:
  release-managers: [U0BOB, U0CAROL]
teams:
  shop:
    channel: "#team-shop"
    members: [U0ALICE]
services:
  web:
    repo: acme/web
    team: shop
    dependsOn:
      - service: checkout
        version: "^1"
  checkout:
    repo: acme/checkout
    team: shop
    dependsOn:
      - service: payments
  payments:
    repo: acme/payments
    team: shop
environments:
  staging:
    channel: "#deploys"
    stages:
      - name: full
        weight: 100
        bake: 2m
  production:
    channel: "#deploys"
    requires: [staging]
    stages:
      - name: canary
        weight: 1
        bake: 10m
      - name: full
        weight: 100
    approvals:
      required: 1
      from: [release-managers]
    windows:
      - cron: "0 9 * * 1-5"
        duration: 8h
        timezone: America/New_York
    freezes:
      - from: "2026-12-20T00:00:00-05:00"
        to: "2027-01-04T00:00:00-05:00"
        reason: year-end freeze
`;

/** The 1-based line where `marker` (which may span lines) first starts. */
function lineOf(text: string, marker: string): number {
  const index = text.indexOf(marker);
  if (index < 0) throw new Error(`marker ${marker} not in the fixture`);
  return text.slice(0, index).split('\n').length;
}

function errorsOf(text: string): string[] {
  const result = parseDeliveryConfig(text, 'delivery.yaml');
  return result.ok ? [] : result.errors.map(formatConfigError);
}

describe('parseDeliveryConfig', () => {
  it('accepts the base fixture and fills defaults', () => {
    const result = parseDeliveryConfig(BASE, 'delivery.yaml');
    if (!result.ok) throw new Error(formatConfigErrors(result.errors));
    expect(result.config.environments.production!.stages.map((stage) => stage.bake)).toEqual([600, 0]);
    expect(result.config.services.payments!.keepWarm).toBe(1);
    expect(result.sourceMap.locate(['services', 'checkout', 'dependsOn', 0, 'service'])).toEqual({ line: 18, column: 18, exact: true });
  });

  it.each([
    {
      what: 'a misspelt key, with a suggestion',
      from: '        bake: 10m',
      to: '        bake_time: 10m',
      marker: 'bake_time',
      expected: "environments.production.stages.0.bake_time: unknown key 'bake_time' (did you mean 'bake'?)",
    },
    {
      what: 'an unknown key with no near match lists the known ones',
      from: '    repo: acme/web',
      to: '    repo: acme/web\n    colour: blue',
      marker: 'colour',
      expected: "services.web.colour: unknown key 'colour' (expected one of: repo, path, team, dependsOn, checks,",
    },
    {
      what: 'a dependency cycle, named with its path',
      from: '    repo: acme/payments\n    team: shop\n',
      to: '    repo: acme/payments\n    team: shop\n    dependsOn:\n      - service: web\n',
      marker: '- service: payments',
      expected: 'services.checkout.dependsOn.0.service: dependency cycle: checkout → payments → web → checkout',
    },
    {
      what: 'an unknown IANA time zone',
      from: 'timezone: America/New_York',
      to: 'timezone: America/Gotham',
      marker: 'America/Gotham',
      expected: "environments.production.windows.0.timezone: unknown IANA time zone 'America/Gotham'",
    },
    {
      what: 'a cron expression with a wrong field count',
      from: 'cron: "0 9 * * 1-5"',
      to: 'cron: "0 9 * 1-5"',
      marker: 'cron:',
      expected: "environments.production.windows.0.cron: invalid cron expression '0 9 * 1-5': expected five fields",
    },
    {
      what: 'a cron expression with an out-of-range field',
      from: 'cron: "0 9 * * 1-5"',
      to: 'cron: "0 25 * * 1-5"',
      marker: 'cron:',
      expected: "environments.production.windows.0.cron: invalid cron expression '0 25 * * 1-5'",
    },
    {
      what: 'an unknown team',
      from: '  web:\n    repo: acme/web\n    team: shop',
      to: '  web:\n    repo: acme/web\n    team: shopp',
      marker: 'team: shopp',
      expected: "services.web.team: unknown team 'shopp' (known teams: shop)",
    },
    {
      what: 'an unknown dependency',
      from: '      - service: payments',
      to: '      - service: paymens',
      marker: 'paymens',
      expected: "services.checkout.dependsOn.0.service: unknown service 'paymens' (known services: web, checkout, payments)",
    },
    {
      what: 'an unknown approver group',
      from: 'from: [release-managers]',
      to: 'from: [release-manager]',
      marker: 'from: [release-manager]',
      expected: "environments.production.approvals.from.0: unknown approver group 'release-manager'",
    },
    {
      what: 'an unknown required environment',
      from: 'requires: [staging]',
      to: 'requires: [stagin]',
      marker: 'requires:',
      expected: "environments.production.requires.0: unknown environment 'stagin'",
    },
    {
      what: 'an environment requiring itself',
      from: 'requires: [staging]',
      to: 'requires: [production]',
      marker: 'requires:',
      expected: 'environments.production.requires.0: production cannot require itself',
    },
    {
      what: 'two services in one repository without paths',
      from: '    repo: acme/checkout\n',
      to: '    repo: acme/web\n',
      marker: 'repo: acme/web\n    team: shop\n    dependsOn:\n      - service: payments',
      expected: 'services.checkout.repo: acme/web holds web, checkout: give each a distinct `path`',
    },
    {
      what: 'a cycle of required environments',
      from: '  staging:\n    channel: "#deploys"\n',
      to: '  staging:\n    channel: "#deploys"\n    requires: [production]\n',
      marker: 'requires: [production]',
      expected: 'environments.production.requires.0: environment cycle: production → staging → production',
      line: 'requires: [staging]',
    },
    {
      what: 'stage weights that do not increase',
      from: '      - name: full\n        weight: 100\n    approvals',
      to: '      - name: half\n        weight: 0.5\n      - name: full\n        weight: 100\n    approvals',
      marker: 'weight: 0.5',
      expected: "environments.production.stages.1.weight: stage weights must strictly increase: 0.5% after 1% in 'canary'",
    },
    {
      what: 'a last stage under 100%',
      from: '      - name: full\n        weight: 100\n    approvals',
      to: '      - name: full\n        weight: 50\n    approvals',
      marker: 'weight: 50',
      expected: 'environments.production.stages.1.weight: the last stage must take 100% of traffic (got 50%)',
    },
    {
      what: 'a freeze that ends before it starts',
      from: 'to: "2027-01-04T00:00:00-05:00"',
      to: 'to: "2026-12-01T00:00:00-05:00"',
      marker: 'to: "2026-12-01',
      expected: 'environments.production.freezes.0.to: a freeze must end after it starts',
    },
    {
      what: 'an invalid version constraint',
      from: 'version: "^1"',
      to: 'version: "^^1"',
      marker: '^^1',
      expected: 'services.web.dependsOn.0.version: invalid version constraint',
    },
    {
      what: 'a value of the wrong type, quoting what was found',
      from: '        weight: 1\n',
      to: '        weight: one\n',
      marker: 'weight: one',
      expected: 'environments.production.stages.0.weight: expected a number (got "one")',
    },
    {
      what: 'a bad duration',
      from: 'bake: 10m',
      to: 'bake: 10 minutes',
      marker: '10 minutes',
      expected: 'environments.production.stages.0.bake: expected a duration such as "30s", "10m" or "1h30m", got "10 minutes"',
    },
    {
      what: 'a missing required key',
      from: '  payments:\n    repo: acme/payments\n    team: shop',
      to: '  payments:\n    team: shop',
      marker: '  payments:',
      expected: 'services.payments.repo: required: expected a text (missing)',
    },
    {
      what: 'a bad health check kind',
      from: '    repo: acme/payments\n',
      to: '    repo: acme/payments\n    checks:\n      - name: errors\n        kind: error-rate\n',
      marker: 'kind: error-rate',
      expected: "services.payments.checks.0.kind: expected one of 'error_rate', 'latency', 'saturation', 'traffic' (got \"error-rate\")",
    },
    {
      what: 'a DORA digest with a bad cron',
      from: '        reason: year-end freeze\n',
      to: '        reason: year-end freeze\ndora:\n  digest:\n    channel: "#eng-metrics"\n    cron: "0 9 * *"\n',
      marker: 'cron: "0 9 * *"',
      expected: "dora.digest.cron: invalid cron expression '0 9 * *': expected five fields",
    },
    {
      what: 'a misspelt key inside a health check variant',
      from: '    repo: acme/payments\n',
      to: '    repo: acme/payments\n    checks:\n      - name: load\n        kind: traffic\n        query: q\n        minPerMinut: 5\n',
      marker: 'minPerMinut',
      expected: "services.payments.checks.0.minPerMinut: unknown key 'minPerMinut' (did you mean 'minPerMinute'?)",
    },
  ])('refuses $what at its line', ({ from, to, marker, expected, line }) => {
    expect(BASE.includes(from)).toBe(true);
    const text = BASE.replace(from, to);
    const errors = errorsOf(text);
    expect(text.includes(marker)).toBe(true);
    const markerLine = lineOf(text, line ?? marker);
    const found = errors.find((error) => error.includes(expected));
    expect(found, `errors were:\n${errors.join('\n')}`).toBeDefined();
    expect(found).toMatch(new RegExp(`^delivery\\.yaml:${markerLine}:\\d+  `));
  });

  it('reports every error at once, in line order', () => {
    const text = BASE.replace('bake: 10m', 'bake_time: 10m').replace('America/New_York', 'Mars/Olympus').replace('team: shop', 'team: nobody');
    const result = parseDeliveryConfig(text, 'delivery.yaml');
    // Schema errors come first: a file that does not parse is not cross-checked.
    expect(result.ok ? [] : result.errors.map((error) => error.path)).toEqual(['environments.production.stages.0.bake_time']);
    const schemaValid = BASE.replace('America/New_York', 'Mars/Olympus').replace('team: shop', 'team: nobody').replace('weight: 1\n', 'weight: 0.5\n');
    const crossChecked = parseDeliveryConfig(schemaValid, 'delivery.yaml');
    expect(crossChecked.ok ? [] : crossChecked.errors.map((error) => error.path)).toEqual(['services.web.team', 'environments.production.windows.0.timezone']);
  });

  it('reports YAML syntax errors with their position', () => {
    const errors = errorsOf('teams:\n  web:\n    channel: "#web\n');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/^delivery\.yaml:\d+:\d+ {2}YAML: /);
  });

  it('refuses a duplicate key', () => {
    const errors = errorsOf(BASE.replace('    repo: acme/web\n', '    repo: acme/web\n    repo: acme/web2\n'));
    expect(errors.join('\n')).toMatch(/YAML: Map keys must be unique/);
  });
});

describe('the watch window', () => {
  const withWatch = (watch: string) => BASE.replace('  production:\n    channel: "#deploys"\n', `  production:\n    channel: "#deploys"\n    watch: ${watch}\n`);

  it('reads `watch` as a duration, and leaves it unset by default', () => {
    const watched = parseDeliveryConfig(withWatch('30m'), 'delivery.yaml');
    if (!watched.ok) throw new Error(formatConfigErrors(watched.errors));
    expect(watched.config.environments.production!.watch).toBe(1800);
    const plain = parseDeliveryConfig(BASE, 'delivery.yaml');
    expect(plain.ok && plain.config.environments.production!.watch).toBeUndefined();
  });

  it('refuses a watch shorter than the health interval, naming the line', () => {
    const result = parseDeliveryConfig(withWatch('30s'), 'delivery.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatConfigErrors(result.errors)).toContain('environments.production.watch: a watch of 30s is shorter than the health interval (1m): nothing would be measured in it');
  });

  it('the shipped example watches production for 30 minutes', () => {
    const shipped = loadDeliveryConfig(SHIPPED_DELIVERY_CONFIG);
    expect(shipped.ok && shipped.config.environments.production!.watch).toBe(1800);
  });
});

describe('loadDeliveryConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the shipped example, which models the four-service shop', () => {
    const result = loadDeliveryConfig(SHIPPED_DELIVERY_CONFIG);
    if (!result.ok) throw new Error(formatConfigErrors(result));
    const { config } = result;
    expect(Object.keys(config.services)).toEqual(['web', 'checkout', 'payments', 'inventory']);
    expect(config.services.checkout!.dependsOn.map((dependency) => dependency.service)).toEqual(['payments', 'inventory']);
    expect(config.environments.production!.stages.map((stage) => [stage.weight, stage.bake])).toEqual([[1, 600], [10, 600], [100, 300]]);
    expect(config.environments.production!.requires).toEqual(['staging']);
    expect(config.approverGroups['release-managers']).toEqual(['U0BOB', 'U0CAROL']);
    expect(config.teams.checkout!.members).toContain('U0ALICE');
    expect(config.mergeQueue?.autoDeployTo).toBe('staging');
  });

  it('resolves DELIVERY_CONFIG first, then ./delivery.yaml, then the shipped example', () => {
    expect(resolveDeliveryConfigPath(undefined, dir)).toBe(SHIPPED_DELIVERY_CONFIG);
    writeFileSync(join(dir, 'delivery.yaml'), BASE);
    expect(resolveDeliveryConfigPath(undefined, dir)).toBe(join(dir, 'delivery.yaml'));
    expect(resolveDeliveryConfigPath('other.yaml', dir)).toBe(join(dir, 'other.yaml'));
    const loaded = loadDeliveryConfig(undefined, { cwd: dir });
    expect(loaded.ok && Object.keys(loaded.config.services)).toEqual(['web', 'checkout', 'payments']);
  });

  it('says so when the file is missing', () => {
    const result = loadDeliveryConfig('missing.yaml', { cwd: dir });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : formatConfigErrors(result)).toBe('missing.yaml  cannot read the delivery config: file not found\n1 error in the delivery config');
  });
});

describe('suggest', () => {
  it.each([
    ['bake_time', ['name', 'weight', 'bake'], 'bake'],
    ['depends_on', ['repo', 'team', 'dependsOn'], 'dependsOn'],
    ['timezon', ['cron', 'duration', 'timezone', 'name'], 'timezone'],
    ['colour', ['repo', 'team', 'dependsOn'], undefined],
  ])('%s → %s', (key, candidates, expected) => {
    expect(suggest(key, candidates)).toBe(expected);
  });
});
