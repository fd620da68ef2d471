export interface ProvisionRequest {
  infraSetId: string;
  service: string;
  environment: string;
  version: string;
  releaseId: string | null;
  idempotencyKey: string;
}

export interface RetireRequest {
  infraSetId: string;
  service: string;
  environment: string;
  idempotencyKey: string;
}

export type InfraOutcome =
  | { kind: 'done'; detail?: string }
  | { kind: 'failed'; retryable: boolean; reason: string };

/** Mints and retires immutable infra-sets; nothing is patched in place. */
export interface Infra {
  provision(request: ProvisionRequest): Promise<InfraOutcome>;
  retire(request: RetireRequest): Promise<InfraOutcome>;
}
