import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * How the process decides between Slack and the sandbox, as an operator starts it: the server
 * entry point without SLACK_BOT_TOKEN refuses to start and names the variable (a container with a
 * misspelt secret must not come up green on a simulated fleet); `npm start` on a developer's
 * machine and `durable-delivery sandbox` run the sandbox.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function baseEnv(): Record<string, string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dd-start-'));
  dataDirs.push(dataDir);
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
}

/** The pid of a process that has ended (the start's builds are named by the pid that made them). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** The builds `npm start` keeps while it runs, one per process. */
function startBuilds(): string[] {
  return readdirSync(ROOT).filter((entry) => entry.startsWith('.start-'));
}

/** A path that is a file, so nothing can be created under it. */
function notADirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dd-start-'));
  dataDirs.push(dir);
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  return file;
}

/**
 * Runs the server entry point to its end. A start that hangs instead of exiting is killed after a
 * minute (`killed`): generous for a loaded machine, where a refused start takes a few seconds.
 */
function runMain(env: Record<string, string>): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, timeout: 60_000 }).then(
    () => ({ code: 0, killed: false, stderr: '' }),
    (error: { code?: number; killed?: boolean; stderr?: string }) => ({ code: error.code ?? null, killed: error.killed ?? false, stderr: error.stderr ?? '' }),
  );
}

/**
 * Starts `command`, waits for the sandbox's "open <url>" line, checks /readyz there, runs `whileUp`,
 * and stops it; `ended` settles once the process has exited.
 */
async function sandboxComesUp(
  command: string,
  args: string[],
  env: Record<string, string>,
  whileUp: () => void = () => {},
): Promise<{ url: string; readyz: number; ended: Promise<void> }> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let output = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /sandbox: open (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (found) resolve(found[1]!);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`exited with ${code} before the sandbox was up:\n${output.slice(-2000)}`)));
    });
    const readyz = (await fetch(`${url}/readyz`)).status;
    whileUp();
    return { url, readyz, ended };
  } finally {
    // npm start runs node under npm: the whole process group goes.
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  }
}

describe('start-up modes', { timeout: 180_000 }, () => {
  it('the server without SLACK_BOT_TOKEN (and without SANDBOX=1) refuses to start, naming the variable', async () => {
    const failed = await runMain(baseEnv());
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('SLACK_BOT_TOKEN: not set');
    expect(failed.stderr).toContain('SANDBOX=1');
  });

  it.each([
    ['a data directory it cannot create', { DATA_DIR: join(notADirectory(), 'data') }, /could not start: ENOTDIR/],
    ['Slack unreachable', { SLACK_API_URL: 'http://127.0.0.1:9/api/' }, /could not start: .*ECONNREFUSED/],
  ])('a production start that fails (%s) exits 1 with the reason, rather than living on behind the process guards', async (_, env, reason) => {
    const failed = await runMain({ ...baseEnv(), SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'secret', ...env });
    expect(failed.killed, failed.stderr).toBe(false);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(reason);
  });

  it('`npm start` with no tokens runs the local sandbox, from a build of its own that it removes, with any a killed start left', async () => {
    const leftBehind = `.start-${await deadPid()}`;
    mkdirSync(join(ROOT, leftBehind));
    const before = startBuilds();
    let itsOwn: string[] = [];
    const { readyz, ended } = await sandboxComesUp('npm', ['start', '--silent'], baseEnv(), () => {
      itsOwn = startBuilds().filter((build) => !before.includes(build));
    });
    expect(readyz).toBe(200);
    expect(itsOwn).toHaveLength(1);
    await ended;
    const after = startBuilds();
    expect(after).not.toContain(leftBehind);
    expect(after).not.toContain(itsOwn[0]);
  });

  it('`durable-delivery sandbox` runs the sandbox, asked for by name', async () => {
    const { readyz } = await sandboxComesUp(process.execPath, ['bin/durable-delivery.js', 'sandbox'], baseEnv());
    expect(readyz).toBe(200);
  });
});
