import type { DeliveryConfig } from '../../config/delivery-schema.js';
import { currentEnvironment } from './cursor.js';
import type { Actor, OperatorAction as ReleaseOperatorInput, Refusal, ReleaseState, ReleaseView } from './types.js';

/**
 * Who may do what, from the config alone. Config lists Slack user ids and user-group ids; an actor
 * matches when their user id or any of their groups is listed.
 *
 * - approve: a member of one of the environment's `approvals.from` groups (requester excluded when configured);
 * - deploy: a member of the owning team of every service shipped, or an approver of the environment;
 * - operate a release (pause, resume, promote, abort, supersede): its requester, an approver
 *   of the environment, or a member of a team owning one of its services;
 * - roll back (a release's Roll back button, `/rollback`): as operate, and also a member of any
 *   approver group, whether or not the environment has an `approvals` block — restoring the
 *   last-known-good is the safe direction, and release managers must never be locked out of it;
 * - govern an environment (freeze, unfreeze, lock, unlock): an approver of it.
 * A list left empty in the config does not restrict: a team without members lets anyone deploy its
 * services, and an environment without approver groups lets any configured approver (or, with none
 * configured, anyone) govern it.
 */

/**
 * The bot itself, deploying each version set the merge queue mints to `mergeQueue.autoDeployTo`.
 * The config asked for those deploys, so that is all it may deploy; approvals still apply.
 */
export const MERGE_QUEUE_ACTOR: Actor = { userId: 'UMERGEQUEUE', userGroupIds: [] };

function principals(actor: Actor): Set<string> {
  return new Set([actor.userId, ...actor.userGroupIds]);
}

function listed(actor: Actor, ids: readonly string[]): boolean {
  const mine = principals(actor);
  return ids.some((id) => mine.has(id));
}

export function isInApproverGroups(config: DeliveryConfig, actor: Actor, groups: readonly string[]): boolean {
  return groups.some((group) => listed(actor, config.approverGroups[group] ?? []));
}

/** A member of any approver group of the config. */
export function isAnyApprover(config: DeliveryConfig, actor: Actor): boolean {
  return isInApproverGroups(config, actor, Object.keys(config.approverGroups));
}

export function isApproverOf(config: DeliveryConfig, actor: Actor, environment: string): boolean {
  const from = config.environments[environment]?.approvals.from ?? [];
  return isInApproverGroups(config, actor, from);
}

function isTeamMemberFor(config: DeliveryConfig, actor: Actor, service: string): boolean {
  const teamName = config.services[service]?.team;
  const team = teamName ? config.teams[teamName] : undefined;
  if (!team) return false;
  return team.members.length === 0 || listed(actor, team.members);
}

const allowed = { ok: true } as const;
type Check = typeof allowed | { ok: false; refusal: Refusal };

function refuse(message: string): Check {
  return { ok: false, refusal: { code: 'not_authorized', message } };
}

export function mayDeploy(config: DeliveryConfig, actor: Actor, environment: string, services: readonly string[]): Check {
  if (actor.userId === MERGE_QUEUE_ACTOR.userId) {
    return config.mergeQueue?.autoDeployTo === environment ? allowed : refuse(`The merge queue only deploys to ${config.mergeQueue?.autoDeployTo ?? 'no environment'} (mergeQueue.autoDeployTo)`);
  }
  if (isApproverOf(config, actor, environment)) return allowed;
  const missing = services.filter((service) => !isTeamMemberFor(config, actor, service));
  if (missing.length === 0) return allowed;
  return refuse(`<@${actor.userId}> may not deploy ${missing.join(', ')} to ${environment}: not on the owning team nor an approver of ${environment}`);
}

export function mayOperate(
  config: DeliveryConfig,
  actor: Actor,
  release: { requesterId: string; environment: string; services: readonly string[] },
  action: OperatorAction,
): Check {
  if (actor.userId === release.requesterId) return allowed;
  if (isApproverOf(config, actor, release.environment)) return allowed;
  if (action === 'roll back' && isAnyApprover(config, actor)) return allowed;
  if (release.services.some((service) => isTeamMemberFor(config, actor, service))) return allowed;
  const approvers = action === 'roll back' ? 'an approver' : `an approver of ${release.environment}`;
  return refuse(`<@${actor.userId}> may not ${action} this release: only its requester, ${approvers} or an owning team's member may`);
}

export type OperatorAction = 'pause' | 'resume' | 'promote' | 'roll back' | 'abort' | 'supersede';

/**
 * `/rollback <service> in <environment>` with no release moving it: the owning team of the service,
 * an approver of the environment, or a member of any approver group.
 */
export function mayRollBack(config: DeliveryConfig, actor: Actor, environment: string, service: string): Check {
  if (isApproverOf(config, actor, environment) || isAnyApprover(config, actor)) return allowed;
  if (isTeamMemberFor(config, actor, service)) return allowed;
  const team = config.services[service]?.team;
  return refuse(`<@${actor.userId}> may not roll back ${service} in ${environment}: only the owning team${team ? ` (${team})` : ''} or an approver may`);
}

/**
 * Checked before anything about the release is looked at: an actor in none of the approver groups
 * of the release's environments learns nothing of its state (finished, approved, awaiting) from
 * the refusal.
 */
export function mayApproveAny(config: DeliveryConfig, actor: Actor, environments: readonly string[]): Check {
  const groups = [...new Set(environments.flatMap((environment) => config.environments[environment]?.approvals.from ?? []))];
  if (isInApproverGroups(config, actor, groups)) return allowed;
  return refuse(`<@${actor.userId}> may not approve this release: only ${groups.join(' or ') || 'an approver group'} may`);
}

export function mayGovern(config: DeliveryConfig, actor: Actor, environment: string, action: string): Check {
  const from = config.environments[environment]?.approvals.from ?? [];
  if (from.length > 0) {
    return isInApproverGroups(config, actor, from) ? allowed : refuse(`<@${actor.userId}> may not ${action} ${environment}: only its approvers (${from.join(', ')}) may`);
  }
  const allGroups = Object.keys(config.approverGroups);
  if (allGroups.length === 0 || isInApproverGroups(config, actor, allGroups)) return allowed;
  return refuse(`<@${actor.userId}> may not ${action} ${environment}: only configured approvers may`);
}

export type ApprovalCheck = { ok: true } | { ok: false; refusal: Refusal };

export function mayApprove(config: DeliveryConfig, actor: Actor, environment: string, requesterId: string): ApprovalCheck {
  const policy = config.environments[environment]?.approvals;
  if (!policy) return { ok: false, refusal: { code: 'unknown_environment', message: `No environment named ${environment}` } };
  if (policy.excludeRequester && actor.userId === requesterId) {
    return { ok: false, refusal: { code: 'self_approval', message: `The requester cannot approve their own release in ${environment}` } };
  }
  if (!isInApproverGroups(config, actor, policy.from)) {
    return {
      ok: false,
      refusal: { code: 'not_authorized', message: `<@${actor.userId}> is not in ${policy.from.join(' or ') || 'any approver group'} for ${environment}` },
    };
  }
  return { ok: true };
}

/** A listed member of `team` (by user id or user group); a team without members has none. */
export function isMemberOfTeam(config: DeliveryConfig, actor: Actor, team: string): boolean {
  return listed(actor, config.teams[team]?.members ?? []);
}

/** Who may stop (and restart) the line: whoever may govern every environment. */
export function mayStopTheLine(config: DeliveryConfig, actor: Actor): boolean {
  return Object.keys(config.environments).every((environment) => mayGovern(config, actor, environment, 'stop the line in').ok);
}

/**
 * Whether `view` waits for `actor`'s approval: it can be approved, the actor did not request it,
 * and one of its environments still needs approvals, has none from the actor and lists the actor
 * among its approvers.
 */
export function awaitsApprovalFrom(config: DeliveryConfig, view: ReleaseView, actor: Actor): boolean {
  if (!view.allowedActions.includes('approve')) return false;
  if (view.requester.userId === actor.userId) return false;
  return view.environments.some(
    (environment) =>
      environment.approvals.by.length < environment.approvals.required &&
      !environment.approvals.by.some((approval) => approval.userId === actor.userId) &&
      isApproverOf(config, actor, environment.environment),
  );
}

/** What authorization reads of an operator's input to a release: what it asks, who asks, and whether a line stop asks it. */
export interface ReleaseRequest {
  type: ReleaseOperatorInput;
  actor: Actor;
  lineStop?: number;
}

/** The services a release ships, in any environment of its path. */
export function releaseServices(state: ReleaseState): string[] {
  return [...new Set(state.plan.environments.flatMap((env) => env.changes.map((change) => change.service)))];
}

/**
 * Whether the actor may give this input to the release in `state` at all. It is the first check
 * `decide` applies, and the one the release service applies to the row it read before it locks
 * or decides anything, so both refuse alike. It reads who asks and who the release belongs to
 * (requester, path, services, the environment it is in), never its phase or its approvals: a
 * refusal tells nothing of where the release stands. What does depend on them (a self-approval, an
 * approver of the environment awaiting approval) is decided after, by `decide`.
 */
export function mayActOn(config: DeliveryConfig, state: ReleaseState, request: ReleaseRequest): Check {
  const environment = currentEnvironment(state);
  if (request.type === 'approve') return mayApproveAny(config, request.actor, state.plan.environments.map((env) => env.environment));
  // Stopping or restarting the line is governance: whoever may freeze the environment may pause what runs in it.
  if ((request.type === 'pause' || request.type === 'resume') && request.lineStop !== undefined) return mayGovern(config, request.actor, environment, 'stop the line in');
  const release = { requesterId: state.requester.userId, environment, services: releaseServices(state) };
  return mayOperate(config, request.actor, release, operatorActionOf(request.type));
}

function operatorActionOf(type: Exclude<ReleaseOperatorInput, 'approve'>): OperatorAction {
  return type === 'rollback' ? 'roll back' : type;
}
