import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { startHttpFake, type HttpFake, type RecordedRequest } from './http-fake.js';

/**
 * An Elastic Load Balancing v2 endpoint on 127.0.0.1 for the real AWS SDK client (`endpoint`
 * override): the query protocol (form-encoded Action=…&Version=2015-12-01 in, XML out, errors as
 * <ErrorResponse>), SigV4-signed requests checked for a known access key and the region, listener
 * rules with forward actions over weighted target groups, throttling and AccessDenied on demand,
 * and every action recorded so the IAM policy can be checked against it.
 */

export interface TargetGroupTuple {
  TargetGroupArn: string;
  Weight: number;
}

export interface FakeRuleAction {
  Type: string;
  Order: number;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups: TargetGroupTuple[]; TargetGroupStickinessConfig?: { Enabled: boolean; DurationSeconds?: number } };
  /** Other action kinds (authenticate-oidc, fixed-response…) kept as given. */
  Extra?: Record<string, string>;
}

export interface FakeRule {
  RuleArn: string;
  Priority: string;
  Conditions: Array<{ Field: string; Values: string[] }>;
  Actions: FakeRuleAction[];
}

export interface FakeElbv2 {
  url: string;
  http: HttpFake;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Actions called, in order (DescribeRules, ModifyRule, …). */
  actions: string[];
  rules: Map<string, FakeRule>;
  /** Target group name → ARN. */
  targetGroups: Map<string, string>;
  addTargetGroup(name: string): string;
  /** Answers the next n requests with a Throttling error, as AWS does when the API rate is exceeded. */
  throttleNext(count: number): void;
  /** Called after every ModifyRule that changed a rule. */
  onModify(listener: (rule: FakeRule) => void): void;
  deny(action: string): void;
  allowAll(): void;
  close(): Promise<void>;
}

const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const ACCOUNT = '123456789012';

export async function startFakeElbv2(options: { region?: string } = {}): Promise<FakeElbv2> {
  const region = options.region ?? 'eu-west-1';
  const accessKeyId = 'AKIAFAKEELBV2TEST';
  const rules = new Map<string, FakeRule>();
  const targetGroups = new Map<string, string>();
  const actions: string[] = [];
  const denied = new Set<string>();
  let throttled = 0;
  const listeners: Array<(rule: FakeRule) => void> = [];

  const http = await startHttpFake((request, res) => handle(request, res));

  function error(res: ServerResponse, status: number, code: string, message: string, type: 'Sender' | 'Receiver' = 'Sender') {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(`<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
  }

  function ok(res: ServerResponse, action: string, result: string) {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`);
  }

  function handle(request: RecordedRequest, res: ServerResponse): void {
    if (request.method !== 'POST') return error(res, 400, 'InvalidAction', 'the query protocol takes POST');
    const form = new URLSearchParams(request.body);
    const action = form.get('Action') ?? '';
    const credential = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(request.headers.authorization ?? ''));
    if (!credential) return error(res, 403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    if (credential[1] !== accessKeyId) return error(res, 403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (credential[2] !== region || credential[3] !== 'elasticloadbalancing') return error(res, 403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region and service (${region}/elasticloadbalancing).`);
    if (form.get('Version') !== '2015-12-01') return error(res, 400, 'InvalidParameterValue', 'Version must be 2015-12-01');
    actions.push(action);
    if (throttled > 0) {
      throttled -= 1;
      return error(res, 400, 'Throttling', 'Rate exceeded');
    }
    if (denied.has(action)) {
      return error(res, 403, 'AccessDenied', `User: arn:aws:sts::${ACCOUNT}:assumed-role/durable-delivery/bot is not authorized to perform: elasticloadbalancing:${action} because no identity-based policy allows the elasticloadbalancing:${action} action`);
    }
    switch (action) {
      case 'DescribeRules': {
        const arns = members(form, 'RuleArns');
        const found: FakeRule[] = [];
        for (const arn of arns) {
          const rule = rules.get(arn);
          if (!rule) return error(res, 400, 'RuleNotFound', 'One or more rules not found');
          found.push(rule);
        }
        return ok(res, action, `<Rules>${found.map(ruleXml).join('')}</Rules>`);
      }
      case 'DescribeTargetGroups': {
        const names = members(form, 'Names');
        const arns: string[] = [];
        for (const name of names) {
          const arn = targetGroups.get(name);
          if (!arn) return error(res, 400, 'TargetGroupNotFound', `One or more target groups not found`);
          arns.push(arn);
        }
        return ok(res, action, `<TargetGroups>${names.map((name, index) => `<member><TargetGroupName>${name}</TargetGroupName><TargetGroupArn>${arns[index]}</TargetGroupArn><Protocol>HTTP</Protocol><Port>80</Port><TargetType>ip</TargetType></member>`).join('')}</TargetGroups>`);
      }
      case 'ModifyRule': {
        const arn = form.get('RuleArn') ?? '';
        const rule = rules.get(arn);
        if (!rule) return error(res, 400, 'RuleNotFound', 'One or more rules not found');
        const given = parseActions(form);
        if (given.length > 0) {
          const knownArns = new Set(targetGroups.values());
          for (const entry of given) {
            for (const tuple of entry.ForwardConfig?.TargetGroups ?? []) {
              if (!knownArns.has(tuple.TargetGroupArn)) return error(res, 400, 'TargetGroupNotFound', `Target group '${tuple.TargetGroupArn}' not found`);
              if (!Number.isInteger(tuple.Weight) || tuple.Weight < 0 || tuple.Weight > 999) return error(res, 400, 'ValidationError', `Weight must be an integer between 0 and 999`);
            }
            const tuples = entry.ForwardConfig?.TargetGroups ?? [];
            if (entry.Type === 'forward' && tuples.length > 5) return error(res, 400, 'TooManyTargetGroups', 'You have reached the maximum number of target groups for a forward action (5)');
          }
          rule.Actions = given;
          for (const listener of listeners) listener(structuredClone(rule));
        }
        return ok(res, action, `<Rules>${ruleXml(rule)}</Rules>`);
      }
      default:
        return error(res, 400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  return {
    url: http.url,
    http,
    region,
    accessKeyId,
    secretAccessKey: 'fake-elbv2-secret',
    actions,
    rules,
    targetGroups,
    addTargetGroup(name) {
      const arn = `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:targetgroup/${name}/${randomUUID().replace(/-/g, '').slice(0, 16)}`;
      targetGroups.set(name, arn);
      return arn;
    },
    throttleNext(count) {
      throttled = count;
    },
    onModify(listener) {
      listeners.push(listener);
    },
    deny(action) {
      denied.add(action);
    },
    allowAll() {
      denied.clear();
    },
    close: () => http.close(),
  };
}

/** A.member.1, A.member.2, … of a query-protocol list. */
function members(form: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let index = 1; form.has(`${name}.member.${index}`); index += 1) values.push(form.get(`${name}.member.${index}`)!);
  return values;
}

function parseActions(form: URLSearchParams): FakeRuleAction[] {
  const parsed: FakeRuleAction[] = [];
  for (let index = 1; form.has(`Actions.member.${index}.Type`); index += 1) {
    const prefix = `Actions.member.${index}.`;
    const tuples: TargetGroupTuple[] = [];
    for (let tuple = 1; form.has(`${prefix}ForwardConfig.TargetGroups.member.${tuple}.TargetGroupArn`); tuple += 1) {
      const at = `${prefix}ForwardConfig.TargetGroups.member.${tuple}.`;
      tuples.push({ TargetGroupArn: form.get(`${at}TargetGroupArn`)!, Weight: Number(form.get(`${at}Weight`) ?? '1') });
    }
    const extra: Record<string, string> = {};
    for (const [key, value] of form.entries()) {
      if (key.startsWith(prefix) && !key.startsWith(`${prefix}ForwardConfig.`) && !['Type', 'Order', 'TargetGroupArn'].includes(key.slice(prefix.length))) extra[key.slice(prefix.length)] = value;
    }
    const stickiness = form.get(`${prefix}ForwardConfig.TargetGroupStickinessConfig.Enabled`);
    parsed.push({
      Type: form.get(`${prefix}Type`)!,
      Order: Number(form.get(`${prefix}Order`) ?? index),
      ...(form.get(`${prefix}TargetGroupArn`) ? { TargetGroupArn: form.get(`${prefix}TargetGroupArn`)! } : {}),
      ...(tuples.length > 0 ? { ForwardConfig: { TargetGroups: tuples, ...(stickiness !== null ? { TargetGroupStickinessConfig: { Enabled: stickiness === 'true' } } : {}) } } : {}),
      ...(Object.keys(extra).length > 0 ? { Extra: extra } : {}),
    });
  }
  return parsed;
}

function ruleXml(rule: FakeRule): string {
  const conditions = rule.Conditions.map((condition) => `<member><Field>${condition.Field}</Field><Values>${condition.Values.map((value) => `<member>${escape(value)}</member>`).join('')}</Values></member>`).join('');
  const actionXml = rule.Actions.map((action) => {
    const forward = action.ForwardConfig
      ? `<ForwardConfig><TargetGroups>${action.ForwardConfig.TargetGroups.map((tuple) => `<member><TargetGroupArn>${tuple.TargetGroupArn}</TargetGroupArn><Weight>${tuple.Weight}</Weight></member>`).join('')}</TargetGroups><TargetGroupStickinessConfig><Enabled>${action.ForwardConfig.TargetGroupStickinessConfig?.Enabled ?? false}</Enabled></TargetGroupStickinessConfig></ForwardConfig>`
      : '';
    const single = action.TargetGroupArn ? `<TargetGroupArn>${action.TargetGroupArn}</TargetGroupArn>` : '';
    const extra = action.Type === 'fixed-response' && action.Extra ? `<FixedResponseConfig><StatusCode>${action.Extra['FixedResponseConfig.StatusCode'] ?? '503'}</StatusCode></FixedResponseConfig>` : '';
    return `<member><Type>${action.Type}</Type><Order>${action.Order}</Order>${single}${forward}${extra}</member>`;
  }).join('');
  return `<member><IsDefault>false</IsDefault><Conditions>${conditions}</Conditions><Priority>${rule.Priority}</Priority><Actions>${actionXml}</Actions><RuleArn>${rule.RuleArn}</RuleArn></member>`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
