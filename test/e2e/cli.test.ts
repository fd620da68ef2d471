import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { eq } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { parseEnv } from '../../src/config/env.js';
import { openDatabase, type Database } from '../../src/store/db.js';
import { infraSets, versionSetMembers, versionSets } from '../../src/store/schema/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real bin, as an operator would, with only the environment given here. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/durable-delivery.js', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const FOUR = ['--deploy', 'web@v2.0.0,checkout@v1.3.0', '--deploy', 'payments@v2.1.0', '--deploy', 'inventory@v1.1.0', '--to', 'production'];

describe('durable-delivery check-config', () => {
  it('accepts the shipped example with a short summary', async () => {
    const result = await cli(['check-config', 'examples/delivery.yaml']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('examples/delivery.yaml: OK');
    expect(result.stdout).toContain('deployed in the order inventory → payments → checkout → web');
  });

  it.each([
    [
      'examples/invalid/misspelt-key.yaml',
      [
        "examples/invalid/misspelt-key.yaml:15:9  environments.production.stages.0.bake_time: unknown key 'bake_time' (did you mean 'bake'?)",
        'examples/invalid/misspelt-key.yaml:17:17  environments.production.stages.1.weight: expected a number (got "all")',
        '2 errors in the delivery config',
      ],
    ],
    [
      'examples/invalid/broken-references.yaml',
      [
        "examples/invalid/broken-references.yaml:15:11  services.checkout.team: unknown team 'shopping' (known teams: shop)",
        'examples/invalid/broken-references.yaml:17:18  services.checkout.dependsOn.0.service: dependency cycle: checkout → web → checkout',
        "examples/invalid/broken-references.yaml:21:16  environments.production.requires.0: unknown environment 'staging' (known environments: production)",
        "examples/invalid/broken-references.yaml:26:17  environments.production.stages.1.weight: stage weights must strictly increase: 5% after 10% in 'canary'",
        "examples/invalid/broken-references.yaml:31:14  environments.production.approvals.from.0: unknown approver group 'release-manager' (known approverGroups: release-managers)",
        "examples/invalid/broken-references.yaml:35:19  environments.production.windows.0.timezone: unknown IANA time zone 'America/Gotham' (e.g. America/New_York, Europe/Berlin, UTC)",
        "examples/invalid/broken-references.yaml:36:15  environments.production.windows.1.cron: invalid cron expression '0 9 * *': expected five fields (minute hour day-of-month month day-of-week), got 4",
        '7 errors in the delivery config',
      ],
    ],
  ])('refuses %s, printing every error with file:line:column', async (file, expected) => {
    const result = await cli(['check-config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual(expected);
  });

});

describe('durable-delivery plan', () => {
  it('orders providers first and rolls back in reverse, as text', async () => {
    const result = await cli(['plan', ...FOUR]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Path: staging → production');
    const production = result.stdout.slice(result.stdout.indexOf('\nproduction\n'));
    const positions = ['1. inventory', '2. payments', '3. checkout', '4. web'].map((line) => production.indexOf(line));
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(production).toContain('Stages: canary 1% bake 10m → early 10% bake 10m → full 100% bake 5m');
    expect(production).toContain('approvals: 1 from release-managers (not the requester)');
    expect(production).toContain('window: weekday business hours (0 9 * * 1-5 America/New_York for 8h)');
    expect(production).toContain('previous environment: the same versions converged in staging');
    expect(production).toContain('Rollback order (reverse): web → checkout → payments → inventory');
  });

  it('prints the same plan as JSON', async () => {
    const result = await cli(['plan', ...FOUR, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      plan: { path: string[]; environments: { environment: string; changes: { service: string }[]; rollbackOrder: { service: string }[] }[] };
      gates: Record<string, { gate: string }[]>;
    };
    expect(report.ok).toBe(true);
    expect(report.plan.path).toEqual(['staging', 'production']);
    for (const environment of report.plan.environments) {
      expect(environment.changes.map((change) => change.service)).toEqual(['inventory', 'payments', 'checkout', 'web']);
      expect(environment.rollbackOrder.map((step) => step.service)).toEqual(['web', 'checkout', 'payments', 'inventory']);
    }
    expect(report.gates.production!.map((gate) => gate.gate)).toEqual(['approvals', 'window', 'freeze', 'previous_environment', 'dependencies']);
  });

  it('names, per service, the Kubernetes and AWS objects and fields the deploy will change', async () => {
    const result = await inProcess(['plan', '--deploy', 'checkout@v2,payments@v3,web@v4', '--to', 'production', '--config', 'examples/kubernetes.yaml']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const production = result.stdout.slice(result.stdout.indexOf('\nproduction\n'));
    expect(production).toContain(
      'infra:   creates Deployment shop-production/is-preview-production-checkout (image ghcr.io/acme/checkout:v2, 3 replicas, available within 10m) and Service shop-production/is-preview-production-checkout (port 80); retiring deletes both',
    );
    expect(production).toContain('traffic: HTTPRoute shop-production/shop, rule "checkout": spec.rules[].backendRefs[].weight, backendRef Service is-preview-production-checkout port 80');
    expect(production).toContain(
      'traffic: VirtualService payments/payments, http route "primary": spec.http[].route[].weight, destination host payments.payments.svc.cluster.local subset is-preview-production-payments',
    );
    expect(production).toMatch(/traffic: ALB listener rule arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule\/app\/shop\/\S+ \(eu-west-1\): forward action ForwardConfig\.TargetGroups\[\]\.Weight, target group is-preview-production-web/);
    expect(production).toContain('infra:   POST https://platform.internal/durable-delivery/infra: signed provision (and later retire) request for is-preview-production-web');

    const json = await inProcess(['plan', '--deploy', 'checkout@v2,payments@v3,web@v4', '--to', 'staging', '--config', 'examples/kubernetes.yaml', '--json']);
    const report = JSON.parse(json.stdout) as { objects: Record<string, Record<string, { traffic: string; infra: string }>> };
    expect(Object.keys(report.objects)).toEqual(['staging']);
    expect(report.objects.staging!.checkout!.infra).toContain('Deployment shop-staging/is-preview-staging-checkout (image ghcr.io/acme/checkout:v2');
  });

  it('refuses with a usage error and exit status 2 from the real bin', async () => {
    const result = await cli(['plan', '--deploy', 'checkout', '--to', 'production']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^"checkout" is not service@version/);
    expect(result.stderr).toContain('Usage: durable-delivery plan');
  });
});

/** The same runner in-process: every refusal and help text without paying a process start each. */
async function inProcess(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(args, {
    env: parseEnv(env),
    cwd: ROOT,
    now: () => new Date('2026-06-01T12:00:00Z'),
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('durable-delivery refusals and help (in-process)', () => {
  it.each([
    [['plan', '--deploy', 'checkout@v1', '--to', 'qa'], 1, /Refused \(unknown_environment\)/],
    [['plan', '--deploy', 'billing@v1', '--to', 'production'], 1, /Refused \(unknown_service\)/],
    [['plan', '--deploy', 'checkout@v1,checkout@v2', '--to', 'production'], 2, /checkout is named twice/],
    [['plan', '--deploy', 'set', '--to', 'production'], 2, /expected a version set number after "set"/],
    [['plan', '--deploy', 'checkout@v1'], 2, /missing --to/],
    [['plan', '--deploy', 'checkout@v1', '--to', 'production', '--bogus'], 2, /Unknown option '--bogus'/],
    [['plan', '--deploy', 'checkout@v1', '--to', 'production', '--config', 'examples/invalid/misspelt-key.yaml'], 1, /misspelt-key\.yaml:15:9/],
    [['check-config', 'missing.yaml'], 1, /^missing\.yaml {2}cannot read the delivery config: file not found/],
    [['deploy'], 2, /Unknown command "deploy"/],
  ])('%j exits %i', async (args, code, message) => {
    const result = await inProcess(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('shows a violated version constraint and exits 1: the deploy would be refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-cli-config-'));
    try {
      const example = readFileSync(join(ROOT, 'examples/delivery.yaml'), 'utf8');
      const pinned = example.replace('        # version: "^1"', '        version: "^2"');
      expect(pinned).not.toBe(example);
      writeFileSync(join(dir, 'delivery.yaml'), pinned);
      const result = await inProcess(['plan', '--deploy', 'web@v1.0.0,checkout@v1.5.0', '--to', 'staging', '--config', join(dir, 'delivery.yaml')]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('✗ web@v1.0.0 needs checkout ^2, but the set has checkout@v1.5.0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads DELIVERY_CONFIG when no file is given', async () => {
    const result = await inProcess(['check-config'], { DELIVERY_CONFIG: 'examples/invalid/misspelt-key.yaml' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('examples/invalid/misspelt-key.yaml:15:9');
  });

  it('shows at plan time whether the window is open', async () => {
    // 2026-06-01 12:00Z is Monday 08:00 in New York: closed, opens 09:00 EDT.
    const result = await inProcess(['plan', '--deploy', 'checkout@v1', '--to', 'production']);
    expect(result.stdout).toContain('— closed now, opens 2026-06-01T13:00:00.000Z');
  });

  it.each([
    [[], 2, 'Usage: durable-delivery <command>'],
    [['--help'], 0, 'Usage: durable-delivery <command>'],
    [['check-config', '--help'], 0, 'Usage: durable-delivery check-config [file]'],
    [['migrate', '--help'], 0, 'Usage: durable-delivery migrate'],
    [['plan', '--help'], 0, 'Usage: durable-delivery plan --deploy'],
  ])('%j prints its usage', async (args, code, usage) => {
    const result = await inProcess(args);
    expect(result.code).toBe(code);
    expect(result.stdout).toContain(usage);
  });
});

/** A database the CLI reaches through the environment, and the test through its own handle. */
interface CliDatabase {
  env: Record<string, string>;
  /** Whether `migrate` finds an empty database or an already migrated one. */
  fresh: boolean;
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

const databases: [string, () => Promise<CliDatabase>][] = [
  [
    'pglite',
    async () => {
      // A copy of the migrated template: a fresh PGlite data directory costs an initdb of many seconds.
      const dataDir = mkdtempSync(join(tmpdir(), 'dd-cli-'));
      const seeded = await openDatabase({ driver: 'pglite', dataDir, loadDataDir: new Blob([readFileSync(inject('pgliteTemplatePath'))]) });
      await seeded.close();
      return {
        env: { DATA_DIR: dataDir },
        fresh: false,
        open: () => openDatabase({ driver: 'pglite', dataDir }),
        cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  ],
];
const postgresUrl = process.env.TEST_DATABASE_URL;
if (postgresUrl) {
  databases.push([
    'postgres',
    async () => {
      // An empty database of its own, so `migrate` has everything to apply.
      const name = `dd_cli_${randomBytes(6).toString('hex')}`;
      await adminQuery(postgresUrl, `CREATE DATABASE ${name}`);
      const url = new URL(postgresUrl);
      url.pathname = `/${name}`;
      return {
        env: { DATABASE_URL: url.toString() },
        fresh: true,
        open: () => openDatabase({ driver: 'postgres', url: url.toString(), poolSize: 2 }),
        cleanup: () => adminQuery(postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      };
    },
  ]);
}

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe.each(databases)('migrate and plan a stored set on %s', (_name, make) => {
  // Two CLI processes through tsx and three opens of a new PGlite: ~22 s on a quiet machine, over 120 s under heavy load.
  it('migrates, then plans version set N against what serves', { timeout: 360_000 }, async () => {
    const target = await make();
    try {
      const migrated = await cli(['migrate'], target.env);
      expect(migrated.code).toBe(0);
      expect(migrated.stdout).toMatch(target.fresh ? /^Applied \d+ migrations? on .*\(\d+ in total\)/ : /^Nothing to do on .*already applied/);

      const database = await target.open();
      let setId: number;
      try {
        const [set] = await database.db.insert(versionSets).values({ source: 'deploy' }).returning({ id: versionSets.id });
        setId = set!.id;
        const versions = { web: 'v2.0.0', checkout: 'v1.3.0', payments: 'v2.1.0', inventory: 'v1.1.0' };
        await database.db.insert(versionSetMembers).values(Object.entries(versions).map(([service, version]) => ({ versionSetId: setId, service, version })));
        // payments@v2.1.0 already serves in staging; inventory serves an older version there.
        await database.db.insert(infraSets).values([
          { id: 'is-old-staging-payments', service: 'payments', environment: 'staging', version: 'v2.1.0', state: 'serving', weight: 100, createdAt: new Date('2026-01-01T00:00:00Z') },
          { id: 'is-old-staging-inventory', service: 'inventory', environment: 'staging', version: 'v1.0.0', state: 'serving', weight: 100, createdAt: new Date('2026-01-01T00:00:00Z') },
        ]);
      } finally {
        await database.close();
      }

      // Nothing of inventory or checkout served in production yet, and their checks need a baseline: refused, naming the keys.
      const first = await inProcess(['plan', '--deploy', `set ${setId}`, '--to', 'production'], target.env);
      expect(first.code).toBe(1);
      expect(first.stderr).toContain('Refused (first_deploy_needs_thresholds): inventory, checkout never served in production');
      expect(first.stderr).toContain('`max` to check errors (services.inventory.checks[0].max) and `maxMs` to check latency (services.inventory.checks[1].maxMs)');
      const seeded = await target.open();
      try {
        await seeded.db.insert(infraSets).values([
          { id: 'is-old-production-checkout', service: 'checkout', environment: 'production', version: 'v1.2.0', state: 'serving', weight: 100, createdAt: new Date('2026-01-01T00:00:00Z') },
          { id: 'is-old-production-inventory', service: 'inventory', environment: 'production', version: 'v1.0.0', state: 'serving', weight: 100, createdAt: new Date('2026-01-01T00:00:00Z') },
        ]);
      } finally {
        await seeded.close();
      }

      const result = await cli(['plan', '--deploy', `set ${setId}`, '--to', 'production', '--json'], target.env);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as {
        source: { kind: string; versionSetId: number };
        plan: { environments: { environment: string; changes: { service: string; fromVersion: string | null }[]; rollbackOrder: { service: string; toVersion: string | null }[] }[] };
      };
      expect(report.source).toEqual({ kind: 'set', versionSetId: setId });
      const [staging, production] = report.plan.environments;
      expect(staging!.changes.map((change) => [change.service, change.fromVersion])).toEqual([
        ['inventory', 'v1.0.0'],
        ['checkout', null],
        ['web', null],
      ]);
      expect(staging!.rollbackOrder.map((step) => [step.service, step.toVersion])).toEqual([
        ['web', null],
        ['checkout', null],
        ['inventory', 'v1.0.0'],
      ]);
      expect(production!.changes.map((change) => change.service)).toEqual(['inventory', 'payments', 'checkout', 'web']);

      // checkout v1.4.0 serves in production: set N takes it back to v1.3.0, which needs --allow-downgrade.
      const withNewer = await target.open();
      try {
        await withNewer.db.update(infraSets).set({ version: 'v1.4.0' }).where(eq(infraSets.id, 'is-old-production-checkout'));
      } finally {
        await withNewer.close();
      }
      const refused = await inProcess(['plan', '--deploy', `set ${setId}`, '--to', 'production'], target.env);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('Downgrades: ✗ this deploy would be refused without --allow-downgrade');
      expect(refused.stdout).toContain('⚠ checkout v1.4.0 → v1.3.0 in production');
      expect(refused.stdout).toMatch(/checkout +v1\.4\.0 → v1\.3\.0 \(⚠ DOWNGRADE\)/);
      const allowed = await inProcess(['plan', '--deploy', `set ${setId}`, '--to', 'production', '--allow-downgrade', '--json'], target.env);
      expect(allowed.code).toBe(0);
      expect((JSON.parse(allowed.stdout) as { downgrades: unknown }).downgrades).toEqual({
        list: [{ service: 'checkout', from: 'v1.4.0', to: 'v1.3.0', environments: ['production'], orderedBy: 'semver' }],
        allowed: true,
      });

      const missing = await inProcess(['plan', '--deploy', 'set', '999', '--to', 'production'], target.env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('there is no version set 999');
    } finally {
      await target.cleanup();
    }
  });
});
