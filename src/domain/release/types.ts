import type { HealthCheckConfig } from '../../config/delivery-schema.js';
import type { StageChart, StageReadingSamples } from '../health/stage-chart.js';
import type { CheckEvidenceDetail, HealthReading, Verdict } from '../../ports/health.js';
import type { InfraOutcome } from '../../ports/infra.js';
import type { TrafficOutcome, Weights } from '../../ports/traffic.js';
import type { Downgrade, DowngradeConfirmation } from './downgrade.js';
import type { Shipment, VersionRecord } from './what-ships.js';

/**
 * The release engine's vocabulary. Everything here is plain JSON-friendly data (times are ISO
 * strings) because the state is persisted as jsonb and re-read on every tick.
 */

/** A Slack user and the Slack user groups they belong to; config approver groups list either. */
export interface Actor {
  userId: string;
  userGroupIds: string[];
}

export type DeployTarget = { kind: 'service'; service: string; version: string } | { kind: 'set'; versionSetId: number };

export interface DeployRequest {
  actor: Actor;
  target: DeployTarget;
  environment: string;
  /** The actor confirmed the plan's downgrades (a confirm dialog, --allow-downgrade): recorded in the audit log. */
  allowDowngrade?: boolean;
}

// ── Outcomes ──────────────────────────────────────────────────────────────────────────────────

/** Stable reason codes of every expected refusal (shown to users, asserted by tests, kept stable). */
export type RefusalCode =
  | 'unknown_service'
  | 'unknown_environment'
  | 'unknown_version_set'
  | 'unknown_release'
  | 'unknown_infra_set'
  | 'nothing_to_deploy'
  | 'dependency_cycle'
  | 'constraint_violated'
  | 'not_authorized'
  | 'self_approval'
  | 'already_approved'
  | 'no_approval_needed'
  | 'release_finished'
  | 'already_paused'
  | 'not_paused'
  | 'not_baking'
  | 'not_in_release'
  | 'not_in_flight'
  | 'environment_busy'
  /** Another input changed the release while this one was being decided, again on every retry. */
  | 'release_changed'
  | 'frozen'
  | 'not_frozen'
  | 'line_stopped'
  | 'line_not_stopped'
  | 'locked'
  | 'not_locked'
  | 'no_warm_infra_set'
  | 'downgrade_unconfirmed'
  | 'first_deploy_needs_thresholds'
  | 'invalid_input';

export interface Refusal {
  code: RefusalCode;
  message: string;
  /** With `downgrade_unconfirmed`: what would go down, for the confirm step to name. */
  downgrades?: Downgrade[];
}

/** What every mutating service method answers. */
export type Outcome<T = ReleaseView> = ({ kind: 'accepted' } & AcceptedPayload<T>) | ({ kind: 'refused' } & Refusal);
type AcceptedPayload<T> = {
  view: T;
  /** True when the request repeated one already in progress: the view is of that release and nothing new started. */
  existing?: boolean;
};

// ── Gates ─────────────────────────────────────────────────────────────────────────────────────

export type GateName = 'approvals' | 'window' | 'freeze' | 'lock' | 'dependencies' | 'previous_environment';

export type GateCode =
  | 'approvals_missing'
  | 'window_closed'
  | 'frozen'
  | 'environment_locked'
  | 'dependencies_not_converged'
  | 'previous_environment_not_converged';

/** One precondition of a step, as a value: passed, or closed with a stable code and (where known) when it opens. */
export type GateResult =
  | { gate: GateName; ok: true; detail?: string }
  | { gate: GateName; ok: false; code: GateCode; message: string; opensAt?: string };

export type GateFailure = Extract<GateResult, { ok: false }>;

// ── Plan ──────────────────────────────────────────────────────────────────────────────────────

export interface PlannedStage {
  name: string;
  weight: number;
  bakeSeconds: number;
}

export interface ServiceChange {
  service: string;
  /** What serves now (null for a first deploy) — also the rollback target. */
  fromVersion: string | null;
  fromInfraSetId: string | null;
  toVersion: string;
  /** The immutable infra-set this release mints for the new version. */
  toInfraSetId: string;
  /** Which way it goes and what lies between (absent on states persisted before it was recorded). */
  shipment?: Shipment;
}

export interface EnvironmentPlan {
  environment: string;
  /** Services that change here, providers before consumers. */
  changes: ServiceChange[];
  stages: PlannedStage[];
  approvalsRequired: number;
  /** Reverse dependency order: what a rollback in this environment moves, and where to. */
  rollbackOrder: Array<{ service: string; toInfraSetId: string | null; toVersion: string | null }>;
  /** Said up front, e.g. a canary too small to judge within its bake. */
  warnings: string[];
  /** Informative lines said up front, e.g. how soon each judged stage can expect a verdict. */
  notes?: string[];
  /** Services whose new version here is marked irreversible: a failure holds instead of rolling back. */
  irreversible?: string[];
}

/** One step of the flattened plan; a cursor walks them in order. */
export type PlanStep =
  | { kind: 'provision'; environment: string; service: string; infraSetId: string; version: string }
  | {
      kind: 'stage';
      environment: string;
      service: string;
      infraSetId: string;
      version: string;
      stage: string;
      stageIndex: number;
      weight: number;
      bakeSeconds: number;
    }
  | { kind: 'finalize'; environment: string; service: string; infraSetId: string; version: string }
  /** After every service converged in an environment: health keeps being judged for `seconds`, the previous infra-sets warm. */
  | {
      kind: 'watch';
      environment: string;
      /** The last service converged before the watch (every step names one); `services` are all those watched. */
      service: string;
      infraSetId: string;
      version: string;
      seconds: number;
      services: WatchedService[];
    };

export interface WatchedService {
  service: string;
  infraSetId: string;
  version: string;
  /** What served before: the late rollback's target, kept warm through the window. */
  previous: { infraSetId: string; version: string } | null;
}

export interface ReleasePlan {
  versionSetId: number;
  /** The whole set being shipped, service → version. */
  versions: Record<string, string>;
  /** Environments in order; the last is the requested one. */
  path: string[];
  environments: EnvironmentPlan[];
  steps: PlanStep[];
  /** Set when the plan takes services back to older versions: who confirmed it. */
  downgradeConfirmed?: DowngradeConfirmation;
}

// ── State ─────────────────────────────────────────────────────────────────────────────────────

/** What the traffic router reported after its latest move: the weights it read back where it can. */
export interface TrafficReadBack {
  at: string;
  environment: string;
  service: string;
  /** False when the router cannot observe the split (nginx, a webhook receiver that does not say). */
  verified: boolean;
  detail: string;
}

export interface HealthSnapshot {
  at: string;
  environment: string;
  service: string;
  stage: string;
  verdict: Verdict;
  /** Each check's verdict, a one-line summary, and the evidence behind it (absent on readings persisted before). */
  checks: Array<{ check: string; verdict: Verdict; summary: string; detail?: CheckEvidenceDetail }>;
}

export interface RollbackMove {
  environment: string;
  service: string;
  /** The last-known-good infra-set, or null when nothing served before (traffic then goes nowhere). */
  toInfraSetId: string | null;
  toVersion: string | null;
}

export type Phase =
  /** Gates of the step at the cursor are closed. */
  | { kind: 'waiting'; since: string; blockedBy: GateFailure[] }
  | { kind: 'provisioning'; since: string; token: string }
  | { kind: 'shifting'; since: string; token: string; weights: Weights }
  | {
      kind: 'baking';
      startedAt: string;
      bakeUntil: string;
      nextMeasureAt: string | null;
      /** The end of the last measured interval: the next measurement covers only what came after. */
      measuredUntil: string;
      /** The token of the measurement in flight, if any; readings with another token are stale. */
      measuring: string | null;
      evidence: unknown;
      consecutiveFails: number;
      consecutiveUnclear: number;
      /**
       * Until when a judge still deciding is waited for without counting as unclear: the bake's end,
       * or a bake after a Resume of a hold (absent on states persisted before: the bake's end).
       */
      verdictDueAt?: string;
      /** The stage's latest verdict; only `pass` lets a finished bake promote. */
      lastVerdict: Verdict | null;
      /** A human was asked: after `holdAfter` readings in a row that could not judge, or an irreversible failure. */
      askedHuman: boolean;
      /** While held: since when, who was asked, and since when health passes again (absent on states persisted before). */
      hold?: HoldRecord | null;
      /** Each reading of the stage reduced to what its chart draws (absent on states persisted before). */
      readings?: StageReadingSamples[];
    }
  | {
      kind: 'watching';
      startedAt: string;
      until: string;
      nextMeasureAt: string | null;
      measuredUntil: string;
      /** Per watched service: the measurement in flight, the judge's evidence so far, fails in a row. */
      services: WatchState[];
    }
  | { kind: 'rolling_back'; since: string; reason: string; outcome: 'rolled_back' | 'aborted'; pending: RollbackMove[]; inFlight: (RollbackMove & { token: string }) | null }
  | { kind: 'finished'; at: string; outcome: 'succeeded' | 'rolled_back' | 'aborted'; reason: string | null };

export interface WatchState {
  service: string;
  measuring: string | null;
  evidence: unknown;
  consecutiveFails: number;
  lastVerdict: Verdict | null;
  /** Set when an irreversible version breached the watch: the release holds here for a human. */
  held?: HoldRecord | null;
}

/** A release held for a human: it moves only on Resume, Promote, Roll forward (a supersede), Roll back or Abort. */
export interface HoldRecord {
  since: string;
  /** Channels and users that were asked to decide (`#team-checkout`, `U0ALICE`). */
  asked: string[];
  /** Set while the readings since the hold pass again: the human may press Resume. */
  passingSince: string | null;
}

export interface PauseRecord {
  by: string;
  at: string;
  /** Why, when a reason was given (stopping the line gives one). */
  reason?: string;
  /** The line stop (its freeze id) that paused it: `/unfreeze all` resumes exactly these. */
  lineStop?: number;
}

export interface ApprovalRecord {
  environment: string;
  userId: string;
  at: string;
}

export interface ReleaseState {
  id: string;
  requester: Actor;
  createdAt: string;
  plan: ReleasePlan;
  cursor: number;
  phase: Phase;
  paused: PauseRecord | null;
  approvals: ApprovalRecord[];
  /**
   * Services whose traffic this release moved, per environment (what a rollback must restore), with
   * what served there before the release first moved it: the rollback target, even after a
   * supersede re-planned that environment from the release's own infra-set. (Absent on states
   * persisted before it was recorded; the plan's rollback order stands in.)
   */
  moved: Array<{ environment: string; service: string; fromInfraSetId?: string | null; fromVersion?: string | null }>;
  /** What was asked for, so an identical request while this release is active answers with it. */
  target?: DeployTarget;
  lastHealth: HealthSnapshot | null;
  /** (Absent on states persisted before it was recorded.) */
  lastTraffic?: TrafficReadBack | null;
  /** Monotonic counter for effect tokens, so a stale result is recognised. */
  seq: number;
  /** Infra-sets of this release that must never turn warm (superseded or rolled back); they retire. */
  discarded: string[];
  /** The judge's evidence of each service's 100% stage, per `environment/service`: the watch after it starts from its baseline. */
  fullStageEvidence?: Record<string, unknown>;
  supersededBy: Array<{ service: string; version: string; at: string; by: string }>;
}

export type ReleaseStatus = 'waiting' | 'running' | 'held' | 'paused' | 'rolling_back' | 'succeeded' | 'rolled_back' | 'aborted';

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────

export type OperatorAction = 'approve' | 'pause' | 'resume' | 'promote' | 'rollback' | 'abort' | 'supersede';

export type ReleaseInput =
  | { type: 'tick' }
  | { type: 'approve'; actor: Actor }
  | { type: 'pause'; actor: Actor; reason?: string; lineStop?: number }
  | { type: 'resume'; actor: Actor; lineStop?: number }
  | { type: 'promote'; actor: Actor }
  | { type: 'rollback'; actor: Actor; reason?: string }
  | { type: 'abort'; actor: Actor }
  /** `history`: the service's versions as the version sets know them, oldest first (what the fix's "What ships" lists). */
  | { type: 'supersede'; actor: Actor; service: string; version: string; versionSetId: number; history: readonly VersionRecord[] }
  | { type: 'provisioned'; token: string; outcome: InfraOutcome }
  | { type: 'traffic_applied'; token: string; outcome: TrafficOutcome }
  | { type: 'health_reading'; token: string; reading: HealthReading };

// ── Effects decided by the domain ─────────────────────────────────────────────────────────────

/** Effects run by the outbox worker (critical/health/chat lanes) or applied to the store in the same transaction. */
export type ReleaseEffect =
  /** `stage` names the step an effect serves (a stage, 'provision' or 'rollback'), for its log line; rows queued before it existed lack it. */
  | { kind: 'provision'; token: string; environment: string; service: string; stage?: string; infraSetId: string; version: string }
  | { kind: 'set_weights'; token: string; environment: string; service: string; stage?: string; weights: Weights; purpose: 'stage' | 'rollback' }
  | {
      kind: 'measure';
      token: string;
      environment: string;
      service: string;
      stage?: string;
      canary: { infraSetId: string; version: string };
      baseline: { infraSetId: string; version: string } | null;
      weight: number;
      checks: HealthCheckConfig[];
      window: { from: string; to: string };
      evidence: unknown;
    }
  /** Confirmed traffic, applied to the infra-set rows in the same transaction; sets left out turn warm unless discarded (then they retire). */
  | { kind: 'record_weights'; environment: string; service: string; weights: Weights; discard: string[] }
  | { kind: 'record_provisioned'; infraSetId: string }
  /** Finishing a service in an environment: the new infra-set serves alone, the old one turns warm. */
  | { kind: 'converged'; environment: string; service: string; infraSetId: string; previousInfraSetId: string | null }
  | { kind: 'retire_infra_set'; infraSetId: string; environment: string; service: string }
  | { kind: 'card' }
  | { kind: 'thread'; text: string }
  /** A stage's chart, posted as an image in the card's thread. */
  | { kind: 'chart'; chart: StageChart }
  | { kind: 'notify'; channel: string; text: string }
  | {
      kind: 'annotate';
      annotation: 'release_started' | 'stage_changed' | 'rolled_back' | 'release_finished';
      environment: string;
      service: string;
      version: string;
      text: string;
      alert: 'info' | 'success' | 'warning' | 'error';
    };

export type Decision =
  | { kind: 'accepted'; state: ReleaseState; events: ReleaseEventData[]; effects: ReleaseEffect[]; nextTickAt: string | null }
  | { kind: 'refused'; code: RefusalCode; message: string };

/** What the audit log records for a transition. */
export interface ReleaseEventData {
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

// ── The card ──────────────────────────────────────────────────────────────────────────────────

export type StageView =
  | { stage: string; weight: number; state: 'done' }
  | { stage: string; weight: number; state: 'pending' }
  | { stage: string; weight: number; state: 'running'; bakeSecondsLeft: number; startedAt: string; holding: boolean }
  | { stage: string; weight: number; state: 'shifting' }
  | { stage: string; weight: number; state: 'waiting'; reasons: GateFailure[] }
  | { stage: string; weight: number; state: 'failed'; reason: string }
  | { stage: string; weight: number; state: 'rolled_back' };

export interface ServiceProgressView {
  service: string;
  from: string | null;
  to: string;
  infraSetId: string;
  provisioning: 'pending' | 'running' | 'done';
  stages: StageView[];
  converged: boolean;
}

export interface EnvironmentView {
  environment: string;
  state: 'pending' | 'active' | 'done' | 'rolled_back';
  services: ServiceProgressView[];
  gates: GateResult[];
  approvals: { required: number; by: Array<{ userId: string; at: string }> };
  warnings: string[];
  /** How soon each judged stage can expect a verdict (informative, unlike warnings). */
  notes?: string[];
  /** The watch window after 100% here, in seconds, when the plan has one. */
  watchSeconds?: number;
}

/** Everything a release card needs, denormalised: the Slack renderer draws from this alone. */
export interface ReleaseView {
  id: string;
  status: ReleaseStatus;
  /** Optimistic version of the stored row: a card rendered from an older one is stale. */
  version: number;
  requester: { userId: string };
  versionSetId: number;
  targetEnvironment: string;
  path: string[];
  createdAt: string;
  updatedAt: string;
  /** Old → new per service, in the target environment's plan, with what lies between where known. */
  changes: Array<{ service: string; from: string | null; to: string; shipment?: Shipment }>;
  environments: EnvironmentView[];
  /** One line describing where the release is now ("production · checkout · canary-10 baking, 4m left"). */
  summary: string;
  paused: PauseRecord | null;
  /** The release takes services back to older versions: who confirmed it, and when. */
  downgradeConfirmed?: DowngradeConfirmation;
  /** Versions it ships that moving traffic back cannot undo (the config's `irreversible`); absent when none. */
  irreversible?: Array<{ service: string; version: string }>;
  /** Held for a human, where and since when (null unless the status is `held`). */
  held: (HoldRecord & { environment: string; service: string; stage: string; weight: number }) | null;
  health: HealthSnapshot | null;
  /** The watch window after 100%, while it runs: where, which services, and until when. */
  watch?: { environment: string; since: string; until: string; services: string[] } | null;
  /** The router's own account of the latest traffic move, shown as it said it. */
  traffic?: TrafficReadBack | null;
  /** A judged stage that has no reading of its own yet: the card says so instead of showing an older stage's. */
  awaitingReading: { environment: string; service: string; stage: string } | null;
  rollbackOrder: Array<{ environment: string; moves: RollbackMove[] }>;
  /** Operator actions that make sense in the current state (each is still checked against the presser). */
  allowedActions: OperatorAction[];
  outcome: { kind: 'succeeded' | 'rolled_back' | 'aborted'; at: string; reason: string | null } | null;
  /** Infra-sets of the release's services that are out of traffic and wait out their drain delay before they retire. */
  draining?: Array<{ environment: string; service: string; infraSetId: string; retiresAt: string }>;
}
