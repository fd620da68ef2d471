import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { targetGroupNameFor } from '../../src/adapters/traffic/aws-alb-traffic.js';
import { createTraffic } from '../../src/adapters/traffic/create-traffic.js';
import { trafficRouterSchema } from '../../src/config/delivery-schema.js';
import type { Traffic, TrafficChange } from '../../src/ports/traffic.js';
import { startFakeElbv2, type FakeElbv2 } from '../support/fake-elbv2.js';

let aws: FakeElbv2;
let router: Traffic;
let oldArn: string;
let newArn: string;

const OLD = 'is-r1-production-checkout';
const NEW = 'is-r2-production-checkout';
const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const OTHER_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/1111111111111111';
const change = (weights: Record<string, number>): TrafficChange => ({ target: { service: 'checkout', environment: 'production' }, weights, releaseId: 'r2', idempotencyKey: 'rel:r2:1' });

const settings = (overrides: Record<string, unknown> = {}) => trafficRouterSchema.parse({ kind: 'aws-alb', region: 'eu-west-1', ruleArn: { production: RULE }, endpoint: aws.url, timeout: 1, ...overrides });
const secrets = () => ({ AWS_ACCESS_KEY_ID: aws.accessKeyId, AWS_SECRET_ACCESS_KEY: aws.secretAccessKey });
const forward = (arn: string) => aws.rules.get(arn)!.Actions.find((action) => action.Type === 'forward')!.ForwardConfig!.TargetGroups;

beforeAll(async () => {
  aws = await startFakeElbv2();
  oldArn = aws.addTargetGroup(targetGroupNameFor(OLD));
  newArn = aws.addTargetGroup(targetGroupNameFor(NEW));
  router = createTraffic(settings(), { secrets: secrets() });
});
afterAll(async () => {
  await aws.close();
});
beforeEach(() => {
  aws.rules.set(RULE, {
    RuleArn: RULE,
    Priority: '10',
    Conditions: [{ Field: 'path-pattern', Values: ['/checkout/*'] }],
    Actions: [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: oldArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } }],
  });
  aws.rules.set(OTHER_RULE, { RuleArn: OTHER_RULE, Priority: '20', Conditions: [], Actions: [{ Type: 'forward', Order: 1, TargetGroupArn: oldArn }] });
  aws.actions.length = 0;
  aws.allowAll();
  aws.http.faults.length = 0;
});

describe('AWS ALB router', () => {
  it('weights one target group per infra-set on the rule’s forward action, over the query protocol, and reads them back', async () => {
    const outcome = await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }));
    expect(outcome).toEqual({ kind: 'applied', verified: true, detail: `listener rule app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee forwards ${NEW} 10%, ${OLD} 90% (modified)` });
    expect(forward(RULE)).toEqual([
      { TargetGroupArn: newArn, Weight: 10 },
      { TargetGroupArn: oldArn, Weight: 90 },
    ]);
    expect(aws.rules.get(OTHER_RULE)!.Actions).toEqual([{ Type: 'forward', Order: 1, TargetGroupArn: oldArn }]);
    const body = new URLSearchParams(aws.http.requests.at(-1)!.body);
    expect(body.get('Action')).toBe('ModifyRule');
    expect(body.get('Version')).toBe('2015-12-01');
    expect(aws.actions).toEqual(['DescribeTargetGroups', 'DescribeRules', 'ModifyRule']);
  });

  it('changes nothing for a split already in effect, and looks target groups up once', async () => {
    await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }));
    aws.actions.length = 0;
    expect(await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }))).toMatchObject({ kind: 'applied', verified: true, detail: expect.stringContaining('already in effect') });
    expect(aws.actions).toEqual(['DescribeRules']);
  });

  it('rides out throttling within the SDK’s retries, and asks for a retry when it lasts', async () => {
    aws.throttleNext(1);
    expect(await router.setWeights(change({ [NEW]: 50, [OLD]: 50 }))).toMatchObject({ kind: 'applied', verified: true });
    aws.throttleNext(10);
    expect(await router.setWeights(change({ [NEW]: 60, [OLD]: 40 }))).toEqual({ kind: 'failed', retryable: true, reason: expect.stringContaining('Throttling') });
    aws.throttleNext(0);
    aws.http.faults.push({ kind: 'raw', status: 503, body: '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service is unavailable</Message></Error></ErrorResponse>', headers: { 'content-type': 'text/xml' } }, { kind: 'raw', status: 503, body: '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service is unavailable</Message></Error></ErrorResponse>', headers: { 'content-type': 'text/xml' } }, { kind: 'raw', status: 503, body: '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service is unavailable</Message></Error></ErrorResponse>', headers: { 'content-type': 'text/xml' } });
    expect(await router.setWeights(change({ [NEW]: 60, [OLD]: 40 }))).toEqual({ kind: 'failed', retryable: true, reason: expect.stringContaining('503') });
    expect(await router.setWeights(change({ [NEW]: 60, [OLD]: 40 }))).toMatchObject({ kind: 'applied', verified: true });
  });

  it('fails closed when AWS denies the action, naming the IAM permission', async () => {
    aws.deny('ModifyRule');
    expect(await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }))).toEqual({
      kind: 'failed',
      retryable: false,
      reason: expect.stringContaining(`AWS denied the bot elasticloadbalancing:ModifyRule on ${RULE}: its role needs that permission`),
    });
    expect(forward(RULE)).toEqual([{ TargetGroupArn: oldArn, Weight: 1 }]);
  });

  it('fails closed on credentials AWS does not know', async () => {
    const stranger = createTraffic(settings(), { secrets: { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN', AWS_SECRET_ACCESS_KEY: 'nope' } });
    expect(await stranger.setWeights(change({ [NEW]: 100 }))).toEqual({ kind: 'failed', retryable: false, reason: expect.stringContaining("AWS did not accept the bot's credentials") });
  });

  it('refuses a split that is not 100, an unknown rule or target group, and an environment without a rule', async () => {
    expect(await router.setWeights(change({ [NEW]: 10 }))).toEqual({ kind: 'failed', retryable: false, reason: 'weights add up to 10%, not 100%' });
    expect(await router.setWeights({ ...change({ [NEW]: 100 }), target: { service: 'checkout', environment: 'staging' } })).toEqual({ kind: 'failed', retryable: false, reason: 'no listener rule is configured for staging' });
    expect(await router.setWeights(change({ 'is-r9-production-checkout': 100 }))).toEqual({ kind: 'failed', retryable: false, reason: expect.stringContaining('TargetGroupNotFound') });
    aws.rules.delete(RULE);
    expect(await router.setWeights(change({ [NEW]: 100 }))).toEqual({ kind: 'failed', retryable: false, reason: expect.stringContaining('RuleNotFound') });
  });

  it('names target groups within AWS’s 32 characters', () => {
    expect(targetGroupNameFor('is-r1-production-checkout')).toBe('is-r1-production-checkout');
    const long = targetGroupNameFor('is-r4f3a2b1c09-production-checkout-s2');
    expect(long.length).toBeLessThanOrEqual(32);
    expect(long).toMatch(/^[A-Za-z0-9-]+$/);
    expect(long).not.toBe(targetGroupNameFor('is-r4f3a2b1c09-production-checkout-s3'));
  });
});
