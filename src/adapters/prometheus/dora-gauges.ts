import { Gauge, type Registry } from 'prom-client';
import type { DoraFigures } from '../../domain/dora/dora-metrics.js';
import type { DoraReports, DoraScope } from '../../ports/dora-report.js';

/** The windows /metrics exports, in days (the same as /dora's). */
const WINDOWS = [7, 30, 90] as const;

const FIGURES: Array<{ name: string; help: string; value: (figures: DoraFigures) => number | null }> = [
  { name: 'durable_delivery_dora_deployments_per_day', help: 'DORA deployment frequency: releases that reached 100% in production per day, by scope and window', value: (f) => f.deploymentsPerDay },
  { name: 'durable_delivery_dora_lead_time_seconds', help: 'DORA lead time for changes: median seconds from PR merged to 100% in production, by scope and window', value: (f) => f.leadTimeSeconds },
  { name: 'durable_delivery_dora_change_failure_rate', help: 'DORA change failure rate: failed ÷ releases that entered production (0–1), by scope and window', value: (f) => f.changeFailureRate },
  { name: 'durable_delivery_dora_time_to_restore_seconds', help: 'DORA time to restore: median seconds from the first failing verdict to traffic back on the last-known-good, by scope and window', value: (f) => f.timeToRestoreSeconds },
];

/**
 * The four DORA figures as gauges, per scope (every service, every team, and all) over 7, 30 and
 * 90 days, computed from the event log when /metrics is scraped. A figure with no sample (no
 * restore yet, nothing entered production) is left out rather than exported as 0.
 */
export function registerDoraGauges(registry: Registry, source: DoraReports, scopes: readonly DoraScope[]): void {
  // One read of the history per window per scrape, shared by the four gauges that scrape collects.
  let pending: { at: number; figures: Promise<Array<{ scope: DoraScope; days: number; figures: DoraFigures }>> } | null = null;
  const figures = () => {
    const now = Date.now();
    if (!pending || now - pending.at > 1_000) {
      pending = {
        at: now,
        figures: Promise.all(WINDOWS.map(async (days) => (await source.reports(scopes, days)).map((report) => ({ scope: report.scope, days, figures: report.current })))).then((all) => all.flat()),
      };
    }
    return pending.figures;
  };
  for (const figure of FIGURES) {
    new Gauge({
      name: figure.name,
      help: figure.help,
      labelNames: ['scope', 'name', 'window'],
      registers: [registry],
      async collect() {
        this.reset();
        const rows = await figures().catch(() => []);
        for (const row of rows) {
          const value = figure.value(row.figures);
          if (value === null) continue;
          this.set({ scope: row.scope.kind, name: row.scope.kind === 'all' ? 'all' : row.scope.name, window: `${row.days}d` }, value);
        }
      },
    });
  }
}
