import { describe, expect, it } from 'vitest';
import { mergeQueueSchema } from '../../../src/config/delivery-schema.js';
import { MERGE_QUEUE_ACTOR, awaitsApprovalFrom, isMemberOfTeam, mayApprove, mayApproveAny, mayDeploy, mayGovern, mayOperate, mayRollBack, mayStopTheLine } from '../../../src/domain/release/authorization.js';
import { exampleShopConfig } from '../../support/fakes/example-config.js';
import { sampleReleaseView } from '../../support/slack-release-views.js';

const config = exampleShopConfig();
const who = (userId: string, userGroupIds: string[] = []) => ({ userId, userGroupIds });

describe('authorization', () => {
  it.each([
    ['a team member deploys their service', who('U0ALICE'), ['checkout'], true],
    ['a release manager deploys anything', who('U0BOB'), ['payments', 'web'], true],
    ['a member of another team may not', who('U0FRANK'), ['checkout'], false],
    ['a member of one team may not ship a set with another team\'s service', who('U0ERIN'), ['payments', 'checkout'], false],
  ] as const)('deploy: %s', (_name, actor, services, ok) => {
    expect(mayDeploy(config, actor, 'production', services).ok).toBe(ok);
  });

  it.each([
    ['a release manager', who('U0CAROL'), 'U0ALICE', { ok: true }],
    ['a member of a listed user group', who('U0ZED', ['S0RELEASE']), 'U0ALICE', { ok: true }],
    ['the requester', who('U0BOB'), 'U0BOB', { ok: false, refusal: { code: 'self_approval' } }],
    ['anyone else', who('U0ALICE'), 'U0BOB', { ok: false, refusal: { code: 'not_authorized' } }],
  ] as const)('approve: %s', (_name, actor, requester, expected) => {
    expect(mayApprove(config, actor, 'production', requester)).toMatchObject(expected);
  });

  it('the merge queue deploys only to its autoDeployTo environment', () => {
    const withQueue = { ...config, mergeQueue: mergeQueueSchema.parse({ autoDeployTo: 'staging' }) };
    expect(mayDeploy(withQueue, MERGE_QUEUE_ACTOR, 'staging', ['checkout', 'web']).ok).toBe(true);
    expect(mayDeploy(withQueue, MERGE_QUEUE_ACTOR, 'production', ['checkout']).ok).toBe(false);
    expect(mayDeploy(config, MERGE_QUEUE_ACTOR, 'staging', ['checkout']).ok).toBe(false);
  });

  it('operate: requester, approvers and owning teams; nobody else', () => {
    const release = { requesterId: 'U0DAVE', environment: 'production', services: ['checkout'] };
    expect(mayOperate(config, who('U0DAVE'), release, 'pause').ok).toBe(true);
    expect(mayOperate(config, who('U0BOB'), release, 'pause').ok).toBe(true);
    expect(mayOperate(config, who('U0ALICE'), release, 'pause').ok).toBe(true);
    expect(mayOperate(config, who('U0FRANK'), release, 'pause')).toMatchObject({ ok: false, refusal: { code: 'not_authorized', message: expect.stringContaining('pause') } });
  });

  it('govern: an environment\'s approvers; with none listed, any configured approver', () => {
    expect(mayGovern(config, who('U0BOB'), 'production', 'freeze').ok).toBe(true);
    expect(mayGovern(config, who('U0ALICE'), 'production', 'freeze').ok).toBe(false);
    expect(mayGovern(config, who('U0CAROL'), 'staging', 'lock').ok).toBe(true);
    expect(mayGovern(config, who('U0ALICE'), 'staging', 'lock').ok).toBe(false);
  });

  it('roll back: the owning team and every approver group, also where the environment has no approvals block', () => {
    // staging has no approvals block; Bob and Carol are release managers.
    expect(mayRollBack(config, who('U0BOB'), 'staging', 'checkout').ok).toBe(true);
    expect(mayRollBack(config, who('U0ZED', ['S0RELEASE']), 'staging', 'checkout').ok).toBe(true);
    expect(mayRollBack(config, who('U0ALICE'), 'staging', 'checkout').ok).toBe(true);
    expect(mayRollBack(config, who('U0FRANK'), 'staging', 'checkout')).toMatchObject({
      ok: false,
      refusal: { code: 'not_authorized', message: '<@U0FRANK> may not roll back checkout in staging: only the owning team (checkout) or an approver may' },
    });
    const release = { requesterId: 'U0DAVE', environment: 'staging', services: ['checkout'] };
    expect(mayOperate(config, who('U0CAROL'), release, 'roll back').ok).toBe(true);
    expect(mayOperate(config, who('U0CAROL'), release, 'pause').ok).toBe(false);
    expect(mayOperate(config, who('U0FRANK'), release, 'roll back')).toMatchObject({ ok: false, refusal: { message: expect.stringContaining('may not roll back this release') } });
  });

  it('approve, before anything else: only members of an approver group of the release\'s environments', () => {
    expect(mayApproveAny(config, who('U0CAROL'), ['staging', 'production']).ok).toBe(true);
    expect(mayApproveAny(config, who('U0ALICE'), ['staging', 'production'])).toMatchObject({ ok: false, refusal: { code: 'not_authorized', message: '<@U0ALICE> may not approve this release: only release-managers may' } });
    expect(mayApproveAny(config, who('U0CAROL'), ['staging']).ok).toBe(false);
  });

  it('team membership: listed by user id or by user group; a team without members has none', () => {
    const grouped = { ...config, teams: { ...config.teams, web: { ...config.teams.web!, members: ['S0WEB'] }, empty: { ...config.teams.web!, members: [] } } };
    expect(isMemberOfTeam(config, who('U0ALICE'), 'checkout')).toBe(true);
    expect(isMemberOfTeam(config, who('U0ALICE'), 'payments')).toBe(false);
    expect(isMemberOfTeam(grouped, who('U0ZED', ['S0WEB']), 'web')).toBe(true);
    expect(isMemberOfTeam(grouped, who('U0ALICE'), 'empty')).toBe(false);
    expect(isMemberOfTeam(config, who('U0ALICE'), 'no-such-team')).toBe(false);
  });

  it('stopping the line: only whoever may govern every environment', () => {
    expect(mayStopTheLine(config, who('U0BOB'))).toBe(true);
    expect(mayStopTheLine(config, who('U0ZED', ['S0RELEASE']))).toBe(true);
    expect(mayStopTheLine(config, who('U0ALICE'))).toBe(false);
  });

  it('a release awaits an approver of an environment short of approvals, not its requester nor who approved already', () => {
    const waiting = sampleReleaseView({
      status: 'waiting',
      allowedActions: ['approve', 'abort'],
      environments: sampleReleaseView().environments.map((environment) => (environment.environment === 'production' ? { ...environment, approvals: { required: 1, by: [] } } : environment)),
    });
    expect(awaitsApprovalFrom(config, waiting, who('U0BOB'))).toBe(true);
    expect(awaitsApprovalFrom(config, waiting, who('U0ALICE'))).toBe(false);
    expect(awaitsApprovalFrom(config, waiting, who('U0FRANK'))).toBe(false);
    expect(awaitsApprovalFrom(config, { ...waiting, requester: { userId: 'U0BOB' } }, who('U0BOB'))).toBe(false);
    expect(awaitsApprovalFrom(config, { ...waiting, allowedActions: ['abort'] }, who('U0BOB'))).toBe(false);
    const approved = { ...waiting, environments: waiting.environments.map((environment) => ({ ...environment, approvals: { required: 2, by: [{ userId: 'U0BOB', at: '2026-11-23T14:10:00.000Z' }] } })) };
    expect(awaitsApprovalFrom(config, approved, who('U0BOB'))).toBe(false);
    expect(awaitsApprovalFrom(config, approved, who('U0CAROL'))).toBe(true);
  });
});
