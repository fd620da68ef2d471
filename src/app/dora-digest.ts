import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { renderDoraDigest } from '../adapters/slack/blocks/dora-report.js';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { Chat } from '../ports/chat.js';
import type { DoraReports, DoraScope } from '../ports/dora-report.js';
import type { ProcessedRequests } from '../ports/processed-requests.js';

type DigestConfig = NonNullable<NonNullable<DeliveryConfig['dora']>['digest']>;

export interface DoraDigestDeps {
  digest: DigestConfig;
  /** Every team of the config: the digest shows all services, then each team. */
  teams: readonly string[];
  dora: DoraReports;
  /** Every replica's cron fires; the first to claim the run posts it. */
  requests: Pick<ProcessedRequests, 'claim'>;
  chat: Pick<Chat, 'notify'>;
  logger: Logger;
}

/**
 * The weekly DORA digest: at each run of its cron, the figures of all services and of each team
 * are posted to the configured channel, once however many replicas run (a run is claimed by the
 * minute it was due).
 */
export class DoraDigest {
  constructor(private readonly deps: DoraDigestDeps) {}

  async run(dueAt: Date): Promise<'posted' | 'taken'> {
    const minute = new Date(Math.floor(dueAt.getTime() / 60_000) * 60_000);
    if (!(await this.deps.requests.claim(`dora_digest:${minute.toISOString()}`, 'scheduled_job', dueAt))) return 'taken';
    const scopes: DoraScope[] = [{ kind: 'all' }, ...[...this.deps.teams].sort().map((name): DoraScope => ({ kind: 'team', name }))];
    const reports = await this.deps.dora.reports(scopes, this.deps.digest.days);
    await this.deps.chat.notify(this.deps.digest.channel, renderDoraDigest(reports));
    this.deps.logger.info({ channel: this.deps.digest.channel, dueAt: minute.toISOString() }, 'DORA digest posted');
    return 'posted';
  }

  /** Runs on the digest's own cron, in its time zone. */
  schedule(now: () => Date): ScheduledTask {
    return schedule(
      this.deps.digest.cron,
      () => {
        this.run(now()).catch((error: unknown) => this.deps.logger.error({ err: error }, 'the DORA digest could not be posted'));
      },
      { timezone: this.deps.digest.timezone },
    );
  }
}
