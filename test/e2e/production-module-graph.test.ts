import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackEmulator } from '../../src/sandbox/slack-emulator/index.js';

/**
 * The sandbox (Slack emulator, console, game days) is loaded only in sandbox mode: a production
 * start of src/main.ts, with a load hook recording every module the process loads, serves /readyz
 * without one module from src/sandbox — and the same hook in sandbox mode sees them, so it would
 * catch one.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SANDBOX_DIR = new URL('../../src/sandbox/', import.meta.url).href;
const SIGNING_SECRET = 'module-graph-signing-secret';

async function startAndRecord(dir: string, env: Record<string, string>): Promise<string[]> {
  const logPath = join(dir, `modules-${Math.random().toString(36).slice(2)}.log`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/support/module-loads/record.mjs', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DD_MODULE_LOG: logPath, DATA_DIR: join(dir, 'data'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    // The start-up line names the URL it serves on (PORT=0 picks a free port).
    const url = await new Promise<string>((resolve, reject) => {
      const look = () => {
        for (const line of output.split('\n')) {
          if (!line.includes('durable delivery is up')) continue;
          const parsed = JSON.parse(line) as { url?: string };
          if (parsed.url) return resolve(parsed.url);
        }
      };
      child.stdout.on('data', look);
      void exited.then(() => reject(new Error(`src/main.ts exited before it was up:\n${output.slice(-3000)}`)));
    });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  expect(existsSync(logPath)).toBe(true);
  return readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
}

describe('the production module graph', () => {
  let dir: string;
  let slack: SlackEmulator;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-module-graph-'));
    slack = new SlackEmulator({ signingSecret: SIGNING_SECRET });
    await slack.start();
  });
  afterAll(async () => {
    await slack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Each starts the real server through tsx on a new PGlite: ~30 s quiet, ~70 s under heavy load.
  it('a production start serves without loading anything from src/sandbox', async () => {
    const loaded = await startAndRecord(dir, {
      SLACK_BOT_TOKEN: 'xoxb-module-graph',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
    });
    expect(loaded.some((url) => url.endsWith('/src/app/start-app.ts'))).toBe(true);
    expect(loaded.some((url) => url.includes('/src/adapters/fleet/'))).toBe(true);
    expect(loaded.filter((url) => url.startsWith(SANDBOX_DIR))).toEqual([]);
  }, 360_000);

  it('a sandbox start loads the sandbox, so the recording would show one', async () => {
    // The sandbox runs only when asked for; without a Slack token and without SANDBOX=1 the server refuses to start.
    const loaded = await startAndRecord(dir, { SANDBOX: '1' });
    expect(loaded.filter((url) => url.startsWith(SANDBOX_DIR)).length).toBeGreaterThan(0);
  }, 360_000);
});
