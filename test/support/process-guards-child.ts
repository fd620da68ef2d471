// Run as a child process by test/unit/app/process-guards.test.ts: installs the guards, then lets a
// promise reject unawaited and a timer throw, and prints /metrics text once both were survived.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { PrometheusTelemetry } from '../../src/adapters/prometheus/delivery-telemetry.js';
import { installProcessGuards } from '../../src/app/process-guards.js';

const telemetry = new PrometheusTelemetry(new Registry());
installProcessGuards(pino({ level: 'silent' }), telemetry);
void Promise.reject(new Error('nobody awaited this'));
setTimeout(() => {
  throw new Error('a timer threw');
}, 10);
setTimeout(() => {
  void telemetry.registry.metrics().then((text) => {
    process.stdout.write(text);
    process.exit(0);
  });
}, 200);
