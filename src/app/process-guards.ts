import type { Logger } from 'pino';
import type { Telemetry } from '../ports/telemetry.js';

/**
 * The last line of defence: a rejection nothing awaited or an exception nothing caught is logged
 * and counted (durable_delivery_process_faults_total), and the process keeps serving. Every state
 * change is one transaction and every effect is retried from the outbox, so a half-run handler
 * leaves nothing behind that a restart would have repaired; ending the process would only turn one
 * bad request into an outage for everyone.
 */
export function installProcessGuards(logger: Logger, telemetry: Telemetry): () => void {
  const onRejection = (reason: unknown) => {
    telemetry.record({ kind: 'process_fault', fault: 'unhandled_rejection' });
    logger.error({ err: reason }, 'unhandled promise rejection (the process keeps serving)');
  };
  const onException = (error: Error) => {
    telemetry.record({ kind: 'process_fault', fault: 'uncaught_exception' });
    logger.error({ err: error }, 'uncaught exception (the process keeps serving)');
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
