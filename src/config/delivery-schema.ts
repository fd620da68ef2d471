import { z } from 'zod';
import { durationSchema } from './duration.js';

/**
 * The declarative delivery config (delivery.yaml), as zod schemas. Objects are strict: an unknown key
 * is a typo and is refused. Cross-references (dependencies, groups, environments) and cycles are
 * checked after parsing, in validate-delivery-config.ts, so their errors can point at a line too.
 */

const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name of letters, digits and dashes');

/** Slack user (U…/W…) or user-group (S…) id. */
const slackPrincipal = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'expected a Slack user id (U…/W…) or user-group id (S…)');

/** Slack channel id (C…/G…) or a #name the sandbox and the Web API both accept. */
const slackChannel = z.string().regex(/^([CGD][A-Z0-9]{2,}|#[a-z0-9][a-z0-9_-]*)$/, 'expected a Slack channel id (C…) or #name');

export const teamSchema = z.strictObject({
  channel: slackChannel,
  /** Who may deploy and roll back this team's services besides approvers. */
  members: z.array(slackPrincipal).default([]),
});

export const dependencySchema = z.strictObject({
  service: name,
  /** A version constraint on the provider, e.g. ">=1.4.0" or "^2". */
  version: z.string().optional(),
});

/** Query text may use {service}, {environment}, {infraSet}, {version} placeholders. */
const query = z.string().min(1);

export const healthCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    name,
    kind: z.literal('error_rate'),
    requests: query,
    errors: query,
    /** Absolute ceiling on errors / requests. */
    max: z.number().min(0).max(1).optional(),
    /** The canary may be at most this many times the baseline's error rate. */
    maxRatioToBaseline: z.number().min(1).default(2),
  }),
  z.strictObject({
    name,
    kind: z.literal('latency'),
    percentile: z.enum(['p50', 'p95', 'p99', 'p99.9']),
    query,
    maxMs: z.number().positive().optional(),
    maxRatioToBaseline: z.number().min(1).default(1.5),
  }),
  z.strictObject({
    name,
    kind: z.literal('saturation'),
    query,
    /** Fraction of capacity in use (CPU, memory, connections…). */
    max: z.number().positive(),
  }),
  z.strictObject({
    name,
    kind: z.literal('traffic'),
    query,
    /** Fewer requests per minute than this and nothing can be judged. */
    minPerMinute: z.number().nonnegative(),
  }),
]);

const signedWebhook = z.strictObject({
  kind: z.literal('webhook'),
  url: z.url(),
  /** Name of the environment variable holding the HMAC secret (the secret never lives in the file). */
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
  timeout: durationSchema.default(10),
});

const command = z.strictObject({
  kind: z.literal('command'),
  /** Executable and arguments, run without a shell; JSON arrives on stdin. */
  argv: z.array(z.string().min(1)).min(1),
  timeout: durationSchema.default(30),
});

/** Which cluster: a kubeconfig file and context; none means the in-cluster service account, else $KUBECONFIG. */
const kubernetesCluster = z.strictObject({
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
});

const kubernetesName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a Kubernetes name: lower-case letters, digits and dashes').max(253);

/** One namespace for all environments (may contain {environment}), or one per environment. */
const kubernetesNamespace = z.union([
  z.string().regex(/^([a-z0-9-]|\{environment\})+$/, 'expected a namespace name, optionally with {environment} in it').max(63),
  z.record(name, kubernetesName),
]);

/** A rule or route by its `name` in the object, or by its index (0 = the first). */
const ruleSelector = z.union([z.string().min(1), z.number().int().min(0)]);

const port = z.number().int().min(1).max(65535);

const listenerRuleArn = z.string().regex(/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\/app\/.+$/, 'expected an ALB listener rule ARN (arn:aws:elasticloadbalancing:…:listener-rule/app/…)');

export const trafficRouterSchema = z.discriminatedUnion('kind', [
  signedWebhook,
  command,
  z.strictObject({
    kind: z.literal('gateway-api'),
    /** The HTTPRoute whose rule carries the split. */
    route: kubernetesName,
    rule: ruleSelector.default(0),
    namespace: kubernetesNamespace,
    /** The port of each infra-set's Service, as the backendRefs name it. */
    port: port.default(80),
    cluster: kubernetesCluster.default({}),
    /** Per API request. */
    timeout: durationSchema.default(10),
  }),
  z
    .strictObject({
      kind: z.literal('istio'),
      virtualService: kubernetesName,
      /** The http route (by name or index) whose destinations carry the split. */
      route: ruleSelector.default(0),
      namespace: kubernetesNamespace,
      /** `host`: one Service per infra-set; `subset`: one host, a DestinationRule subset per infra-set. */
      destination: z.enum(['host', 'subset']).default('host'),
      /** The host of every destination, with `destination: subset`. */
      host: z.string().min(1).optional(),
      port: port.optional(),
      cluster: kubernetesCluster.default({}),
      timeout: durationSchema.default(10),
    })
    .refine((router) => router.destination !== 'subset' || router.host !== undefined, { message: 'destination: subset needs the `host` every subset belongs to', path: ['host'] }),
  z.strictObject({
    kind: z.literal('aws-alb'),
    /** The AWS region of the load balancer; credentials come from the SDK's default chain. */
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region such as eu-west-1'),
    /** The listener rule whose forward action carries the split: one for all environments, or one per environment. */
    ruleArn: z.union([listenerRuleArn, z.record(name, listenerRuleArn)]),
    /** An ELBv2 endpoint other than AWS's (a VPC endpoint, a local stand-in). */
    endpoint: z.url().optional(),
    timeout: durationSchema.default(10),
  }),
  z.strictObject({
    kind: z.literal('nginx'),
    upstreamFile: z.string().min(1),
    upstreamName: z.string().min(1).optional(),
    /** Commands to check and reload nginx, as argv arrays. */
    testCommand: z.array(z.string()).default(['nginx', '-t']),
    reloadCommand: z.array(z.string()).default(['nginx', '-s', 'reload']),
    /** nginx's pid file (Debian: /run/nginx.pid): a change counts as applied once only new workers serve. */
    pidFile: z.string().min(1).optional(),
  }),
  z.strictObject({ kind: z.literal('simulated') }),
]);

/** A pod template needs at least one container with a name and an image; the rest is Kubernetes' to judge. */
const deploymentTemplate = z.looseObject({
  metadata: z.looseObject({}).optional(),
  spec: z.looseObject({
    replicas: z.number().int().min(0).optional(),
    template: z.looseObject({
      spec: z.looseObject({
        containers: z.array(z.looseObject({ name: z.string().min(1), image: z.string().min(1) })).min(1),
      }),
    }),
  }),
});

export const infraProviderSchema = z.discriminatedUnion('kind', [
  signedWebhook,
  command,
  z.strictObject({
    kind: z.literal('kubernetes'),
    namespace: kubernetesNamespace,
    cluster: kubernetesCluster.default({}),
    /** The Deployment of each infra-set; strings may use {service}, {environment}, {version}, {infraSet}. */
    deployment: deploymentTemplate,
    /** Fields of each infra-set's Service spec (ports, type…); the selector is the bot's. */
    service: z.looseObject({}).optional(),
    /** The Service port when `service` names no ports (the container's first port is the target). */
    port: port.default(80),
    /** How long a new Deployment may take to have all its replicas available. */
    readyTimeout: durationSchema.default(600),
    timeout: durationSchema.default(10),
  }),
  z.strictObject({ kind: z.literal('simulated') }),
]);

export const serviceSchema = z.strictObject({
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name'),
  /** Sub-directory of a monorepo that holds the service; merges touching it mint a new version. */
  path: z.string().optional(),
  team: name,
  dependsOn: z.array(dependencySchema).default([]),
  checks: z.array(healthCheckSchema).default([]),
  traffic: trafficRouterSchema.default({ kind: 'simulated' }),
  infra: infraProviderSchema.default({ kind: 'simulated' }),
  /**
   * The traffic a service usually sees: lets the plan say up front when a canary stage is too small
   * to judge within its bake time, and lets the sandbox simulate it.
   */
  expectedLoad: z
    .strictObject({ requestsPerSecond: z.number().positive(), errorRate: z.number().min(0).max(1).default(0.005) })
    .optional(),
  /** How many previous good infra-sets stay warm for an instant rollback. */
  keepWarm: z.number().int().min(1).max(2).default(1),
  /**
   * How long an infra-set whose traffic reached 0% keeps running before it is retired, so requests
   * still in flight to it finish (like Argo Rollouts' scaleDownDelaySeconds).
   */
  drainDelay: durationSchema.default(30),
  /**
   * Versions that moving traffic back cannot undo (a schema migration, say). A release shipping one
   * never rolls back by itself: on failure it holds and asks for a fix to roll forward, or a rollback
   * a human confirms.
   */
  irreversible: z.array(z.string().min(1)).default([]),
});

export const stageSchema = z.strictObject({
  name,
  /** Percent of the service's traffic on the new infra-set during this stage. */
  weight: z.number().gt(0).max(100),
  bake: durationSchema.default(0),
});

export const approvalPolicySchema = z.strictObject({
  required: z.number().int().min(0).default(0),
  /** Approver groups whose members may approve. */
  from: z.array(name).default([]),
  excludeRequester: z.boolean().default(true),
});

export const windowSchema = z.strictObject({
  /** When the window opens: a five-field cron expression in `timezone`. */
  cron: z.string().min(1),
  duration: durationSchema,
  timezone: z.string().min(1),
  name: z.string().optional(),
});

export const scheduledFreezeSchema = z.strictObject({
  from: z.coerce.date(),
  to: z.coerce.date(),
  reason: z.string().min(1),
});

export const healthPolicySchema = z.strictObject({
  /** How often a baking stage is measured. */
  interval: durationSchema.default(60),
  /** Consecutive `fail` verdicts that roll back. */
  failAfter: z.number().int().min(1).default(2),
  /**
   * Readings in a row that cannot judge (`error`, or `inconclusive` for want of usable data) after
   * which a human is asked. An inconclusive judge still on its way to a verdict counts only once the
   * stage's bake is over (or, after a Resume of a hold, another bake later).
   */
  holdAfter: z.number().int().min(1).default(3),
});

export const environmentSchema = z.strictObject({
  /** Where release cards for this environment are posted. */
  channel: slackChannel,
  stages: z.array(stageSchema).min(1),
  approvals: approvalPolicySchema.default({ required: 0, from: [], excludeRequester: true }),
  /** Deploys may only start or advance inside one of these windows; none means always open. */
  windows: z.array(windowSchema).default([]),
  freezes: z.array(scheduledFreezeSchema).default([]),
  /** Environments in which the same versions must have converged first. */
  requires: z.array(name).default([]),
  /**
   * After the last stage, how long health keeps being judged with the previous infra-sets kept warm:
   * a breach in this window rolls back to them at once (a late rollback). None: the release ends there.
   */
  watch: durationSchema.refine((seconds) => seconds > 0, 'watch must be longer than 0s').optional(),
  health: healthPolicySchema.default({ interval: 60, failAfter: 2, holdAfter: 3 }),
});

export const mergeQueueSchema = z.strictObject({
  /** A PR with this label on GitHub enters the queue. */
  label: z.string().min(1).default('merge-queue'),
  /** The repositories the queue serves, owner/name. */
  repos: z.array(z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name')).default([]),
  baseBranch: z.string().default('main'),
  batchSize: z.number().int().min(1).max(16).default(1),
  /** Batches under test at once, each built on top of the one ahead of it (speculative validation); 1 = none. */
  speculativeBatches: z.number().int().min(1).max(4).default(1),
  mergeMethod: z.enum(['merge', 'squash', 'rebase']).default('squash'),
  requiredApprovals: z.number().int().min(0).default(1),
  /** Checks (by name) that must be green on a commit containing the base; none means all reported checks. */
  requiredChecks: z.array(z.string()).default([]),
  /** Deploy each minted version set to this environment automatically. */
  autoDeployTo: name.optional(),
  pauseOnFreeze: z.boolean().default(true),
  pauseOnUnhealthyCanary: z.boolean().default(true),
  /** A PR with this label goes to the front of its queue (still fully validated); absent = no hotfix lane. */
  hotfixLabel: z.string().min(1).optional(),
  /** Re-runs of a failed required check (Checks API rerequest) before the entry is ejected: for flaky checks. */
  retryFailedChecks: z.number().int().min(0).max(5).default(0),
  /** Remove the queue label from a merged PR (one more GitHub write per merge; nothing reads it on a closed PR). */
  removeLabelOnMerge: z.boolean().default(false),
  /** Slack channel where each repository's ejections, merges, pauses and auto-deploys are announced ("*" = any other). */
  channels: z.record(z.string(), slackChannel).default({}),
  /** GitHub login → Slack user id, so the author of a PR queued by label hears of its ejection. */
  slackUsers: z.record(z.string(), z.string().regex(/^[UW][A-Z0-9]+$/, 'expected a Slack user id (U…)')).default({}),
  /** Unmapped logins: find the Slack user by the GitHub account's public e-mail (needs the users:read.email scope). */
  lookupSlackUsersByEmail: z.boolean().default(true),
  /** Seconds between two reconciles (labelled PRs whose webhook was missed), measured start to start. */
  reconcileIntervalSeconds: z.number().int().min(10).max(3600).default(60),
});

/** DORA figures posted on a schedule (weekly by default) to a channel, for the teams that ask for them. */
const doraSchema = z.strictObject({
  digest: z
    .strictObject({
      channel: slackChannel,
      /** Five-field cron, evaluated in `timezone`: when the digest is posted (default Monday 09:00). */
      cron: z.string().default('0 9 * * 1'),
      timezone: z.string().default('UTC'),
      /** The window the digest covers. */
      days: z.union([z.literal(7), z.literal(30), z.literal(90)]).default(7),
    })
    .optional(),
});

export const deliveryConfigSchema = z.strictObject({
  /** Slack user or user-group ids per approver group. */
  approverGroups: z.record(name, z.array(slackPrincipal).min(1)).default({}),
  teams: z.record(name, teamSchema),
  services: z.record(name, serviceSchema),
  /** Keys in promotion order: the first is the default target of a bare `/deploy`. */
  environments: z.record(name, environmentSchema),
  metrics: z
    .strictObject({ provider: z.enum(['datadog', 'prometheus', 'simulated']).default('simulated') })
    .default({ provider: 'simulated' }),
  mergeQueue: mergeQueueSchema.optional(),
  dora: doraSchema.optional(),
});

export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type StageConfig = z.infer<typeof stageSchema>;
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type HealthPolicy = z.infer<typeof healthPolicySchema>;
export type WindowConfig = z.infer<typeof windowSchema>;
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;
export type TrafficRouterConfig = z.infer<typeof trafficRouterSchema>;
export type InfraProviderConfig = z.infer<typeof infraProviderSchema>;
export type MergeQueueConfig = z.infer<typeof mergeQueueSchema>;
