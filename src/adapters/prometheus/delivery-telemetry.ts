import { Counter, Histogram, type Registry } from 'prom-client';
import { assertNever } from '../../domain/assert-never.js';
import type { Telemetry, TelemetryFact } from '../../ports/telemetry.js';

/**
 * Every series the app's facts feed, in one place (README "Metrics" lists them, with the gauges
 * app/http-routes.ts reads from the store at scrape time). Counters are durable_delivery_<name>_total,
 * histograms durable_delivery_<name>.
 */
const COUNTERS = {
  releases_started: { help: 'Releases accepted and started, by target environment', labels: ['environment'] },
  releases_succeeded: { help: 'Releases that converged in every environment of their path, by target environment', labels: ['environment'] },
  releases_rolled_back: { help: 'Releases that finished rolled back (by the judge, a failed step or a person), by target environment', labels: ['environment'] },
  releases_aborted: { help: 'Releases aborted by a person (traffic put back as for a rollback), by target environment', labels: ['environment'] },
  releases_held: { help: 'Times a release was held for a human after inconclusive or erroring health readings, by environment', labels: ['environment'] },
  health_verdicts: { help: 'Health verdicts of the judge, by kind (pass, fail, inconclusive, error)', labels: ['kind'] },
  outbox_effect_attempts: { help: 'Outbox effect attempts, by effect kind (provision, set_weights, measure, card, …)', labels: ['effect'] },
  outbox_effect_failures: { help: 'Outbox effect attempts that failed (retried later, or given up on), by effect kind', labels: ['effect'] },
  outbox_effects_dead: { help: 'Outbox effects given up on after their last attempt, by effect kind', labels: ['effect'] },
  github_api_calls: { help: 'GitHub API calls, by HTTP status ("error" when no answer came)', labels: ['status'] },
  datadog_api_calls: { help: 'Datadog API calls, by HTTP status ("error" when no answer came)', labels: ['status'] },
  process_faults: { help: 'Unhandled rejections and uncaught exceptions the process logged and survived', labels: ['kind'] },
  slack_requests_refused: { help: 'Signed Slack requests refused before Bolt for their shape, by HTTP status', labels: ['status'] },
} as const;

const HISTOGRAMS = {
  stage_duration_seconds: {
    help: 'Time a stage took, from its traffic shift to its bake passing (or a promote), by environment and stage',
    labels: ['environment', 'stage'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
  },
  traffic_restore_seconds: {
    help: 'Time from the start of a rollback (the failing verdict, a failed step or the Roll back press) to traffic restored, by environment',
    labels: ['environment'],
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
  },
  slack_ack_seconds: {
    help: 'Time from a Slack request reaching the app (HTTP request or Socket Mode envelope) to its acknowledgement, by surface (command, action, view, event)',
    labels: ['surface'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
  },
} as const;

type CounterName = keyof typeof COUNTERS;
type HistogramName = keyof typeof HISTOGRAMS;

/** The Telemetry port over prom-client: each fact moves its series on `registry`. */
export class PrometheusTelemetry implements Telemetry {
  readonly #counters = new Map<CounterName, Counter>();
  readonly #histograms = new Map<HistogramName, Histogram>();

  constructor(readonly registry: Registry) {
    for (const [name, spec] of Object.entries(COUNTERS) as [CounterName, (typeof COUNTERS)[CounterName]][]) {
      this.#counters.set(name, new Counter({ name: `durable_delivery_${name}_total`, help: spec.help, labelNames: [...spec.labels], registers: [registry] }));
    }
    for (const [name, spec] of Object.entries(HISTOGRAMS) as [HistogramName, (typeof HISTOGRAMS)[HistogramName]][]) {
      this.#histograms.set(name, new Histogram({ name: `durable_delivery_${name}`, help: spec.help, labelNames: [...spec.labels], buckets: [...spec.buckets], registers: [registry] }));
    }
  }

  record(fact: TelemetryFact): void {
    switch (fact.kind) {
      case 'release_started':
        return this.#count('releases_started', { environment: fact.environment });
      case 'release_finished':
        return this.#count(fact.outcome === 'succeeded' ? 'releases_succeeded' : fact.outcome === 'aborted' ? 'releases_aborted' : 'releases_rolled_back', { environment: fact.environment });
      case 'release_held':
        return this.#count('releases_held', { environment: fact.environment });
      case 'stage_passed':
        return this.#observe('stage_duration_seconds', fact.seconds, { environment: fact.environment, stage: fact.stage });
      case 'health_verdict':
        return this.#count('health_verdicts', { kind: fact.verdict });
      case 'traffic_restored':
        return this.#observe('traffic_restore_seconds', fact.seconds, { environment: fact.environment });
      case 'slack_acked':
        return this.#observe('slack_ack_seconds', fact.seconds, { surface: fact.surface });
      case 'slack_request_refused':
        return this.#count('slack_requests_refused', { status: String(fact.status) });
      case 'effect_attempted':
        this.#count('outbox_effect_attempts', { effect: fact.effect });
        if (fact.outcome !== 'done') this.#count('outbox_effect_failures', { effect: fact.effect });
        if (fact.outcome === 'dead') this.#count('outbox_effects_dead', { effect: fact.effect });
        return;
      case 'api_called':
        return this.#count(fact.api === 'github' ? 'github_api_calls' : 'datadog_api_calls', { status: String(fact.status) });
      case 'process_fault':
        return this.#count('process_faults', { kind: fact.fault });
      default:
        return assertNever(fact, 'telemetry fact');
    }
  }

  #count(name: CounterName, labels: Record<string, string>): void {
    this.#counters.get(name)!.inc(labels);
  }

  #observe(name: HistogramName, value: number, labels: Record<string, string>): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.#histograms.get(name)!.observe(labels, value);
  }
}
