import { z } from 'zod';
import type { MonitorGate, MonitorGateResult } from '../../ports/monitor-gate.js';
import { DatadogHttp, type DatadogHttpOptions } from './datadog-http.js';

const monitorList = z.array(
  z.object({
    id: z.number(),
    name: z.string().default(''),
    overall_state: z.string().optional(),
  }),
);

/**
 * Datadog monitors as a gate: any monitor tagged `service:<service>` and `env:<environment>` that is
 * in Alert fails the canary, whatever the metrics say (GET /api/v1/monitor?monitor_tags=…).
 */
export class DatadogMonitors implements MonitorGate {
  readonly #http: DatadogHttp;

  constructor(options: DatadogHttpOptions & { appKey: string }) {
    this.#http = new DatadogHttp(options);
  }

  async alerting(target: { service: string; environment: string }): Promise<MonitorGateResult> {
    const response = await this.#http.request('GET', 'api/v1/monitor', {
      query: { monitor_tags: `service:${target.service},env:${target.environment}` },
      limitName: 'monitor',
    });
    if (response.kind === 'error') return { kind: 'error', reason: response.reason };
    const parsed = monitorList.safeParse(response.body);
    if (!parsed.success) return { kind: 'error', reason: 'Datadog answered the monitor list in an unexpected shape' };
    return {
      kind: 'ok',
      alerting: parsed.data.filter((monitor) => monitor.overall_state === 'Alert').map((monitor) => ({ id: String(monitor.id), name: monitor.name })),
    };
  }
}
