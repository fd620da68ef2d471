/** Monitors that veto a canary while in alert (Datadog monitors); optional for the health probe. */
export type MonitorGateResult = { kind: 'ok'; alerting: Array<{ id: string; name: string }> } | { kind: 'error'; reason: string };

export interface MonitorGate {
  alerting(target: { service: string; environment: string }): Promise<MonitorGateResult>;
}
