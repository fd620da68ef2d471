import type { DeliveryConfig } from '../../src/config/delivery-schema.js';
import { mayApprove, mayDeploy, mayGovern, mayOperate } from '../../src/domain/release/authorization.js';
import type { DeployRequest, Outcome, OperatorAction, ReleaseStatus, ReleaseView } from '../../src/domain/release/types.js';
import type { Chat, MessageRef } from '../../src/ports/chat.js';
import { dispatchCommand, type CommandHandlers, type CommandResult, type EnvironmentOutcome, type FreezeView, type ReleaseActionRequest, type ReleaseCommand, type ReleaseService, type ReleaseVerb } from '../../src/services/release-service-api.js';

/**
 * A small in-memory ReleaseService for testing the Slack surface on its own: the real config's
 * authorization rules, a release that walks its target environment's stages, and a card published
 * through the Chat port after every change, as the engine's outbox would. It counts every command
 * by its verb, so a test can prove a retried request reached the service once.
 */
interface FakeRelease {
  view: ReleaseView;
  stage: number;
  card: MessageRef | null;
}

export class FakeReleaseService implements ReleaseService {
  readonly calls: Array<{ verb: ReleaseVerb; userId: string; releaseId?: string }> = [];
  readonly releases = new Map<string, FakeRelease>();
  readonly freezes: FreezeView[] = [];
  #next = 1;

  constructor(
    private readonly config: DeliveryConfig,
    private readonly chat: Chat,
    private readonly now: () => Date,
  ) {}

  readonly #notFaked = () => Promise.resolve({ kind: 'refused', code: 'invalid_input', message: 'not faked' } as const);
  readonly #handlers: CommandHandlers = {
    deploy: (command) => this.deploy(command),
    approve: (command) => this.approve(command),
    pause: (command) => this.pause(command),
    resume: (command) => this.resume(command),
    promote: (command) => this.promote(command),
    rollback: (command) => this.rollback(command),
    abort: (command) => this.abort(command),
    manual_rollback: (command) => this.manualRollback(command),
    freeze: (command) => this.freeze(command),
    unfreeze: (command) => this.unfreeze(command),
    supersede: this.#notFaked,
    freeze_all: this.#notFaked,
    unfreeze_all: this.#notFaked,
    lock: this.#notFaked,
    unlock: this.#notFaked,
  };

  act<C extends ReleaseCommand>(command: C): Promise<CommandResult<C>> {
    return dispatchCommand(this.#handlers, command);
  }


  private async deploy(request: DeployRequest): Promise<Outcome> {
    this.calls.push({ verb: 'deploy', userId: request.actor.userId });
    if (request.target.kind !== 'service') return { kind: 'refused', code: 'unknown_version_set', message: 'version sets are not faked' };
    const { service, version } = request.target;
    const allowed = mayDeploy(this.config, request.actor, request.environment, [service]);
    if (!allowed.ok) return { kind: 'refused', ...allowed.refusal };
    const environment = this.config.environments[request.environment];
    if (!environment) return { kind: 'refused', code: 'unknown_environment', message: `No environment named ${request.environment}` };
    const id = `rel-${this.#next++}`;
    const needsApproval = environment.approvals.required > 0;
    const view: ReleaseView = {
      id,
      status: needsApproval ? 'waiting' : 'running',
      version: 1,
      requester: { userId: request.actor.userId },
      versionSetId: 1,
      targetEnvironment: request.environment,
      path: [request.environment],
      createdAt: this.now().toISOString(),
      updatedAt: this.now().toISOString(),
      changes: [{ service, from: 'v0', to: version }],
      environments: [
        {
          environment: request.environment,
          state: 'active',
          services: [{ service, from: 'v0', to: version, infraSetId: `is-${id}`, provisioning: 'done', converged: false, stages: [] }],
          gates: [],
          approvals: { required: environment.approvals.required, by: [] },
          warnings: [],
        },
      ],
      summary: '',
      paused: null,
      held: null,
      awaitingReading: null,
      health: null,
      rollbackOrder: [{ environment: request.environment, moves: [{ environment: request.environment, service, toInfraSetId: 'is-old', toVersion: 'v0' }] }],
      allowedActions: [],
      outcome: null,
    };
    const release: FakeRelease = { view, stage: 0, card: null };
    this.releases.set(id, release);
    await this.#changed(release, null);
    return { kind: 'accepted', view: release.view };
  }

  async previewPlan(request: DeployRequest) {
    if (request.target.kind !== 'service' || !this.config.services[request.target.service]) return { kind: 'refused' as const, code: 'unknown_service' as const, message: 'No such service' };
    const stages = this.config.environments[request.environment]?.stages ?? [];
    return { kind: 'planned' as const, plan: {} as never, versionSetId: 1, summary: [`${request.environment}: ${stages.map((stage) => `${stage.weight}%`).join(' → ')}`] };
  }

  private async approve(request: ReleaseActionRequest): Promise<Outcome> {
    return this.#act('approve', request, (release) => {
      const check = mayApprove(this.config, request.actor, release.view.targetEnvironment, release.view.requester.userId);
      if (!check.ok) return check.refusal;
      const environment = release.view.environments[0];
      if (!environment || release.view.status !== 'waiting') return { code: 'no_approval_needed', message: 'Nothing to approve' };
      environment.approvals.by.push({ userId: request.actor.userId, at: this.now().toISOString() });
      if (environment.approvals.by.length >= environment.approvals.required) release.view.status = 'running';
      return null;
    });
  }

  private async pause(request: ReleaseActionRequest): Promise<Outcome> {
    return this.#act('pause', request, (release) => {
      if (release.view.status !== 'running') return { code: 'already_paused', message: 'Not running' };
      release.view.status = 'paused';
      release.view.paused = { by: request.actor.userId, at: this.now().toISOString() };
      return null;
    });
  }

  private async resume(request: ReleaseActionRequest): Promise<Outcome> {
    return this.#act('resume', request, (release) => {
      if (release.view.status !== 'paused') return { code: 'not_paused', message: 'Not paused' };
      release.view.status = 'running';
      release.view.paused = null;
      return null;
    });
  }

  private async promote(request: ReleaseActionRequest): Promise<Outcome> {
    return this.#act('promote', request, (release) => {
      if (release.view.status !== 'running') return { code: 'not_baking', message: 'Not baking' };
      this.#advance(release);
      return null;
    });
  }

  private async rollback(request: ReleaseActionRequest): Promise<Outcome> {
    return this.#act('rollback', request, (release) => {
      this.#finish(release, 'rolled_back');
      return null;
    });
  }

  private async abort(request: ReleaseActionRequest): Promise<Outcome> {
    return this.#act('abort', request, (release) => {
      this.#finish(release, 'aborted');
      return null;
    });
  }

  private async manualRollback(request: ReleaseCommand<'manual_rollback'>): Promise<CommandResult<ReleaseCommand<'manual_rollback'>>> {
    this.calls.push({ verb: 'manual_rollback', userId: request.actor.userId });
    const check = mayGovern(this.config, request.actor, request.environment, 'roll back');
    if (!check.ok) return { kind: 'refused' as const, ...check.refusal };
    return { kind: 'accepted' as const, value: { service: request.service, environment: request.environment, toInfraSetId: request.toInfraSetId ?? 'is-old', toVersion: 'v0' } };
  }

  private async freeze(request: ReleaseCommand<'freeze'>): Promise<EnvironmentOutcome<FreezeView>> {
    this.calls.push({ verb: 'freeze', userId: request.actor.userId });
    const check = mayGovern(this.config, request.actor, request.environment, 'freeze');
    if (!check.ok) return { kind: 'refused', ...check.refusal };
    const from = this.now();
    const freeze: FreezeView = { id: this.freezes.length + 1, environment: request.environment, reason: request.reason, from: from.toISOString(), until: new Date(from.getTime() + request.durationSeconds * 1000).toISOString(), by: request.actor.userId, source: 'adhoc' };
    this.freezes.push(freeze);
    return { kind: 'accepted', value: freeze };
  }

  private async unfreeze(request: ReleaseCommand<'unfreeze'>): Promise<EnvironmentOutcome<{ lifted: number }>> {
    this.calls.push({ verb: 'unfreeze', userId: request.actor.userId });
    const before = this.freezes.length;
    const kept = this.freezes.filter((freeze) => freeze.environment !== request.environment);
    this.freezes.splice(0, this.freezes.length, ...kept);
    return before === kept.length ? { kind: 'refused', code: 'not_frozen', message: `${request.environment} is not frozen` } : { kind: 'accepted', value: { lifted: before - kept.length } };
  }

  async lineStop() {
    return null;
  }

  async status(releaseId: string): Promise<ReleaseView | undefined> {
    return this.releases.get(releaseId)?.view;
  }

  async listActive(): Promise<ReleaseView[]> {
    return [...this.releases.values()].map((release) => release.view).filter((view) => view.outcome === null);
  }

  async listFreezes(): Promise<FreezeView[]> {
    return [...this.freezes];
  }

  async listInfraSets() {
    return [];
  }

  /** Moves every running release one stage on (the engine's tick after a bake), as a test step. */
  async tick(): Promise<void> {
    for (const release of this.releases.values()) {
      if (release.view.status !== 'running') continue;
      const line = this.#advance(release);
      await this.#changed(release, line);
    }
  }

  async #act(method: OperatorAction, request: ReleaseActionRequest, change: (release: FakeRelease) => { code: string; message: string } | null): Promise<Outcome> {
    this.calls.push({ verb: method, userId: request.actor.userId, releaseId: request.releaseId });
    const release = this.releases.get(request.releaseId);
    if (!release) return { kind: 'refused', code: 'unknown_release', message: `No release ${request.releaseId}` };
    if (release.view.outcome) return { kind: 'refused', code: 'release_finished', message: 'The release is over' };
    if (method !== 'approve') {
      const check = mayOperate(this.config, request.actor, { requesterId: release.view.requester.userId, environment: release.view.targetEnvironment, services: release.view.changes.map((c) => c.service) }, method === 'rollback' ? 'roll back' : method);
      if (!check.ok) return { kind: 'refused', ...check.refusal };
    }
    const refusal = change(release);
    if (refusal) return { kind: 'refused', code: refusal.code as never, message: refusal.message };
    await this.#changed(release, `${method} by <@${request.actor.userId}>`);
    return { kind: 'accepted', view: release.view };
  }

  #advance(release: FakeRelease): string {
    const stages = this.config.environments[release.view.targetEnvironment]?.stages ?? [];
    release.stage += 1;
    if (release.stage >= stages.length) {
      this.#finish(release, 'succeeded');
      return 'converged';
    }
    return `→ ${stages[release.stage]?.name ?? ''}`;
  }

  #finish(release: FakeRelease, outcome: 'succeeded' | 'rolled_back' | 'aborted'): void {
    release.view.status = outcome;
    release.view.outcome = { kind: outcome, at: this.now().toISOString(), reason: null };
  }

  async #changed(release: FakeRelease, threadLine: string | null): Promise<void> {
    const view = release.view;
    const stages = this.config.environments[view.targetEnvironment]?.stages ?? [];
    view.version += 1;
    view.updatedAt = this.now().toISOString();
    const service = view.environments[0]?.services[0];
    if (service) {
      service.stages = stages.map((stage, index) =>
        index < release.stage || view.status === 'succeeded'
          ? { stage: stage.name, weight: stage.weight, state: 'done' as const }
          : index === release.stage && view.status === 'running'
            ? { stage: stage.name, weight: stage.weight, state: 'running' as const, bakeSecondsLeft: stage.bake, startedAt: view.updatedAt, holding: false }
            : { stage: stage.name, weight: stage.weight, state: 'pending' as const },
      );
    }
    view.summary = `${view.targetEnvironment} · ${view.status}`;
    view.allowedActions = allowedFor(view.status);
    release.card = await this.chat.publishCard(view, release.card);
    if (threadLine) await this.chat.postThreadLine(release.card, threadLine);
  }
}

function allowedFor(status: ReleaseStatus): OperatorAction[] {
  switch (status) {
    case 'waiting':
      return ['approve', 'abort'];
    case 'running':
      return ['pause', 'promote', 'rollback', 'abort'];
    case 'paused':
      return ['resume', 'rollback', 'abort'];
    default:
      return [];
  }
}
