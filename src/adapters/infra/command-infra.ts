import type { Infra, InfraOutcome, ProvisionRequest, RetireRequest } from '../../ports/infra.js';
import { jsonFromStdout, lastLine, RETRYABLE_EXIT_CODE, runCommand } from '../traffic/run-command.js';
import { detailOf, provisionPayload, retirePayload, type InfraPayload } from './infra-payload.js';

export interface CommandInfraOptions {
  argv: readonly string[];
  timeoutMs: number;
}

/**
 * Provisions and retires infra-sets by running a configured command (no shell) with the request as
 * JSON on stdin: exit 0 done, 75 retry later, anything else refused. stdout is kept as the detail.
 */
export class CommandInfra implements Infra {
  constructor(private readonly options: CommandInfraOptions) {}

  provision(request: ProvisionRequest): Promise<InfraOutcome> {
    return this.#run(provisionPayload(request));
  }

  retire(request: RetireRequest): Promise<InfraOutcome> {
    return this.#run(retirePayload(request));
  }

  async #run(payload: InfraPayload): Promise<InfraOutcome> {
    const command = this.options.argv[0];
    const result = await runCommand(this.options.argv, JSON.stringify(payload), this.options.timeoutMs);
    switch (result.kind) {
      case 'not-started':
        return { kind: 'failed', retryable: false, reason: `could not run ${command}: ${result.reason}` };
      case 'timed-out':
        return { kind: 'failed', retryable: true, reason: `${command} did not finish within ${this.options.timeoutMs}ms` };
      case 'exited': {
        if (result.code !== 0) {
          return { kind: 'failed', retryable: result.code === RETRYABLE_EXIT_CODE, reason: `${command} exited with ${result.code}: ${lastLine(result.stderr || result.stdout)}` };
        }
        const detail = detailOf(jsonFromStdout(result.stdout)) ?? (lastLine(result.stdout) || undefined);
        return detail === undefined ? { kind: 'done' } : { kind: 'done', detail };
      }
      default:
        return result satisfies never;
    }
  }
}
