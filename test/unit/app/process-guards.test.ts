import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('process guards', () => {
  it('log and count an unhandled rejection and an uncaught exception, and the process goes on', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/support/process-guards-child.ts'], { cwd: ROOT });
    expect(stdout).toMatch(/^durable_delivery_process_faults_total\{kind="unhandled_rejection"\} 1$/m);
    expect(stdout).toMatch(/^durable_delivery_process_faults_total\{kind="uncaught_exception"\} 1$/m);
  });
});
