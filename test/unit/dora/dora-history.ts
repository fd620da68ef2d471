import type { DoraReleaseHistory } from '../../../src/domain/dora/dora-metrics.js';

/**
 * A known week of production history (and one release the week before), replayed by the DORA
 * tests. Every figure they check follows from these times by hand:
 * - A: checkout merged 09:00, 100% at 11:00 on the 24th → deployed, lead time 2h;
 * - B: checkout (typed, no merge) and web (merged 08:00) converge 09:30 and 10:00 on the 25th → deployed, lead time 2h (web);
 * - C: payments fails its canary at 12:05 on the 26th, rolled back 12:07 → a failure, restored in 2m;
 * - D: inventory merged 23:00 on the 26th, superseded by a fix at 01:10, 100% at 02:00 on the 27th → a failure (rolled forward) and a deployment, lead time 3h;
 * - E: checkout merged 10:00 on the 20th, 100% at 10:30 → the week before: deployed, lead time 30m;
 * - F: staging only → not production, never counted.
 */
const at = (text: string) => new Date(`2026-11-${text}Z`);
const stage = (environment: string, time: string) => ({ type: 'stage_started', at: at(time), data: { environment, stage: 'canary', weight: 1 } });
const converged = (service: string, time: string) => ({ type: 'service_converged', at: at(time), data: { environment: 'production', service } });
const reading = (verdict: string, time: string) => ({ type: 'health_reading', at: at(time), data: { verdict, checks: [] } });
const finished = (outcome: string, time: string) => ({ type: 'finished', at: at(time), data: { outcome } });

export const KNOWN_HISTORY: DoraReleaseHistory[] = [
  {
    releaseId: 'A',
    services: ['checkout'],
    mergedAt: { checkout: at('24T09:00:00') },
    events: [stage('production', '24T10:00:00'), reading('pass', '24T10:05:00'), converged('checkout', '24T11:00:00'), finished('succeeded', '24T11:00:00')],
  },
  {
    releaseId: 'B',
    services: ['checkout', 'web'],
    mergedAt: { checkout: null, web: at('25T08:00:00') },
    events: [stage('production', '25T09:00:00'), converged('checkout', '25T09:30:00'), stage('production', '25T09:31:00'), converged('web', '25T10:00:00'), finished('succeeded', '25T10:00:00')],
  },
  {
    releaseId: 'C',
    services: ['payments'],
    mergedAt: { payments: at('26T11:00:00') },
    events: [
      stage('production', '26T12:00:00'),
      reading('pass', '26T12:04:00'),
      reading('fail', '26T12:05:00'),
      reading('fail', '26T12:06:00'),
      { type: 'rollback_started', at: at('26T12:06:00'), data: { environment: 'production' } },
      { type: 'service_rolled_back', at: at('26T12:07:00'), data: { environment: 'production', service: 'payments' } },
      finished('rolled_back', '26T12:07:00'),
    ],
  },
  {
    releaseId: 'D',
    services: ['inventory'],
    mergedAt: { inventory: at('26T23:00:00') },
    events: [stage('production', '27T01:00:00'), { type: 'superseded', at: at('27T01:10:00'), data: { service: 'inventory', version: 'v3' } }, converged('inventory', '27T02:00:00'), finished('succeeded', '27T02:00:00')],
  },
  {
    releaseId: 'E',
    services: ['checkout'],
    mergedAt: { checkout: at('20T10:00:00') },
    events: [stage('production', '20T10:10:00'), converged('checkout', '20T10:30:00'), finished('succeeded', '20T10:30:00')],
  },
  {
    releaseId: 'F',
    services: [],
    mergedAt: {},
    events: [stage('staging', '28T10:00:00'), finished('succeeded', '28T10:30:00')],
  },
];

/** The end of the known week. */
export const KNOWN_NOW = new Date('2026-11-30T00:00:00Z');
