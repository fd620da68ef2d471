import type { Downgrade } from '../domain/release/downgrade.js';
import type { Actor, DeployRequest, Outcome, ReleasePlan, ReleaseView, Refusal, RollbackMove } from '../domain/release/types.js';

/**
 * The engine's use cases, as Slack listeners and the CLI call them: one `act(command)` for every
 * mutating input, whose answer is accepted (with the release's new view, or what changed) or refused
 * with a stable code and a message; and the queries.
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

/**
 * Every mutating input, by verb: what it carries and what it answers. One table, so the commands,
 * their answers and the dispatch cannot drift apart.
 */
interface Verbs {
  /** `/deploy`: plan a release and start it (or say why not). */
  deploy: { carries: DeployRequest; answers: Outcome };
  approve: { carries: ReleaseActionRequest; answers: Outcome };
  pause: { carries: ReleaseActionRequest; answers: Outcome };
  resume: { carries: ReleaseActionRequest; answers: Outcome };
  /** Skips the rest of the current bake. */
  promote: { carries: ReleaseActionRequest; answers: Outcome };
  rollback: { carries: ReleaseActionRequest & { reason?: string }; answers: Outcome };
  abort: { carries: ReleaseActionRequest; answers: Outcome };
  /** Replaces the in-flight version of a service by a fix and rolls forward from the current stage. */
  supersede: { carries: ReleaseActionRequest & { service: string; version: string }; answers: Outcome };
  /**
   * `/rollback`: traffic to the last-known-good warm infra-set, or the one named. A service an active
   * release is moving rolls that whole release back instead, as its card shows.
   */
  manual_rollback: { carries: { actor: Actor; service: string; environment: string; toInfraSetId?: string }; answers: EnvironmentOutcome<ManualRollbackResult> };
  freeze: { carries: { actor: Actor; environment: string; durationSeconds: number; reason: string }; answers: EnvironmentOutcome<FreezeView> };
  unfreeze: { carries: { actor: Actor; environment: string }; answers: EnvironmentOutcome<{ lifted: number }> };
  /** `/freeze all`: freezes every environment, pauses every release and holds every merge queue, at once. */
  freeze_all: { carries: { actor: Actor; reason: string }; answers: EnvironmentOutcome<LineStopView> };
  /** `/unfreeze all`: lifts the line stop and resumes the releases it paused. */
  unfreeze_all: { carries: { actor: Actor }; answers: EnvironmentOutcome<{ resumedReleaseIds: string[] }> };
  lock: { carries: { actor: Actor; environment: string; reason?: string }; answers: EnvironmentOutcome<LockView> };
  unlock: { carries: { actor: Actor; environment: string }; answers: EnvironmentOutcome<{ environment: string }> };
}

export type ReleaseVerb = keyof Verbs;

/** A mutating input: its verb and what that verb carries (`ReleaseCommand<'approve'>` is one verb's). */
export type ReleaseCommand<V extends ReleaseVerb = ReleaseVerb> = { [K in V]: { verb: K } & Verbs[K]['carries'] }[V];

/** What a command answers, by its verb. */
export type CommandResult<C extends ReleaseCommand> = Verbs[C['verb']]['answers'];

/** One handler per verb, each answering its verb's result: a verb left out is a type error. */
export type CommandHandlers = { [V in ReleaseVerb]: (command: ReleaseCommand<V>) => Promise<Verbs[V]['answers']> };

/** Runs `command` through the handler of its verb. */
export function dispatchCommand<C extends ReleaseCommand>(handlers: CommandHandlers, command: C): Promise<CommandResult<C>> {
  // Sound: `handlers[command.verb]` is the handler of this very verb (CommandHandlers pairs them), which
  // TypeScript cannot follow through the correlated union.
  const handler = handlers[command.verb] as (command: C) => Promise<CommandResult<C>>;
  return handler(command);
}

export interface ReleaseService {
  /** Every mutating input: one command in, the answer its verb gives out. */
  act<C extends ReleaseCommand>(command: C): Promise<CommandResult<C>>;
  /** The plan a deploy would make, without starting anything (the /deploy modal and the CLI `plan`). */
  previewPlan(request: DeployRequest): Promise<PlanPreview>;
  /** The line stop in force, if any. */
  lineStop(): Promise<LineStopView | null>;
  status(releaseId: string): Promise<ReleaseView | undefined>;
  listActive(): Promise<ReleaseView[]>;
  /** Ad-hoc freezes in force and scheduled ones not yet over. */
  listFreezes(): Promise<FreezeView[]>;
  listInfraSets(service: string, environment: string): Promise<InfraSetView[]>;
}
