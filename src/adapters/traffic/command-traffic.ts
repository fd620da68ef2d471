import type { Traffic, TrafficChange, TrafficOutcome } from '../../ports/traffic.js';
import { jsonFromStdout, lastLine, RETRYABLE_EXIT_CODE, runCommand } from './run-command.js';
import { trafficPayload, verifyReportedWeights } from './traffic-payload.js';

export interface CommandTrafficOptions {
  argv: readonly string[];
  timeoutMs: number;
}

/**
 * Moves traffic by running a configured command: the change as JSON on stdin; exit 0 applied, 75
 * retry later, anything else refused. If the command prints {"weights": {…}} the change is verified.
 */
export class CommandTraffic implements Traffic {
  constructor(private readonly options: CommandTrafficOptions) {}

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    const result = await runCommand(this.options.argv, JSON.stringify(trafficPayload(change)), this.options.timeoutMs);
    switch (result.kind) {
      case 'not-started':
        return { kind: 'failed', retryable: false, reason: `could not run ${this.options.argv[0]}: ${result.reason}` };
      case 'timed-out':
        return { kind: 'failed', retryable: true, reason: `${this.options.argv[0]} did not finish within ${this.options.timeoutMs}ms` };
      case 'exited': {
        if (result.code !== 0) {
          return { kind: 'failed', retryable: result.code === RETRYABLE_EXIT_CODE, reason: `${this.options.argv[0]} exited with ${result.code}: ${lastLine(result.stderr || result.stdout)}` };
        }
        const outcome = verifyReportedWeights(change.weights, jsonFromStdout(result.stdout));
        if (outcome.kind === 'applied' && !outcome.verified) return { ...outcome, detail: `exit 0; stdout: ${lastLine(result.stdout) || '(empty)'}` };
        return outcome;
      }
      default:
        return result satisfies never;
    }
  }
}
