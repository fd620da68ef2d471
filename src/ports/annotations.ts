/** A deploy event worth marking on dashboards (Datadog events): start, stage change, rollback, finish. */
export interface DeployAnnotation {
  title: string;
  text: string;
  kind: 'release_started' | 'stage_changed' | 'rolled_back' | 'release_finished';
  service: string;
  environment: string;
  version: string;
  releaseId: string;
  alert: 'info' | 'success' | 'warning' | 'error';
}

export interface Annotations {
  record(annotation: DeployAnnotation): Promise<void>;
}
