import type { DeliveryConfig } from '../config/delivery-schema.js';
import { doraFigures, factsByService, releaseFacts, windowsOf, type DoraReleaseHistory } from '../domain/dora/dora-metrics.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryHistory } from '../ports/delivery-history.js';

export type { DoraReport, DoraScope } from '../ports/dora-report.js';
import type { DoraReport, DoraScope } from '../ports/dora-report.js';

export const DORA_WINDOWS = [7, 30, 90] as const;

/** The last environment of the config is production. */
export function productionOf(config: DeliveryConfig): string {
  const names = Object.keys(config.environments);
  return names[names.length - 1]!;
}

export function servicesOf(config: DeliveryConfig, scope: DoraScope): string[] {
  switch (scope.kind) {
    case 'all':
      return Object.keys(config.services).sort();
    case 'service':
      return [scope.name];
    case 'team':
      return Object.entries(config.services)
        .filter(([, service]) => service.team === scope.name)
        .map(([name]) => name)
        .sort();
  }
}

/** How far back the history of a `days` window reaches: the window and the one before it, for the trend. */
export function historySince(now: Date, days: number): Date {
  return windowsOf(now, days).previous.from;
}

/** Several scopes' figures over one history of production (read since `historySince(now, days)`). */
export function doraReports(config: DeliveryConfig, history: readonly DoraReleaseHistory[], scopes: readonly DoraScope[], days: number, now: Date): DoraReport[] {
  const production = productionOf(config);
  const { current, previous } = windowsOf(now, days);
  const facts = history.map((release) => releaseFacts(release, production));
  const indexed = factsByService(facts);
  return scopes.map((scope) => {
    const services = servicesOf(config, scope);
    const [scoped, filter] = scope.kind === 'all' ? [facts, undefined] : [indexed.touching(services), services];
    return { scope, services, production, days, current: doraFigures(scoped, current, filter), previous: doraFigures(scoped, previous, filter) };
  });
}

/** DORA figures from the event log (definitions in domain/dora/dora-metrics.ts). */
export class DoraService {
  constructor(
    private readonly history: DeliveryHistory,
    private readonly config: DeliveryConfig,
    private readonly clock: Clock,
  ) {}

  async report(scope: DoraScope, days: number): Promise<DoraReport> {
    return (await this.reports([scope], days))[0]!;
  }

  /** Several scopes over one read of the history (the /metrics scrape, the digest). */
  async reports(scopes: readonly DoraScope[], days: number): Promise<DoraReport[]> {
    const now = this.clock.now();
    return doraReports(this.config, await this.history.productionHistory(productionOf(this.config), historySince(now, days)), scopes, days, now);
  }
}
