import type { Annotations, DeployAnnotation } from '../../ports/annotations.js';
import { DatadogHttp, type DatadogHttpOptions } from './datadog-http.js';

/**
 * Deploy markers on Datadog dashboards, as events (POST /api/v1/events): release start, each stage
 * change, rollback and finish, tagged with service, env and version so they overlay the service's
 * graphs. A failure throws, so the outbox retries the effect later.
 */
export class DatadogAnnotations implements Annotations {
  readonly #http: DatadogHttp;

  constructor(options: DatadogHttpOptions) {
    this.#http = new DatadogHttp(options);
  }

  async record(annotation: DeployAnnotation): Promise<void> {
    const response = await this.#http.request('POST', 'api/v1/events', {
      body: {
        title: annotation.title.slice(0, 500),
        // Datadog caps event text at 4000 characters.
        text: annotation.text.slice(0, 4000),
        alert_type: annotation.alert,
        source_type_name: 'durable-delivery',
        aggregation_key: `release:${annotation.releaseId}`.slice(0, 100),
        tags: [
          `service:${annotation.service}`,
          `env:${annotation.environment}`,
          `version:${annotation.version}`,
          `release_id:${annotation.releaseId}`,
          `deploy_event:${annotation.kind}`,
        ],
      },
      limitName: 'events',
    });
    if (response.kind === 'error') throw new Error(`Datadog event not recorded: ${response.reason}`);
  }
}
