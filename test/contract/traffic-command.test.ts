import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandTraffic } from '../../src/adapters/traffic/command-traffic.js';
import type { TrafficChange } from '../../src/ports/traffic.js';

let dir: string;
let script: string;

/** A router script: records argv and stdin, then behaves as its first argument says. */
const ROUTER = `
import { readFileSync, writeFileSync } from 'node:fs';
const [mode, record, ...rest] = process.argv.slice(2);
const stdin = readFileSync(0, 'utf8');
writeFileSync(record, JSON.stringify({ argv: [mode, record, ...rest], stdin: JSON.parse(stdin) }));
const change = JSON.parse(stdin);
if (mode === 'confirm') { console.log('routing…'); console.log(JSON.stringify({ weights: change.weights })); }
else if (mode === 'quiet') { console.log('done'); }
else if (mode === 'busy') { console.error('router locked by another deploy'); process.exit(75); }
else if (mode === 'refuse') { console.error('unknown service ' + change.service); process.exit(2); }
else if (mode === 'hang') { setInterval(() => {}, 1000); }
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dd-command-traffic-'));
  script = join(dir, 'router.mjs');
  writeFileSync(script, ROUTER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const change: TrafficChange = { target: { service: 'checkout', environment: 'production' }, weights: { 'checkout-v1': 99, 'checkout-v2': 1 }, releaseId: 'r-7', idempotencyKey: 'r-7:canary-1' };

function traffic(mode: string, extra: string[] = [], timeoutMs = 5_000) {
  const record = join(dir, `${mode}-${Math.random().toString(36).slice(2)}.json`);
  return { traffic: new CommandTraffic({ argv: [process.execPath, script, mode, record, ...extra], timeoutMs }), record };
}

describe('CommandTraffic', () => {
  it('passes argv untouched (no shell) and the change as JSON on stdin; reported weights verify it', async () => {
    const marker = join(dir, 'pwned');
    const { traffic: router, record } = traffic('confirm', [`$(touch ${marker})`, '; rm -rf /', '*']);
    expect(await router.setWeights(change)).toEqual({ kind: 'applied', verified: true, detail: 'the receiver confirmed checkout-v1 99%, checkout-v2 1%' });
    const seen = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; stdin: unknown };
    expect(seen.argv.slice(2)).toEqual([`$(touch ${marker})`, '; rm -rf /', '*']);
    expect(existsSync(marker)).toBe(false);
    expect(seen.stdin).toEqual({ type: 'traffic.set_weights', service: 'checkout', environment: 'production', weights: change.weights, releaseId: 'r-7', idempotencyKey: 'r-7:canary-1' });
  });

  it('records stdout and says it is unverified when the command reports no weights', async () => {
    expect(await traffic('quiet').traffic.setWeights(change)).toEqual({ kind: 'applied', verified: false, detail: 'exit 0; stdout: done' });
  });

  it('retries on exit 75, not on other failures, and says why from stderr', async () => {
    expect(await traffic('busy').traffic.setWeights(change)).toEqual({ kind: 'failed', retryable: true, reason: `${process.execPath} exited with 75: router locked by another deploy` });
    expect(await traffic('refuse').traffic.setWeights(change)).toEqual({ kind: 'failed', retryable: false, reason: `${process.execPath} exited with 2: unknown service checkout` });
  });

  it('kills a command that outlives its timeout, and refuses a missing executable', async () => {
    expect(await traffic('hang', [], 300).traffic.setWeights(change)).toEqual({ kind: 'failed', retryable: true, reason: `${process.execPath} did not finish within 300ms` });
    const missing = new CommandTraffic({ argv: [join(dir, 'no-such-router')], timeoutMs: 1_000 });
    expect(await missing.setWeights(change)).toMatchObject({ kind: 'failed', retryable: false, reason: expect.stringContaining('ENOENT') });
  });
});
