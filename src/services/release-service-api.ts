import type { Downgrade } from '../domain/release/downgrade.js';
import type { Actor, DeployRequest, Outcome, ReleasePlan, ReleaseView, Refusal, RollbackMove } from '../domain/release/types.js';

/**
 * The engine's use cases, as Slack listeners and the CLI call them. Every mutating method answers
 * an Outcome: accepted with the release's new view, or refused with a stable code and a message.
 */
export interface ReleaseActionRequest {
  actor: Actor;
  releaseId: string;
}

export type { FreezeView, LineStopView } from '../ports/freeze-views.js';
import type { FreezeView, LineStopView } from '../ports/freeze-views.js';

export interface LockView {
  environment: string;
  holder: string;
  reason: string | null;
  at: string;
}

export interface InfraSetView {
  id: string;
  service: string;
  environment: string;
  version: string;
  state: 'provisioning' | 'ready' | 'serving' | 'warm' | 'draining' | 'retired';
  weight: number;
  releaseId: string | null;
  createdAt: string;
}

export type PlanPreview =
  /** `downgrades`: what the plan takes back to older versions; deploying it needs them confirmed. */
  | { kind: 'planned'; plan: ReleasePlan; versionSetId: number; summary: string[]; downgrades?: Downgrade[] }
  | ({ kind: 'refused' } & Refusal);

export type EnvironmentOutcome<T> = { kind: 'accepted'; value: T } | ({ kind: 'refused' } & Refusal);

export type ManualRollbackResult =
  | { service: string; environment: string; toInfraSetId: string; toVersion: string }
  /** The service was in an active release: the whole release rolls back, these moves in this order. */
  | { service: string; environment: string; releaseId: string; moves: RollbackMove[] };

export interface ReleaseService {
  requestDeploy(request: DeployRequest): Promise<Outcome>;
  /** The plan a deploy would make, without starting anything (the /deploy modal and the CLI `plan`). */
  previewPlan(request: DeployRequest): Promise<PlanPreview>;
  approve(request: ReleaseActionRequest): Promise<Outcome>;
  pause(request: ReleaseActionRequest): Promise<Outcome>;
  resume(request: ReleaseActionRequest): Promise<Outcome>;
  /** Skips the rest of the current bake. */
  promote(request: ReleaseActionRequest): Promise<Outcome>;
  rollback(request: ReleaseActionRequest & { reason?: string }): Promise<Outcome>;
  abort(request: ReleaseActionRequest): Promise<Outcome>;
  /** Replaces the in-flight version of a service by a fix and rolls forward from the current stage. */
  supersede(request: ReleaseActionRequest & { service: string; version: string }): Promise<Outcome>;
  /**
   * /rollback: traffic to the last-known-good warm infra-set, or the one named. A service an active
   * release is moving rolls that whole release back instead, as its card shows.
   */
  manualRollback(request: { actor: Actor; service: string; environment: string; toInfraSetId?: string }): Promise<EnvironmentOutcome<ManualRollbackResult>>;
  freeze(request: { actor: Actor; environment: string; durationSeconds: number; reason: string }): Promise<EnvironmentOutcome<FreezeView>>;
  unfreeze(request: { actor: Actor; environment: string }): Promise<EnvironmentOutcome<{ lifted: number }>>;
  /** `/freeze all`: freezes every environment, pauses every release and holds every merge queue, at once. */
  freezeAll(request: { actor: Actor; reason: string }): Promise<EnvironmentOutcome<LineStopView>>;
  /** `/unfreeze all`: lifts the line stop and resumes the releases it paused. */
  unfreezeAll(request: { actor: Actor }): Promise<EnvironmentOutcome<{ resumedReleaseIds: string[] }>>;
  /** The line stop in force, if any. */
  lineStop(): Promise<LineStopView | null>;
  lock(request: { actor: Actor; environment: string; reason?: string }): Promise<EnvironmentOutcome<LockView>>;
  unlock(request: { actor: Actor; environment: string }): Promise<EnvironmentOutcome<{ environment: string }>>;
  status(releaseId: string): Promise<ReleaseView | undefined>;
  listActive(): Promise<ReleaseView[]>;
  /** Ad-hoc freezes in force and scheduled ones not yet over. */
  listFreezes(): Promise<FreezeView[]>;
  listInfraSets(service: string, environment: string): Promise<InfraSetView[]>;
}
