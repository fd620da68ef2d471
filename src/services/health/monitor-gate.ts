export type { MonitorGate, MonitorGateResult } from '../../ports/monitor-gate.js';
