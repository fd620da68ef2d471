import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusTelemetry } from '../../../src/adapters/prometheus/delivery-telemetry.js';
import type { TelemetryFact } from '../../../src/ports/telemetry.js';

describe('PrometheusTelemetry', () => {
  it('moves one series per fact, with its labels', async () => {
    const telemetry = new PrometheusTelemetry(new Registry());
    const facts: TelemetryFact[] = [
      { kind: 'release_started', environment: 'production' },
      { kind: 'release_finished', environment: 'production', outcome: 'succeeded' },
      { kind: 'release_finished', environment: 'production', outcome: 'rolled_back' },
      { kind: 'release_finished', environment: 'staging', outcome: 'aborted' },
      { kind: 'release_held', environment: 'production' },
      { kind: 'stage_passed', environment: 'production', stage: 'canary', seconds: 42 },
      { kind: 'health_verdict', verdict: 'inconclusive' },
      { kind: 'traffic_restored', environment: 'production', seconds: 3 },
      { kind: 'slack_acked', surface: 'action', seconds: 0.02 },
      { kind: 'slack_request_refused', status: 400 },
      { kind: 'effect_attempted', effect: 'set_weights', outcome: 'done' },
      { kind: 'effect_attempted', effect: 'set_weights', outcome: 'retry' },
      { kind: 'effect_attempted', effect: 'measure', outcome: 'dead' },
      { kind: 'api_called', api: 'github', status: 422 },
      { kind: 'api_called', api: 'datadog', status: 'error' },
      { kind: 'process_fault', fault: 'uncaught_exception' },
    ];
    for (const fact of facts) telemetry.record(fact);
    const lines = (await telemetry.registry.metrics()).split('\n');
    const expected = [
      'durable_delivery_releases_started_total{environment="production"} 1',
      'durable_delivery_releases_succeeded_total{environment="production"} 1',
      'durable_delivery_releases_rolled_back_total{environment="production"} 1',
      'durable_delivery_releases_aborted_total{environment="staging"} 1',
      'durable_delivery_releases_held_total{environment="production"} 1',
      'durable_delivery_stage_duration_seconds_sum{environment="production",stage="canary"} 42',
      'durable_delivery_health_verdicts_total{kind="inconclusive"} 1',
      'durable_delivery_traffic_restore_seconds_count{environment="production"} 1',
      'durable_delivery_slack_ack_seconds_count{surface="action"} 1',
      'durable_delivery_slack_requests_refused_total{status="400"} 1',
      'durable_delivery_outbox_effect_attempts_total{effect="set_weights"} 2',
      'durable_delivery_outbox_effect_failures_total{effect="set_weights"} 1',
      'durable_delivery_outbox_effect_failures_total{effect="measure"} 1',
      'durable_delivery_outbox_effects_dead_total{effect="measure"} 1',
      'durable_delivery_github_api_calls_total{status="422"} 1',
      'durable_delivery_datadog_api_calls_total{status="error"} 1',
      'durable_delivery_process_faults_total{kind="uncaught_exception"} 1',
    ];
    for (const line of expected) expect(lines).toContain(line);
    expect(lines.some((line) => line.startsWith('durable_delivery_outbox_effects_dead_total{effect="set_weights"}'))).toBe(false);
  });

  it('drops a duration that is negative or not a number (a clock stepped back)', async () => {
    const telemetry = new PrometheusTelemetry(new Registry());
    telemetry.record({ kind: 'stage_passed', environment: 'production', stage: 'canary', seconds: -5 });
    telemetry.record({ kind: 'traffic_restored', environment: 'production', seconds: Number.NaN });
    const text = await telemetry.registry.metrics();
    expect(text).not.toMatch(/stage_duration_seconds_count\{/);
    expect(text).not.toMatch(/traffic_restore_seconds_count\{/);
  });
});
