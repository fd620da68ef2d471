/** `draining`: out of traffic and due to retire at `retiredAt`, once requests in flight had time to finish. */
export type InfraSetState = 'provisioning' | 'ready' | 'serving' | 'warm' | 'draining' | 'retired';

export interface InfraSetRecord {
  id: string;
  service: string;
  environment: string;
  version: string;
  releaseId: string | null;
  state: InfraSetState;
  weight: number;
  createdAt: Date;
  /** When it last turned warm: keep-warm keeps the most recent. */
  warmedAt: Date | null;
  retiredAt: Date | null;
}

/** The infra-sets minted for each service and environment, as /rollback and the outbox worker read and move them. */
export interface InfraSetStore {
  get(id: string): Promise<InfraSetRecord | undefined>;
  /** Every set of a service in an environment, newest first. */
  of(service: string, environment: string): Promise<InfraSetRecord[]>;
  /** The warm ones, most recently warmed first. */
  warm(service: string, environment: string): Promise<InfraSetRecord[]>;
  /** Applies confirmed traffic outside a release (/rollback): sets in `weights` serve, others that served turn warm. */
  recordWeights(change: { service: string; environment: string; weights: Record<string, number>; now: Date }): Promise<void>;
  retire(ids: readonly string[], now: Date): Promise<void>;
}
