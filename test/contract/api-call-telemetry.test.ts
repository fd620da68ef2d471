import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatadogMetrics } from '../../src/adapters/datadog/datadog-metrics.js';
import { GitHubScm } from '../../src/adapters/github/github-scm.js';
import { createGitHubOctokit } from '../../src/adapters/github/octokit.js';
import { PrometheusTelemetry } from '../../src/adapters/prometheus/delivery-telemetry.js';
import { startFakeDatadog, type FakeDatadog } from '../support/fake-datadog.js';
import { FakeGitHub } from '../support/fake-github.js';

/** GitHub and Datadog calls are counted by HTTP status in /metrics, against fakes speaking their formats. */
describe('API calls by status', () => {
  const github = new FakeGitHub();
  let datadog: FakeDatadog;

  beforeAll(async () => {
    await github.start();
    datadog = await startFakeDatadog();
  });
  afterAll(async () => {
    await github.stop();
    await datadog.close();
  });

  it('counts GitHub answers by status, a 404 included', async () => {
    const telemetry = new PrometheusTelemetry(new Registry());
    github.createRepo('acme/api');
    github.openPull('acme/api', { number: 3, title: 'Add cache', author: 'mona', labels: [] });
    const scm = new GitHubScm(createGitHubOctokit({ auth: { kind: 'token', token: 'ghp_test' }, baseUrl: github.url, throttle: false, retries: 0, telemetry }));
    expect(await scm.getPull('acme/api', 3)).not.toBeNull();
    expect(await scm.getPull('acme/api', 404)).toBeNull();
    const text = await telemetry.registry.metrics();
    expect(text).toMatch(/^durable_delivery_github_api_calls_total\{status="200"\} [1-9]\d*$/m);
    expect(text).toMatch(/^durable_delivery_github_api_calls_total\{status="404"\} 1$/m);
  });

  it('counts Datadog answers by status, and a call that got none as error', async () => {
    const telemetry = new PrometheusTelemetry(new Registry());
    const metrics = (timeoutMs = 2_000) => new DatadogMetrics({ baseUrl: datadog.url, apiKey: datadog.apiKey, appKey: datadog.appKey, timeoutMs, telemetry });
    const window = { from: new Date(Date.now() - 60_000), to: new Date() };
    datadog.series.set('sum:hits{*}', { interval: 10, value: () => 1 });
    await metrics().measure('sum:hits{*}', window);
    datadog.faults.push({ kind: 'status', status: 500 });
    await metrics().measure('sum:hits{*}', window);
    datadog.faults.push({ kind: 'hang' });
    await metrics(200).measure('sum:hits{*}', window);
    const text = await telemetry.registry.metrics();
    expect(text).toMatch(/^durable_delivery_datadog_api_calls_total\{status="200"\} 1$/m);
    expect(text).toMatch(/^durable_delivery_datadog_api_calls_total\{status="500"\} 1$/m);
    expect(text).toMatch(/^durable_delivery_datadog_api_calls_total\{status="error"\} 1$/m);
  });
});
