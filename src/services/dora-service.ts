import type { DeliveryConfig } from '../config/delivery-schema.js';
import { doraFigures, releaseFacts, windowsOf } from '../domain/dora/dora-metrics.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryHistory } from '../ports/delivery-history.js';

export type { DoraReport, DoraScope } from '../ports/dora-report.js';
import type { DoraReport, DoraScope } from '../ports/dora-report.js';

export const DORA_WINDOWS = [7, 30, 90] as const;

/** DORA figures from the event log (definitions in domain/dora/dora-metrics.ts). */
export class DoraService {
  constructor(
    private readonly history: DeliveryHistory,
    private readonly config: DeliveryConfig,
    private readonly clock: Clock,
  ) {}

  /** The last environment of the config is production. */
  get production(): string {
    const names = Object.keys(this.config.environments);
    return names[names.length - 1]!;
  }

  servicesOf(scope: DoraScope): string[] {
    switch (scope.kind) {
      case 'all':
        return Object.keys(this.config.services).sort();
      case 'service':
        return [scope.name];
      case 'team':
        return Object.entries(this.config.services)
          .filter(([, service]) => service.team === scope.name)
          .map(([name]) => name)
          .sort();
    }
  }

  async report(scope: DoraScope, days: number): Promise<DoraReport> {
    return (await this.reports([scope], days))[0]!;
  }

  /** Several scopes over one read of the history (App Home's teams, the /metrics scrape). */
  async reports(scopes: readonly DoraScope[], days: number): Promise<DoraReport[]> {
    const now = this.clock.now();
    const { current, previous } = windowsOf(now, days);
    const facts = (await this.history.productionHistory(this.production, previous.from)).map((history) => releaseFacts(history, this.production));
    return scopes.map((scope) => {
      const services = this.servicesOf(scope);
      const filter = scope.kind === 'all' ? undefined : services;
      return { scope, services, production: this.production, days, current: doraFigures(facts, current, filter), previous: doraFigures(facts, previous, filter) };
    });
  }
}
