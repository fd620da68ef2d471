import { randomBytes } from 'node:crypto';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import { lastKnownGood } from '../domain/infra-set/keep-warm.js';
import { assertNever } from '../domain/assert-never.js';
import { mayActOn, mayDeploy, mayGovern, mayRollBack } from '../domain/release/authorization.js';
import { LINE_STOP_ENVIRONMENT, lineRestartNotice, lineStopNotice } from '../domain/release/line-stop.js';
import { alreadyShips, decide, newReleaseState, startRelease, supersedableServices, type DecideContext } from '../domain/release/decide.js';
import { admitDowngrades, describeDowngrade, planDowngrades } from '../domain/release/downgrade.js';
import { planRelease } from '../domain/release/plan.js';
import { changeMarks } from '../domain/release/what-ships.js';
import { rollbackOrder } from '../domain/release/rollback-order.js';
import type { Actor, DeployRequest, DeployTarget, Outcome, ReleaseInput, ReleasePlan, ReleaseState, Refusal } from '../domain/release/types.js';
import { checkConstraints } from '../domain/version-set/constraints.js';
import type { Clock } from '../ports/clock.js';
import type { OutboxLane } from '../ports/outbox.js';
import { ReleaseVersionConflict, type AcceptedDecision, type DueCursor, type ReleaseRecord, type WorldRecords, type WorldScope } from '../ports/release-store.js';
import type { Store, Stores } from '../ports/store.js';
import type { VersionSetSnapshot } from '../ports/version-set-store.js';
import type { VersionHistory, VersionRecord } from '../domain/release/what-ships.js';
import type { CardSnapshot } from '../ports/release-cards.js';
import { dispatchCommand, type CommandHandlers, type CommandResult, type EnvironmentOutcome, type FreezeView, type InfraSetView, type LineStopView, type LockView, type ManualRollbackResult, type PlanPreview, type ReleaseCommand, type ReleaseService } from './release-service-api.js';
import { freezeList, lineStopOf } from './freeze-list.js';
import type { ReleaseObserver } from './release-telemetry.js';
import type { WorldFacts } from '../domain/release/gates.js';
import { toReleaseView } from '../domain/release/view.js';
import { releaseScope, servicesConcerned, worldFacts } from '../domain/release/world.js';
import type { Decision, ReleaseView } from '../domain/release/types.js';

export * from './release-service-api.js';

/** Thrown inside a transaction to undo its writes (a version set minted for a refused supersede). */
class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

function refused(code: Refusal['code'], message: string): { kind: 'refused' } & Refusal {
  return { kind: 'refused', code, message };
}

/** Whether an active release is what this target asks for, still unchanged by a supersede. */
function shipsTarget(state: ReleaseState, target: DeployTarget): boolean {
  const asked = state.target;
  if (!asked) return false;
  switch (target.kind) {
    case 'service':
      return asked.kind === 'service' && asked.service === target.service && asked.version === target.version && state.plan.versions[target.service] === target.version;
    case 'set':
      return asked.kind === 'set' && asked.versionSetId === target.versionSetId && state.plan.versionSetId === target.versionSetId;
  }
}

function describeTarget(target: DeployTarget): string {
  return target.kind === 'service' ? `${target.service}@${target.version}` : `version set #${target.versionSetId}`;
}

/**
 * What someone whose deploy a release is in the way of can do, with the command that rolls the
 * release forward to what they asked for, ready to copy (a supersede replaces one service at a time).
 */
function busyWayOut(busy: ReleaseRecord, services: readonly string[], asked: Readonly<Record<string, string>>): string {
  // Only where a supersede would be accepted: a service that converged (in a watch window, say) cannot be.
  const supersedable = new Set(supersedableServices(busy.state));
  const fixes = services
    .filter((service) => supersedable.has(service) && asked[service] !== undefined && asked[service] !== busy.state.plan.versions[service])
    .map((service) => `\`/release supersede ${busy.id} ${service}@${asked[service]}\``);
  if (fixes.length > 0) return `wait for it, roll it back, or supersede it with what you asked for: ${fixes.join(', then ')}`;
  // A held release does not end by itself.
  if (busy.status === 'held') return 'it waits for a human: press Resume or Roll back on its card, then deploy again';
  return 'wait for it or roll it back';
}

function newReleaseId(): string {
  return `r${randomBytes(5).toString('hex')}`;
}

/** Releases claimed per transaction in a tick: few enough that other replicas find due ones to claim too. */
const TICK_BATCH = 20;

/** A due timer: the input a tick gives each release it claims. */
const TICK: ReleaseInput = { type: 'tick' };

/**
 * How many times one input on a release is tried without a lock when another transition lands
 * between its read and its save; each conflict means someone else's input (or a tick) moved the
 * release first. A button or `/rollback` then tries once more holding the row; a supersede says so.
 */
const CONFLICT_ATTEMPTS = 3;

/** An input an operator gives to a release (the card's buttons, `/rollback` of a release, a supersede). */
type OperatorInput = Extract<ReleaseInput, { actor: Actor }>;

/** One operator input settled on its release: no such release, refused, or saved (with the view it shows). */
type Settled = { kind: 'missing' } | ({ kind: 'refused' } & Refusal) | { kind: 'accepted'; row: ReleaseRecord; view: ReleaseView };

/** What an input writes besides its transition, in the same transaction (an approval's row). */
type AlsoWrite = (tx: Stores, row: ReleaseRecord, now: Date) => Promise<void>;

/** Runs a hook once the transaction has committed (e.g. kicking the lane its effects were queued in). */
export type AfterCommit = (hook: () => void) => void;

export type ApplyResult =
  | { kind: 'missing' }
  | { kind: 'refused'; code: Extract<Decision, { kind: 'refused' }>['code']; message: string; row: ReleaseRecord }
  /** `facts`: what the decision saw, which its view shows (nothing in the unit changed them). */
  | { kind: 'accepted'; row: ReleaseRecord; rollbackStarted: boolean; facts: WorldFacts };

export interface ReleaseServiceOptions {
  store: Store;
  config: DeliveryConfig;
  clock: Clock;
  /** Runs an outbox lane now, in the background. */
  kick: (lane: OutboxLane) => void;
  /**
   * Whether every commit runs the lanes it queued into at once (production). Tests that drive the
   * engine step by step turn it off; a rollback runs its lane at once either way.
   */
  runLanesAtOnce?: boolean;
  /** Counts committed transitions for /metrics and logs each one. */
  observer: ReleaseObserver;
  /** Where the cards' links to GitHub point: GitHub.com, or a GitHub Enterprise's host (from GITHUB_API_URL). */
  githubWebUrl: string;
}

type Prepared =
  | { ok: false; refusal: Refusal }
  | { ok: true; plan: ReleasePlan; base: VersionSetSnapshot | undefined; versions: Record<string, string>; mint: { service: string; version: string } | null; world: WorldRecords };

/**
 * The release engine's use cases over the store ports: load once → authorize → decide → one unit of
 * work (state + audit row + outbox rows, saved under the version read) → the lanes it queued into
 * run after the commit.
 */
export class StoredReleaseService implements ReleaseService {
  private readonly store: Store;
  private readonly config: DeliveryConfig;
  private readonly clock: Clock;
  private readonly kick: (lane: OutboxLane) => void;
  private readonly runLanesAtOnce: boolean;
  private readonly observer: ReleaseObserver;
  private readonly githubWebUrl: string;

  constructor(options: ReleaseServiceOptions) {
    this.observer = options.observer;
    this.githubWebUrl = options.githubWebUrl;
    this.store = options.store;
    this.config = options.config;
    this.clock = options.clock;
    this.kick = options.kick;
    this.runLanesAtOnce = options.runLanesAtOnce ?? true;
  }

  // ── The one flow every input takes ───────────────────────────────────────────────────────

  /** Runs `work` in one transaction, then the hooks it registered (e.g. kicking the critical lane). */
  async transaction<T>(work: (tx: Stores, after: AfterCommit) => Promise<T>): Promise<T> {
    const hooks: Array<() => void> = [];
    const result = await this.store.transaction((tx) => work(tx, (hook) => hooks.push(hook)));
    for (const hook of hooks) hook();
    return result;
  }

  /** Tells telemetry and the log of a transition, once it is committed. */
  private observe(after: AfterCommit, before: ReleaseState | null, decision: AcceptedDecision, input: string, now: Date): void {
    after(() => this.observer.transition(before, decision, input, now));
  }

  /** Runs `lanes` as soon as the transaction commits (see `runLanesAtOnce`). */
  runAfterCommit(after: AfterCommit, lanes: readonly OutboxLane[]): void {
    if (this.runLanesAtOnce && lanes.length > 0) after(() => lanes.forEach((lane) => this.kick(lane)));
  }

  /** What every decision is given besides the state and the input. */
  private decideContext(facts: WorldFacts): DecideContext {
    return { config: this.config, facts, githubWebUrl: this.githubWebUrl };
  }

  /** What the gates of `scope` see at `now`. */
  async world(stores: Stores, scope: WorldScope, now: Date): Promise<WorldFacts> {
    return worldFacts(this.config, await stores.releases.world(scope, now), scope.environments, now);
  }

  /** The facts one release's gates look at: its path, the services it ships and their providers. */
  private scopeOf(row: ReleaseRecord): WorldScope {
    return releaseScope(this.config, row.state);
  }

  view(row: ReleaseRecord, facts: WorldFacts | null, now: Date): ReleaseView {
    return toReleaseView(row.state, { version: row.version, updatedAt: row.updatedAt.toISOString() }, this.config, facts, now);
  }

  /** The view of a row just saved, with the facts its decision saw (nothing in the unit changed them); none once it finished. */
  private savedView(row: ReleaseRecord, facts: WorldFacts, now: Date): ReleaseView {
    return this.view(row, row.state.phase.kind === 'finished' ? null : facts, now);
  }

  async viewOf(stores: Stores, row: ReleaseRecord, now: Date): Promise<ReleaseView> {
    const finished = row.state.phase.kind === 'finished';
    return this.view(row, finished ? null : await this.world(stores, this.scopeOf(row), now), now);
  }

  /** The card's view: the release with the facts it shows and its infra-sets still draining. */
  cardView(snapshot: CardSnapshot, now: Date): ReleaseView {
    const row = snapshot.release;
    const view = this.view(row, snapshot.world ? worldFacts(this.config, snapshot.world, row.state.plan.path, now) : null, now);
    if (snapshot.draining.length === 0) return view;
    return { ...view, draining: snapshot.draining.map((set) => ({ environment: set.environment, service: set.service, infraSetId: set.id, retiresAt: (set.retiredAt ?? now).toISOString() })) };
  }

  /**
   * Applies one input to one release inside `tx` with its row locked: an effect's result (its outbox
   * row is finished in the same transaction) and a line stop's pauses and resumes. Operators' inputs
   * take `settle`, which locks nothing.
   */
  async apply(tx: Stores, releaseId: string, input: ReleaseInput, now: Date, after: AfterCommit): Promise<ApplyResult> {
    const row = await tx.releases.lock(releaseId);
    if (!row) return { kind: 'missing' };
    return this.applyHeld(tx, row, input, now, after);
  }

  /** `apply` to a row the caller locked in `tx` (`tx.releases.lock`). */
  async applyHeld(tx: Stores, row: ReleaseRecord, input: ReleaseInput, now: Date, after: AfterCommit): Promise<ApplyResult> {
    return this.applyLocked(tx, row, input, now, after, await this.world(tx, this.scopeOf(row), now));
  }

  /**
   * Advances every release whose timer is due at `now`, at most `max`: claimed in batches (one
   * transaction each), the facts of a batch read once, one write per release. Answers how many it
   * looked at.
   */
  async tickDue(now: Date, max = 500, batchSize = TICK_BATCH): Promise<number> {
    const seen = new Set<string>();
    let cursor: DueCursor | null = null;
    while (seen.size < max) {
      const claimed: number = await this.transaction(async (tx, after) => {
        const rows = await tx.releases.claimDue(now, Math.min(batchSize, max - seen.size), cursor);
        const last = rows[rows.length - 1];
        if (last) cursor = { nextTickAt: last.nextTickAt ?? now, id: last.id };
        // A release this tick already moved whose timer is due again waits for the next tick.
        const fresh = rows.filter((row) => !seen.has(row.id));
        if (fresh.length === 0) return rows.length;
        const environments = [...new Set(fresh.flatMap((row) => row.state.plan.path))];
        const services = [...new Set(fresh.flatMap((row) => servicesConcerned(this.config, row.state)))];
        const world = await tx.releases.world({ environments, services }, now);
        for (const row of fresh) seen.add(row.id);
        // One write at a time, as a transaction's connection takes them (node-postgres deprecates a
        // query sent while another runs on the same client).
        for (const row of fresh) await this.applyLocked(tx, row, TICK, now, after, worldFacts(this.config, world, row.state.plan.path, now));
        return rows.length;
      });
      // A short batch was the last one due.
      if (claimed < batchSize) break;
    }
    return seen.size;
  }

  /** Applies one input to a release whose row `tx` holds locked, with the facts its gates see. */
  private async applyLocked(tx: Stores, row: ReleaseRecord, input: ReleaseInput, now: Date, after: AfterCommit, facts: WorldFacts): Promise<ApplyResult> {
    const decision = decide(row.state, input, now, this.decideContext(facts));
    if (decision.kind === 'refused') {
      await this.logRefusal(tx, row, input, decision, now);
      return { kind: 'refused', code: decision.code, message: decision.message, row };
    }
    return this.commit(tx, row, input, decision, now, after, facts);
  }

  /**
   * Saves an accepted decision on `row` under its version (a ReleaseVersionConflict if another
   * transition landed since `row` was read) and registers what runs once it commits.
   */
  private async commit(tx: Stores, row: ReleaseRecord, input: ReleaseInput, decision: AcceptedDecision, now: Date, after: AfterCommit, facts: WorldFacts): Promise<Extract<ApplyResult, { kind: 'accepted' }>> {
    const saved = await tx.releases.save(row, decision, { input: input.type, actor: 'actor' in input ? input.actor.userId : null, now });
    if (saved.changed) this.observe(after, row.state, decision, input.type, now);
    // A rollback's traffic moves run at once, whatever runLanesAtOnce says.
    if (saved.rollbackStarted) after(() => this.kick('critical'));
    this.runAfterCommit(after, saved.lanes);
    return { kind: 'accepted', row: saved.row, rollbackStarted: saved.rollbackStarted, facts };
  }

  /** A refused input on a release, in the audit log with the version it saw. */
  private async logRefusal(stores: Stores, row: ReleaseRecord, input: ReleaseInput, refusal: Refusal, now: Date): Promise<void> {
    await stores.releases.refuse({ releaseId: row.id, version: row.version, input: input.type, actor: 'actor' in input ? input.actor.userId : null, code: refusal.code, message: refusal.message, at: now });
  }

  // ── Deploy ────────────────────────────────────────────────────────────────────────────────

  /** Plans a deploy and checks it may start; `active` are the releases not finished, read once by the caller. */
  private async prepare(db: Stores, request: DeployRequest, releaseId: string, active: readonly ReleaseRecord[]): Promise<Prepared> {
    const { environment, target } = request;
    if (!this.config.environments[environment]) return { ok: false, refusal: { code: 'unknown_environment', message: `No environment named ${environment}` } };
    let versions: Record<string, string>;
    let base: VersionSetSnapshot | undefined;
    let mint: { service: string; version: string } | null = null;
    let scope: string[] | undefined;
    let versionSetId: number;
    let history: VersionHistory;
    if (target.kind === 'service') {
      if (!this.config.services[target.service]) return { ok: false, refusal: { code: 'unknown_service', message: `No service named ${target.service}` } };
      const read = await db.versionSets.withHistory({ latest: true }, [target.service]);
      base = read.set;
      history = read.history;
      versions = { ...(base?.versions ?? {}), [target.service]: target.version };
      scope = [target.service];
      if (base?.versions[target.service] !== target.version) mint = { service: target.service, version: target.version };
      versionSetId = mint ? 0 : base!.id;
    } else {
      const read = await db.versionSets.withHistory({ id: target.versionSetId });
      base = read.set;
      history = read.history;
      if (!base) return { ok: false, refusal: { code: 'unknown_version_set', message: `No version set #${target.versionSetId}` } };
      versions = base.versions;
      versionSetId = base.id;
    }
    // One read of the world serves the plan, the start and the view of the new release.
    const world = await db.releases.world({ environments: Object.keys(this.config.environments) }, this.clock.now());
    const facts = worldFacts(this.config, world, Object.keys(this.config.environments), this.clock.now());
    const planned = planRelease({ releaseId, config: this.config, versionSetId, versions, environment, serving: facts.serving, history, githubWebUrl: this.githubWebUrl, ...(scope ? { scope } : {}) });
    if (!planned.ok) return planned;
    const targetPlan = planned.plan.environments.find((env) => env.environment === environment);
    const shipped = [...new Set(planned.plan.environments.flatMap((env) => env.changes.map((change) => change.service)))];

    // What will run together in the target: the deployed versions with this release's on top.
    const running = Object.fromEntries(Object.entries(facts.serving[environment] ?? {}).map(([service, entry]) => [service, entry.version]));
    for (const change of targetPlan?.changes ?? []) running[change.service] = change.toVersion;
    const dependsOn = Object.fromEntries(Object.entries(this.config.services).map(([name, service]) => [name, service.dependsOn]));
    const violations = checkConstraints(running, dependsOn).filter(
      (violation) => violation.code !== 'missing_provider' && (shipped.includes(violation.consumer) || shipped.includes(violation.provider)),
    );
    if (violations.length > 0) return { ok: false, refusal: { code: 'constraint_violated', message: violations.map((violation) => violation.message).join('; ') } };

    const allowed = mayDeploy(this.config, request.actor, environment, shipped);
    if (!allowed.ok) return { ok: false, refusal: allowed.refusal };

    const overlap = (row: ReleaseRecord) => [
      ...new Set(
        row.state.plan.environments.flatMap((env) =>
          env.changes
            .filter((change) => planned.plan.environments.some((mine) => mine.environment === env.environment && mine.changes.some((c) => c.service === change.service)))
            .map((change) => change.service),
        ),
      ),
    ];
    const busy = active.find((row) => overlap(row).length > 0);
    if (busy) {
      const ships = Object.entries(busy.state.plan.versions)
        .filter(([service]) => busy.state.plan.environments.some((env) => env.changes.some((change) => change.service === service)))
        .map(([service, version]) => `${service}@${version}`)
        .join(', ');
      return { ok: false, refusal: { code: 'environment_busy', message: `Release ${busy.id} (${ships} → ${busy.environment}, requested by <@${busy.requester}>, ${busy.status}) is already shipping ${overlap(busy).join(', ')}; ${busyWayOut(busy, overlap(busy), planned.plan.versions)}` } };
    }
    return { ok: true, plan: planned.plan, base, versions, mint, world };
  }

  /** The active release this very request (same person, same target, same environment) already started. */
  private sameRequestInFlight(active: readonly ReleaseRecord[], request: DeployRequest): ReleaseRecord | undefined {
    return active.find(
      (row) => row.requester === request.actor.userId && row.environment === request.environment && shipsTarget(row.state, request.target),
    );
  }

  async previewPlan(request: DeployRequest): Promise<PlanPreview> {
    const active = await this.store.releases.active();
    const repeated = this.sameRequestInFlight(active, request);
    if (repeated) {
      return {
        kind: 'planned',
        plan: repeated.state.plan,
        versionSetId: repeated.state.plan.versionSetId,
        summary: [`You are already deploying ${describeTarget(request.target)} to ${request.environment}: release ${repeated.id} (${repeated.status}). Deploy answers with it; no second release starts.`],
      };
    }
    const prepared = await this.prepare(this.store, request, 'preview', active);
    if (!prepared.ok) return { kind: 'refused', ...prepared.refusal };
    const summary = prepared.plan.environments.map(
      (env) =>
        `${env.environment}: ${env.changes.map((change) => `${change.service} ${change.fromVersion ?? '∅'} → ${change.toVersion}${changeMarks(change, prepared.plan.versionSetId)}`).join(', ')} · stages ${env.stages.map((stage) => `${stage.weight}%`).join(' → ')}` +
        `${env.approvalsRequired > 0 ? ` · ${env.approvalsRequired} approval(s)` : ''} · rollback order ${env.rollbackOrder.map((entry) => entry.service).join(' → ')}` +
        [...env.warnings.map((warning) => `\n  ⚠ ${warning}`), ...(env.notes ?? []).map((note) => `\n  ${note}`)].join(''),
    );
    const downgrades = planDowngrades(prepared.plan);
    const notices = [
      ...(prepared.mint ? [`a new version set will be minted with ${prepared.mint.service}@${prepared.mint.version}`] : []),
      ...downgrades.map((downgrade) => `⚠ downgrade: ${describeDowngrade(downgrade)} — deploying needs you to confirm it`),
    ];
    return { kind: 'planned', plan: prepared.plan, versionSetId: prepared.plan.versionSetId, summary: [...notices, ...summary], downgrades };
  }

  // ── The one entry point of every mutating input ──────────────────────────────────────────

  /** Each verb's unit of work; `act` runs a command through its verb's. */
  private readonly handlers: CommandHandlers = {
    deploy: (command) => this.deploy(command),
    approve: (command) => this.operate(command.releaseId, { type: 'approve', actor: command.actor }),
    pause: (command) => this.operate(command.releaseId, { type: 'pause', actor: command.actor }),
    resume: (command) => this.operate(command.releaseId, { type: 'resume', actor: command.actor }),
    promote: (command) => this.operate(command.releaseId, { type: 'promote', actor: command.actor }),
    rollback: (command) => this.operate(command.releaseId, command.reason ? { type: 'rollback', actor: command.actor, reason: command.reason } : { type: 'rollback', actor: command.actor }),
    abort: (command) => this.operate(command.releaseId, { type: 'abort', actor: command.actor }),
    supersede: (command) => this.supersede(command),
    manual_rollback: (command) => this.manualRollback(command),
    freeze: (command) => this.freeze(command),
    unfreeze: (command) => this.unfreeze(command),
    freeze_all: (command) => this.freezeAll(command),
    unfreeze_all: (command) => this.unfreezeAll(command),
    lock: (command) => this.lock(command),
    unlock: (command) => this.unlock(command),
  };

  act<C extends ReleaseCommand>(command: C): Promise<CommandResult<C>> {
    return dispatchCommand(this.handlers, command);
  }

  // ── Deploy ────────────────────────────────────────────────────────────────────────────────

  private async deploy(request: ReleaseCommand<'deploy'>): Promise<Outcome> {
    const now = this.clock.now();
    const id = newReleaseId();
    // Who asks, before the deploy lock: a service target names the service it ships. The plan's
    // services are checked again once it is made.
    if (request.target.kind === 'service' && this.config.environments[request.environment] && this.config.services[request.target.service]) {
      const allowed = mayDeploy(this.config, request.actor, request.environment, [request.target.service]);
      if (!allowed.ok) return this.refuseDeploy(request, allowed.refusal, now);
    }
    try {
      return await this.transaction(async (tx, after) => {
        // One deploy decision at a time across replicas: the busy check and the mint are not raced.
        await tx.environments.lockDeploys();
        // The same request again (a double submit, a retyped command) answers with the release it started.
        const active = await tx.releases.active();
        const repeated = this.sameRequestInFlight(active, request);
        if (repeated) return { kind: 'accepted', view: await this.viewOf(tx, repeated, now), existing: true } as const;
        const prepared = await this.prepare(tx, request, id, active);
        if (!prepared.ok) throw new Refused(prepared.refusal);
        const plan = prepared.plan;
        if (prepared.mint) {
          const minted = await tx.versionSets.mintWithVersion({ base: prepared.base, service: prepared.mint.service, version: prepared.mint.version, source: 'deploy' });
          plan.versionSetId = minted.id;
        }
        const downgrades = admitDowngrades(plan, describeTarget(request.target), request.allowDowngrade ? { confirmedBy: request.actor.userId, at: now } : null);
        if (!downgrades.ok) throw new Refused(downgrades.refusal);
        if (downgrades.confirmation) plan.downgradeConfirmed = downgrades.confirmation;
        const state = newReleaseState({ id, requester: request.actor, plan, now, target: request.target });
        const facts = worldFacts(this.config, prepared.world, plan.path, now);
        const decision = startRelease(state, now, this.decideContext(facts));
        if (decision.kind !== 'accepted') throw new Refused(decision);
        if (downgrades.event) decision.events.unshift(downgrades.event);
        const saved = await tx.releases.insert({ environment: request.environment, requester: request.actor.userId }, decision, { input: 'deploy', actor: request.actor.userId, now });
        this.observe(after, null, decision, 'deploy', now);
        this.runAfterCommit(after, saved.lanes);
        const finished = saved.row.state.phase.kind === 'finished';
        return { kind: 'accepted', view: this.view(saved.row, finished ? null : worldFacts(this.config, prepared.world, plan.path, now), now) } as const;
      });
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      return this.refuseDeploy(request, error.refusal, now);
    }
  }

  private refuseDeploy(request: DeployRequest, refusal: Refusal, now: Date): Promise<Outcome> {
    return this.refuseOutsideRelease(this.store, 'deploy', request.actor, refusal, now, { target: request.target, environment: request.environment });
  }

  /**
   * A refused input that names no release row (a deploy not started, a /rollback outside a
   * release): the audit log still records who asked for what and why not. `data` says what was
   * asked; its `service` and `environment` are what /release history filters on.
   */
  private async refuseOutsideRelease(stores: Stores, input: string, actor: Actor, refusal: Refusal, now: Date, data: Record<string, unknown>): Promise<{ kind: 'refused' } & Refusal> {
    await stores.releases.refuse({ releaseId: null, version: 0, input, actor: actor.userId, code: refusal.code, message: refusal.message, at: now, data });
    return { kind: 'refused', ...refusal };
  }

  // ── Operator inputs on a release ─────────────────────────────────────────────────────────

  private async operate(releaseId: string, input: OperatorInput): Promise<Outcome> {
    // An approval is also a row of the approvals table, written with the transition.
    const alsoWrite =
      input.type === 'approve'
        ? async (tx: Stores, row: ReleaseRecord, now: Date) => {
            const approval = row.state.approvals[row.state.approvals.length - 1]!;
            await tx.releases.recordApproval({ releaseId, environment: approval.environment, userId: approval.userId, at: now });
          }
        : undefined;
    const settled = await this.settle(releaseId, input, { alsoWrite });
    switch (settled.kind) {
      case 'missing':
        return refused('unknown_release', `No release ${releaseId}`);
      case 'refused':
        return settled;
      case 'accepted':
        return { kind: 'accepted', view: settled.view };
      default:
        return assertNever(settled, 'settled input');
    }
  }

  /**
   * One operator input on one release, with no row lock: the row read once with the world's facts
   * (one statement); who asks checked on it (refused and logged at once, having locked nothing);
   * the decision; and its save under the version read, in one transaction with `alsoWrite`. Should
   * another transition land in between, the save is a conflict and the whole unit runs again on a
   * fresh read, a bounded number of times. A tick claims the row it moves (FOR UPDATE SKIP LOCKED)
   * and saves under the same version check, so a click and a tick never both apply to one version.
   * Should every attempt lose, the input is decided once more with the row locked: a busy release
   * (health readings and ticks landing every second) still takes its operator's Resume.
   */
  private async settle(
    releaseId: string,
    input: OperatorInput,
    options: { read?: ReleaseRecord; alsoWrite?: AlsoWrite | undefined } = {},
  ): Promise<Settled> {
    // A row the caller already read serves the first attempt; a retry reads the release again.
    let unread = options.read;
    const settled = await this.retryOnConflict(releaseId, async (): Promise<Settled> => {
      const now = this.clock.now();
      const read = unread ? { row: unread, facts: undefined } : await this.readWithFacts(releaseId, now);
      unread = undefined;
      if (!read) return { kind: 'missing' };
      return this.decideOn(this.store, read.row, input, now, (save) => this.transaction(save), options.alsoWrite, read.facts);
    });
    return settled ?? this.settleLocked(releaseId, input, options.alsoWrite);
  }

  /**
   * The last try of an operator input that lost every optimistic attempt: its release row locked
   * (FOR UPDATE) for the whole unit, so no other transition can land before its save. Who asks was
   * already allowed on an earlier read; it is checked again on the row as it now is.
   */
  private async settleLocked(releaseId: string, input: OperatorInput, alsoWrite: AlsoWrite | undefined): Promise<Settled> {
    return this.transaction(async (tx, after) => {
      const row = await tx.releases.lock(releaseId);
      if (!row) return { kind: 'missing' };
      return this.decideOn(tx, row, input, this.clock.now(), (save) => save(tx, after), alsoWrite);
    });
  }

  /**
   * Who asks checked on `row`, the facts its gates see and the decision, read through `reads`; a
   * refusal logged there, an accepted decision saved (with `alsoWrite`) in the transaction `inTransaction` runs.
   */
  private async decideOn(
    reads: Stores,
    row: ReleaseRecord,
    input: OperatorInput,
    now: Date,
    inTransaction: (save: (tx: Stores, after: AfterCommit) => Promise<Settled>) => Promise<Settled>,
    alsoWrite: AlsoWrite | undefined,
    /** The facts, when read with the row. */
    known?: WorldFacts,
  ): Promise<Settled> {
    const denied = await this.authorize(reads, row, input, now);
    if (denied) return denied;
    const facts = known ?? (await this.world(reads, this.scopeOf(row), now));
    const decision = decide(row.state, input, now, this.decideContext(facts));
    if (decision.kind === 'refused') {
      await this.logRefusal(reads, row, input, decision, now);
      return decision;
    }
    return inTransaction(async (tx, after) => {
      const committed = await this.commit(tx, row, input, decision, now, after, facts);
      await alsoWrite?.(tx, committed.row, now);
      return { kind: 'accepted', row: committed.row, view: this.savedView(committed.row, facts, now) };
    });
  }

  /**
   * Who asks, on the release row as read, before anything is decided (and, but for a last locked
   * try, before anything is locked): the check `decide` starts with (one function, `mayActOn`). A
   * refusal is logged and says nothing of the release's state.
   */
  private async authorize(stores: Stores, row: ReleaseRecord, input: OperatorInput, now: Date): Promise<({ kind: 'refused' } & Refusal) | null> {
    const allowed = mayActOn(this.config, row.state, input);
    if (allowed.ok) return null;
    await this.logRefusal(stores, row, input, allowed.refusal, now);
    return { kind: 'refused', ...allowed.refusal };
  }

  /** Runs `unit` again while its save finds the release moved on; null once every attempt did. */
  private async retryOnConflict<T>(releaseId: string, unit: () => Promise<T>): Promise<T | null> {
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      try {
        return await unit();
      } catch (error) {
        if (!(error instanceof ReleaseVersionConflict) || error.releaseId !== releaseId) throw error;
      }
    }
    return null;
  }

  /** Every attempt lost to another transition: say so (the card shows what did land) and log it. */
  private async changedWhileAsked(row: ReleaseRecord, input: OperatorInput): Promise<{ kind: 'refused' } & Refusal> {
    const refusal = refused('release_changed', `Release ${row.id} changed while you asked (another input or the engine moved it first); look at its card and try again`);
    await this.logRefusal(this.store, row, input, refusal, this.clock.now());
    return refusal;
  }

  private async supersede({ actor, releaseId, service, version }: ReleaseCommand<'supersede'>): Promise<Outcome> {
    // Who asks and a refusal's log line need no history; the decision does.
    const asked = (versionSetId: number, history: readonly VersionRecord[] = []) => ({ type: 'supersede', actor, service, version, versionSetId, history }) as const;
    let known: ReleaseRecord | undefined;
    const settled = await this.retryOnConflict(releaseId, async (): Promise<Outcome> => {
      const now = this.clock.now();
      const row = await this.store.releases.get(releaseId);
      if (!row) return refused('unknown_release', `No release ${releaseId}`);
      known = row;
      // Before the deploy lock: the input's version set is not minted yet, and who asks does not depend on it.
      const denied = await this.authorize(this.store, row, asked(row.versionSetId), now);
      if (denied) return denied;
      if (!(service in row.state.plan.versions)) {
        // Refused before any decision, and audited like every refusal of an input on a release.
        const refusal = { code: 'not_in_release', message: `${service} is not shipped by release ${releaseId}` } as const;
        await this.logRefusal(this.store, row, asked(row.versionSetId), refusal, now);
        return { kind: 'refused', ...refusal };
      }
      // The same fix again (a second submit, a retyped command) answers with the release as it is: nothing is minted or redone.
      if (alreadyShips(row.state, service, version)) return { kind: 'accepted', view: await this.viewOf(this.store, row, now), existing: true };
      try {
        return await this.transaction(async (tx, after) => {
          // Serialised with deploy decisions: the mint and the busy checks of a /deploy are not raced.
          await tx.environments.lockDeploys();
          // The fix's history is read before its mint: a version only this mint holds has no merge to list.
          const { set: base, history } = await tx.versionSets.withHistory({ id: row.state.plan.versionSetId }, [service]);
          const minted = await tx.versionSets.mintWithVersion({ base, service, version, source: 'supersede' });
          const input = asked(minted.id, history[service] ?? []);
          const facts = await this.world(tx, this.scopeOf(row), now);
          const decision = decide(row.state, input, now, this.decideContext(facts));
          // Undo the mint; the refusal is logged outside the rolled-back transaction.
          if (decision.kind === 'refused') throw new Refused(decision);
          const committed = await this.commit(tx, row, input, decision, now, after, facts);
          return { kind: 'accepted', view: this.savedView(committed.row, facts, now) } as const;
        });
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        await this.logRefusal(this.store, row, asked(row.versionSetId), error.refusal, now);
        return { kind: 'refused', ...error.refusal };
      }
    });
    return settled ?? this.changedWhileAsked(known!, asked(known!.versionSetId));
  }

  // ── Environment-level inputs ──────────────────────────────────────────────────────────────

  private async manualRollback(request: ReleaseCommand<'manual_rollback'>): Promise<EnvironmentOutcome<ManualRollbackResult>> {
    const { service, environment, actor } = request;
    // Refused before any release is read: logged as a /rollback of this service in this environment.
    const refuse = (stores: Stores, code: Refusal['code'], message: string) =>
      this.refuseOutsideRelease(stores, 'manual_rollback', actor, { code, message }, this.clock.now(), { service, environment, ...(request.toInfraSetId ? { toInfraSetId: request.toInfraSetId } : {}) });
    if (!this.config.services[service]) return refuse(this.store, 'unknown_service', `No service named ${service}`);
    if (!this.config.environments[environment]) return refuse(this.store, 'unknown_environment', `No environment named ${environment}`);
    const allowed = mayRollBack(this.config, actor, environment, service);
    if (!allowed.ok) return refuse(this.store, allowed.refusal.code, allowed.refusal.message);
    const busy = (await this.store.releases.active()).find((row) => row.state.plan.environments.some((env) => env.environment === environment && env.changes.some((change) => change.service === service)));
    if (busy && request.toInfraSetId) {
      return refuse(this.store, 'environment_busy', `Release ${busy.id} is moving ${service} in ${environment}: /rollback ${service} without \`to\` rolls the release back, or use its Roll back button`);
    }
    if (busy) {
      // Half a release restored is still half-shipped: the whole release rolls back, as its card
      // shows, as an input on that release (the row just read serves its first attempt).
      const settled = await this.settle(busy.id, { type: 'rollback', actor, reason: `/rollback ${service} in ${environment}` }, { read: busy });
      if (settled.kind === 'missing') return refused('unknown_release', `No release ${busy.id}`);
      if (settled.kind === 'refused') return refused(settled.code, settled.message);
      return { kind: 'accepted', value: { service, environment, releaseId: busy.id, moves: rollbackOrder(settled.row.state, { onlyMoved: true }).flatMap((entry) => entry.moves) } };
    }
    const now = this.clock.now();
    return this.transaction(async (tx, after) => {
      let target;
      if (request.toInfraSetId) {
        target = await tx.infraSets.get(request.toInfraSetId);
        if (!target || target.service !== service || target.environment !== environment || !['warm', 'ready'].includes(target.state)) {
          return refuse(tx, 'unknown_infra_set', `${request.toInfraSetId} is not a warm infra-set of ${service} in ${environment}`);
        }
      } else {
        target = lastKnownGood((await tx.infraSets.warm(service, environment)).map((row) => ({ ...row, warmedAt: (row.warmedAt ?? row.createdAt).toISOString() })));
        if (!target) return refuse(tx, 'no_warm_infra_set', `No warm infra-set of ${service} in ${environment} to roll back to`);
      }
      // Every infra-set that still exists is named, the others at 0: kept running, no requests.
      const weights: Record<string, number> = { [target.id]: 100 };
      for (const set of await tx.infraSets.of(service, environment)) if (set.state !== 'retired' && set.state !== 'provisioning') weights[set.id] ??= 0;
      await tx.outbox.enqueue({
        lane: 'critical',
        key: `manual:${service}:${environment}:${target.id}:${now.getTime()}`,
        releaseId: null,
        effect: { kind: 'manual_weights', environment, service, weights, requestedBy: actor.userId, releaseId: null },
        now,
      });
      await tx.environments.recordOperatorEvent({
        type: 'manual_rollback',
        actor: actor.userId,
        message: `<@${actor.userId}> rolled ${service} back to ${target.version} (${target.id}) in ${environment}`,
        at: now,
        data: { environment, service, toInfraSetId: target.id, toVersion: target.version },
      });
      after(() => this.kick('critical'));
      return { kind: 'accepted', value: { service, environment, toInfraSetId: target.id, toVersion: target.version } };
    });
  }

  private async freeze(request: ReleaseCommand<'freeze'>): Promise<EnvironmentOutcome<FreezeView>> {
    const check = this.governCheck(request.actor, request.environment, 'freeze');
    if (check) return check;
    if (!(request.durationSeconds > 0)) return refused('invalid_input', 'A freeze needs a positive duration');
    const now = this.clock.now();
    const row = await this.transaction(async (tx, after) => {
      const inserted = await tx.environments.addFreeze({
        environment: request.environment,
        reason: request.reason,
        from: now,
        until: new Date(now.getTime() + request.durationSeconds * 1000),
        createdBy: request.actor.userId,
      });
      await tx.environments.recordOperatorEvent({
        type: 'freeze',
        actor: request.actor.userId,
        message: `<@${request.actor.userId}> froze ${request.environment} until ${inserted.until?.toISOString() ?? 'lifted'}: ${request.reason}`,
        at: now,
        data: { environment: request.environment, reason: request.reason, until: inserted.until?.toISOString() ?? null },
      });
      await this.homesChanged(tx, after, `freeze:${inserted.id}`, now);
      return inserted;
    });
    return { kind: 'accepted', value: { id: row.id, environment: row.environment, reason: row.reason, from: row.from.toISOString(), until: row.until?.toISOString() ?? null, by: row.createdBy, source: 'adhoc' } };
  }

  private async unfreeze(request: ReleaseCommand<'unfreeze'>): Promise<EnvironmentOutcome<{ lifted: number }>> {
    const check = this.governCheck(request.actor, request.environment, 'unfreeze');
    if (check) return check;
    const now = this.clock.now();
    const lifted = await this.transaction(async (tx, after) => {
      const count = await tx.environments.liftFreezes(request.environment, request.actor.userId, now);
      if (count === 0) return 0;
      await this.homesChanged(tx, after, `unfreeze:${request.environment}:${now.getTime()}`, now);
      await tx.environments.recordOperatorEvent({ type: 'unfreeze', actor: request.actor.userId, message: `<@${request.actor.userId}> lifted the freeze of ${request.environment}`, at: now, data: { environment: request.environment, lifted: count } });
      await tx.environments.wakeWaiting(now);
      return count;
    });
    if (lifted === 0) return refused('not_frozen', `${request.environment} has no ad-hoc freeze to lift (scheduled freezes change in the config)`);
    return { kind: 'accepted', value: { lifted } };
  }

  // ── Stopping the line ─────────────────────────────────────────────────────────────────────

  /** Only someone who may freeze every environment may stop (or restart) them all. */
  private governAll(actor: Actor, action: string): ({ kind: 'refused' } & Refusal) | null {
    for (const environment of Object.keys(this.config.environments)) {
      const check = this.governCheck(actor, environment, action);
      if (check) return check;
    }
    return null;
  }

  /** Every deploy channel, once each: where a line stop is announced. */
  private lineChannels(): string[] {
    return [...new Set(Object.values(this.config.environments).map((environment) => environment.channel))];
  }

  private async freezeAll(request: ReleaseCommand<'freeze_all'>): Promise<EnvironmentOutcome<LineStopView>> {
    const denied = this.governAll(request.actor, 'stop the line in');
    if (denied) return denied;
    const now = this.clock.now();
    const by = request.actor.userId;
    return this.transaction(async (tx, after) => {
      // Serialised with deploy decisions: no release starts half-way through the stop.
      await tx.environments.lockDeploys();
      const [current] = await tx.environments.freezes(now, LINE_STOP_ENVIRONMENT);
      if (current) return refused('line_stopped', `The line is already stopped (since ${current.from.toISOString()}): ${current.reason}`);
      const freeze = await tx.environments.addFreeze({ environment: LINE_STOP_ENVIRONMENT, reason: `line stopped by <@${by}>: ${request.reason}`, from: now, until: null, createdBy: by });
      const paused: string[] = [];
      for (const row of await tx.releases.active()) {
        if (row.state.paused || row.state.phase.kind === 'rolling_back') continue;
        const result = await this.apply(tx, row.id, { type: 'pause', actor: request.actor, reason: request.reason, lineStop: freeze.id }, now, after);
        if (result.kind === 'accepted') paused.push(row.id);
      }
      await tx.environments.recordOperatorEvent({ type: 'freeze_all', actor: by, message: `<@${by}> stopped the line: ${request.reason}`, at: now, data: { reason: request.reason, freezeId: freeze.id, pausedReleaseIds: paused } });
      await this.wakeMergeQueues(tx, after, `line-stop:${freeze.id}`, now);
      for (const channel of this.lineChannels()) {
        await tx.outbox.enqueue({ lane: 'chat', key: `line-stop:${freeze.id}:${channel}`, releaseId: null, effect: { kind: 'notify', channel, text: lineStopNotice(by, request.reason), releaseId: null }, now });
      }
      return { kind: 'accepted', value: { freezeId: freeze.id, reason: freeze.reason, by, at: now.toISOString(), pausedReleaseIds: paused } } as const;
    });
  }

  private async unfreezeAll(request: ReleaseCommand<'unfreeze_all'>): Promise<EnvironmentOutcome<{ resumedReleaseIds: string[] }>> {
    const denied = this.governAll(request.actor, 'restart the line in');
    if (denied) return denied;
    const now = this.clock.now();
    const by = request.actor.userId;
    return this.transaction(async (tx, after) => {
      await tx.environments.lockDeploys();
      const stops = await tx.environments.freezes(now, LINE_STOP_ENVIRONMENT);
      if (stops.length === 0) return refused('line_not_stopped', 'The line is not stopped (`/unfreeze <env>` lifts the freeze of one environment)');
      await tx.environments.liftFreezes(LINE_STOP_ENVIRONMENT, by, now);
      const stopIds = stops.map((stop) => stop.id);
      const resumed: string[] = [];
      // Only what the stop paused: a release someone paused by hand stays paused.
      for (const row of await tx.releases.active()) {
        if (row.state.paused?.lineStop === undefined || !stopIds.includes(row.state.paused.lineStop)) continue;
        const result = await this.apply(tx, row.id, { type: 'resume', actor: request.actor, lineStop: row.state.paused.lineStop }, now, after);
        if (result.kind === 'accepted') resumed.push(row.id);
      }
      await tx.environments.recordOperatorEvent({ type: 'unfreeze_all', actor: by, message: `<@${by}> restarted the line`, at: now, data: { freezeIds: stopIds, resumedReleaseIds: resumed } });
      await this.wakeMergeQueues(tx, after, `line-restart:${stopIds.join('-')}`, now);
      await tx.environments.wakeWaiting(now);
      for (const channel of this.lineChannels()) {
        await tx.outbox.enqueue({ lane: 'chat', key: `line-restart:${stopIds.join('-')}:${channel}`, releaseId: null, effect: { kind: 'notify', channel, text: lineRestartNotice(by, resumed.length), releaseId: null }, now });
      }
      return { kind: 'accepted', value: { resumedReleaseIds: resumed } } as const;
    });
  }

  /**
   * The merge queues read the line stop at each tick; a stop or restart tells them at once, through
   * the outbox (so a crash after the commit still tells them). The critical lane, not chat: the wake
   * is instant, and a restart queues a card render for every release it resumed ahead of it in chat.
   */
  private async wakeMergeQueues(tx: Stores, after: AfterCommit, key: string, now: Date): Promise<void> {
    if (!this.config.mergeQueue) return;
    await tx.outbox.enqueue({ lane: 'critical', key: `merge-queues:${key}`, releaseId: null, effect: { kind: 'wake_merge_queues', releaseId: null }, now });
    this.runAfterCommit(after, ['critical']);
  }

  async lineStop(): Promise<LineStopView | null> {
    const stops = await this.store.environments.freezes(this.clock.now(), LINE_STOP_ENVIRONMENT);
    if (stops.length === 0) return null;
    return lineStopOf(stops, await this.store.releases.active());
  }

  private async lock(request: ReleaseCommand<'lock'>): Promise<EnvironmentOutcome<LockView>> {
    const check = this.governCheck(request.actor, request.environment, 'lock');
    if (check) return check;
    const at = this.clock.now();
    const taken = await this.transaction(async (tx) => {
      if (!(await tx.environments.takeLock({ environment: request.environment, holder: request.actor.userId, reason: request.reason ?? null, at }))) return false;
      await tx.environments.recordOperatorEvent({ type: 'lock', actor: request.actor.userId, message: `<@${request.actor.userId}> locked ${request.environment}${request.reason ? `: ${request.reason}` : ''}`, at, data: { environment: request.environment, reason: request.reason ?? null } });
      return true;
    });
    if (!taken) {
      const held = await this.store.environments.lockOf(request.environment);
      return refused('locked', `${request.environment} is already locked by <@${held?.holder ?? '?'}>${held?.reason ? `: ${held.reason}` : ''}`);
    }
    return { kind: 'accepted', value: { environment: request.environment, holder: request.actor.userId, reason: request.reason ?? null, at: at.toISOString() } };
  }

  private async unlock(request: ReleaseCommand<'unlock'>): Promise<EnvironmentOutcome<{ environment: string }>> {
    if (!this.config.environments[request.environment]) return refused('unknown_environment', `No environment named ${request.environment}`);
    const held = await this.store.environments.lockOf(request.environment);
    if (!held) return refused('not_locked', `${request.environment} is not locked`);
    // Whoever took the lock may always release it.
    if (held.holder !== request.actor.userId) {
      const check = this.governCheck(request.actor, request.environment, 'unlock');
      if (check) return check;
    }
    const now = this.clock.now();
    await this.transaction(async (tx) => {
      await tx.environments.releaseLock(request.environment);
      await tx.environments.recordOperatorEvent({ type: 'unlock', actor: request.actor.userId, message: `<@${request.actor.userId}> unlocked ${request.environment}`, at: now, data: { environment: request.environment } });
      await tx.environments.wakeWaiting(now);
    });
    return { kind: 'accepted', value: { environment: request.environment } };
  }

  /** What App Home shows changed (a freeze): re-publish it for recent viewers, coalesced. */
  private async homesChanged(tx: Stores, after: AfterCommit, key: string, now: Date): Promise<void> {
    await tx.outbox.enqueue({ lane: 'chat', key: `app-home:${key}`, coalesceKey: 'app-home', releaseId: null, effect: { kind: 'app_home', releaseId: null }, now });
    this.runAfterCommit(after, ['chat']);
  }

  private governCheck(actor: Actor, environment: string, action: string): ({ kind: 'refused' } & Refusal) | null {
    if (!this.config.environments[environment]) return refused('unknown_environment', `No environment named ${environment}`);
    const check = mayGovern(this.config, actor, environment, action);
    return check.ok ? null : { kind: 'refused', ...check.refusal };
  }

  // ── Queries ───────────────────────────────────────────────────────────────────────────────

  async status(releaseId: string) {
    const now = this.clock.now();
    const read = await this.readWithFacts(releaseId, now);
    return read && this.view(read.row, read.row.state.phase.kind === 'finished' ? null : read.facts, now);
  }

  /** A release read with the facts its gates see, in one read (no lock). */
  private async readWithFacts(releaseId: string, now: Date): Promise<{ row: ReleaseRecord; facts: WorldFacts } | undefined> {
    const read = await this.store.releases.getWithWorld(releaseId, now);
    return read && { row: read.row, facts: worldFacts(this.config, read.world, read.row.state.plan.path, now) };
  }

  async listActive() {
    const now = this.clock.now();
    const rows = await this.store.releases.active();
    if (rows.length === 0) return [];
    // One load of the world's facts for every card.
    const facts = await this.world(this.store, { environments: Object.keys(this.config.environments) }, now);
    return rows.map((row) => this.view(row, facts, now));
  }

  async listFreezes(): Promise<FreezeView[]> {
    const now = this.clock.now();
    return freezeList(this.config, await this.store.environments.freezes(now), now);
  }

  async listInfraSets(service: string, environment: string): Promise<InfraSetView[]> {
    const rows = await this.store.infraSets.of(service, environment);
    return rows.map((row) => ({ id: row.id, service: row.service, environment: row.environment, version: row.version, state: row.state, weight: row.weight, releaseId: row.releaseId, createdAt: row.createdAt.toISOString() }));
  }
}

