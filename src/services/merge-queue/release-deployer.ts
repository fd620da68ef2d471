import type { Actor, Outcome } from '../../domain/release/types.js';
import type { ReleaseCommand } from '../release-service-api.js';
import type { Deployer } from './ports.js';

/**
 * The Deployer over the release engine: a version set minted by the queue is deployed like
 * `/deploy set N to <environment>`, by a configured actor (the bot's own identity, which the
 * environment's approval policy then treats like anyone else).
 */
export class ReleaseServiceDeployer implements Deployer {
  constructor(
    private readonly releases: { act(command: ReleaseCommand<'deploy'>): Promise<Outcome> },
    private readonly actor: Actor,
  ) {}

  async deployVersionSet(request: { versionSetId: number; environment: string }) {
    const outcome = await this.releases.act({
      verb: 'deploy',
      actor: this.actor,
      target: { kind: 'set', versionSetId: request.versionSetId },
      environment: request.environment,
    });
    if (outcome.kind === 'refused') return { kind: 'refused' as const, code: outcome.code, message: outcome.message };
    return { kind: 'accepted' as const, releaseId: outcome.view.id };
  }
}
