import {
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type Action,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Logger } from 'pino';
import type { Traffic, TrafficChange, TrafficOutcome, Weights } from '../../ports/traffic.js';
import { targetGroupNameFor } from './aws-names.js';
import { invalidSplit, percentsOf, relativeWeights, sameIntegerWeights } from './integer-weights.js';

export { targetGroupNameFor } from './aws-names.js';
import { formatWeights } from './traffic-payload.js';

export interface AwsAlbTrafficOptions {
  client: ElasticLoadBalancingV2Client;
  /** The listener rule whose forward action carries the split, per environment or one for all. */
  ruleArn: string | Readonly<Record<string, string>>;
  /** The target group of an infra-set, by name (at most 32 characters). */
  targetGroupNameFor?: (infraSetId: string) => string;
  logger?: Logger;
}

/**
 * AWS Application Load Balancer router: the split is the weighted target groups of one listener
 * rule's forward action (one target group per infra-set, found by name). The rule's other actions
 * (authentication, say) and its conditions are sent back as they were read; other rules are never
 * touched. The rule as ModifyRule returns it is the verification.
 */
export class AwsAlbTraffic implements Traffic {
  readonly #arnByName = new Map<string, string>();

  constructor(private readonly options: AwsAlbTrafficOptions) {}

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    const invalid = invalidSplit(change.weights);
    if (invalid) return { kind: 'failed', retryable: false, reason: invalid };
    const ruleArn = typeof this.options.ruleArn === 'string' ? this.options.ruleArn : this.options.ruleArn[change.target.environment];
    if (!ruleArn) return { kind: 'failed', retryable: false, reason: `no listener rule is configured for ${change.target.environment}` };
    const nameFor = this.options.targetGroupNameFor ?? targetGroupNameFor;
    const ids = Object.keys(change.weights);
    let step = 'DescribeTargetGroups';
    try {
      const arns = await this.#targetGroupArns(ids.map(nameFor));
      const idByArn = new Map(ids.map((id) => [arns.get(nameFor(id))!, id]));
      const integers = relativeWeights(change.weights);
      const desired = Object.fromEntries(ids.map((id) => [arns.get(nameFor(id))!, integers[id]!]));

      step = 'DescribeRules';
      const described = await this.options.client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
      const rule = described.Rules?.[0];
      if (!rule) return { kind: 'failed', retryable: false, reason: `listener rule ${ruleArn} not found` };
      const forward = forwardOf(rule);
      if (!forward) return { kind: 'failed', retryable: false, reason: `listener rule ${ruleArn} has no forward action` };
      if (sameIntegerWeights(weightsOf(forward), desired)) return this.#verified(ruleArn, weightsOf(forward), desired, idByArn, 'already in effect');

      step = 'ModifyRule';
      const actions: Action[] = (rule.Actions ?? []).map((action) =>
        action === forward
          ? {
              Type: 'forward',
              ...(action.Order !== undefined ? { Order: action.Order } : {}),
              ForwardConfig: {
                TargetGroups: Object.entries(desired).map(([arn, weight]) => ({ TargetGroupArn: arn, Weight: weight })),
                ...(action.ForwardConfig?.TargetGroupStickinessConfig ? { TargetGroupStickinessConfig: action.ForwardConfig.TargetGroupStickinessConfig } : {}),
              },
            }
          : action,
      );
      const modified = await this.options.client.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: actions }));
      const after = modified.Rules?.[0] ? forwardOf(modified.Rules[0]) : undefined;
      if (!after) return { kind: 'failed', retryable: false, reason: `listener rule ${ruleArn} has no forward action after ModifyRule` };
      return this.#verified(ruleArn, weightsOf(after), desired, idByArn, 'modified');
    } catch (error) {
      return awsFailure(error, step, step === 'ModifyRule' || step === 'DescribeRules' ? ruleArn : 'target groups');
    }
  }

  async #targetGroupArns(names: string[]): Promise<Map<string, string>> {
    const missing = names.filter((name) => !this.#arnByName.has(name));
    if (missing.length > 0) {
      const answer = await this.options.client.send(new DescribeTargetGroupsCommand({ Names: missing }));
      for (const group of answer.TargetGroups ?? []) if (group.TargetGroupName && group.TargetGroupArn) this.#arnByName.set(group.TargetGroupName, group.TargetGroupArn);
    }
    return new Map(names.map((name) => [name, this.#arnByName.get(name)!]));
  }

  #verified(ruleArn: string, read: Record<string, number>, written: Record<string, number>, idByArn: ReadonlyMap<string, string>, note: string): TrafficOutcome {
    const observed: Weights = {};
    for (const [arn, pct] of Object.entries(percentsOf(read))) observed[idByArn.get(arn) ?? arn] = pct;
    const rule = ruleArn.split('listener-rule/')[1] ?? ruleArn;
    if (!sameIntegerWeights(read, written)) return { kind: 'failed', retryable: false, reason: `listener rule ${rule} reads ${formatWeights(observed)}, not what was written` };
    return { kind: 'applied', verified: true, detail: `listener rule ${rule} forwards ${formatWeights(observed)} (${note})` };
  }
}

function forwardOf(rule: Rule): Action | undefined {
  return rule.Actions?.find((action) => action.Type === 'forward');
}

/** Target group ARN → weight; a forward to a single target group weighs 1. */
function weightsOf(action: Action): Record<string, number> {
  const groups = action.ForwardConfig?.TargetGroups;
  if (groups && groups.length > 0) return Object.fromEntries(groups.map((group) => [group.TargetGroupArn ?? '', group.Weight ?? 1]));
  return action.TargetGroupArn ? { [action.TargetGroupArn]: 1 } : {};
}


/** AWS's answer in the ports' terms: denied and bad credentials fail closed, throttling, 5xx and timeouts retry. */
export function awsFailure(error: unknown, action: string, resource: string): TrafficOutcome {
  const name = (error as { name?: string }).name ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const message = error instanceof Error ? error.message : String(error);
  if (['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation'].includes(name) || (status === 403 && !CREDENTIAL_ERRORS.includes(name))) {
    return { kind: 'failed', retryable: false, reason: `AWS denied the bot elasticloadbalancing:${action} on ${resource}: its role needs that permission (${message})` };
  }
  if (CREDENTIAL_ERRORS.includes(name) || status === 401) {
    return { kind: 'failed', retryable: false, reason: `AWS did not accept the bot's credentials on ${action} (${name}: ${message}); check the default credential chain (role, environment, profile)` };
  }
  if (['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'TimeoutError', 'RequestTimeout', 'ECONNREFUSED', 'ECONNRESET'].includes(name) || (status !== undefined && status >= 500)) {
    return { kind: 'failed', retryable: true, reason: `AWS ${action} did not go through (${name}${status ? ` ${status}` : ''}): ${message}` };
  }
  if (status === undefined) return { kind: 'failed', retryable: true, reason: `AWS ${action} could not be sent: ${message}` };
  return { kind: 'failed', retryable: false, reason: `AWS refused ${action} on ${resource} (${name}): ${message}` };
}

const CREDENTIAL_ERRORS = ['CredentialsProviderError', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException', 'MissingAuthenticationToken'];

export interface AwsAlbClientSettings {
  region: string;
  endpoint?: string | undefined;
  timeoutMs: number;
  /** Static keys when the environment names them; else the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
}

export function awsAlbClient(settings: AwsAlbClientSettings): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: 3,
    requestHandler: { requestTimeout: settings.timeoutMs, connectionTimeout: settings.timeoutMs },
  });
}
