import type { DoraFigures } from '../domain/dora/dora-metrics.js';

/** What /dora and App Home show: the four DORA figures of a scope over a window, with the window before. */
export type DoraScope = { kind: 'all' } | { kind: 'service'; name: string } | { kind: 'team'; name: string };

export interface DoraReport {
  scope: DoraScope;
  /** The services the scope covers. */
  services: string[];
  production: string;
  days: number;
  current: DoraFigures;
  /** The window of the same length just before, for the trend. */
  previous: DoraFigures;
}

/** Several scopes over one read of the event log. */
export interface DoraReports {
  reports(scopes: readonly DoraScope[], days: number): Promise<DoraReport[]>;
}
