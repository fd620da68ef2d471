import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandInfra } from '../../src/adapters/infra/command-infra.js';

let dir: string;
let script: string;

const PROVISIONER = `
import { readFileSync, writeFileSync } from 'node:fs';
const [mode, record] = process.argv.slice(2);
const request = JSON.parse(readFileSync(0, 'utf8'));
writeFileSync(record, JSON.stringify(request));
if (mode === 'ok') console.log(JSON.stringify({ detail: request.type + ' ' + request.infraSetId + ' done' }));
else if (mode === 'later') { console.error('quota exhausted, retry later'); process.exit(75); }
else { console.error('no such version ' + request.version); process.exit(1); }
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dd-command-infra-'));
  script = join(dir, 'provision.mjs');
  writeFileSync(script, PROVISIONER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const provision = { infraSetId: 'api-staging-v9', service: 'api', environment: 'staging', version: 'v9', releaseId: null, idempotencyKey: 'p-1' };

describe('CommandInfra', () => {
  it('runs the command with the request on stdin and keeps its reported detail', async () => {
    const record = join(dir, 'ok.json');
    const infra = new CommandInfra({ argv: [process.execPath, script, 'ok', record], timeoutMs: 5_000 });
    expect(await infra.provision(provision)).toEqual({ kind: 'done', detail: 'infra.provision api-staging-v9 done' });
    expect(JSON.parse(readFileSync(record, 'utf8'))).toEqual({ type: 'infra.provision', ...provision });
    expect(await infra.retire({ infraSetId: 'api-staging-v8', service: 'api', environment: 'staging', idempotencyKey: 'r-1' })).toEqual({ kind: 'done', detail: 'infra.retire api-staging-v8 done' });
  });

  it('retries on exit 75 and gives up on other statuses', async () => {
    const later = new CommandInfra({ argv: [process.execPath, script, 'later', join(dir, 'later.json')], timeoutMs: 5_000 });
    expect(await later.provision(provision)).toEqual({ kind: 'failed', retryable: true, reason: `${process.execPath} exited with 75: quota exhausted, retry later` });
    const refuse = new CommandInfra({ argv: [process.execPath, script, 'refuse', join(dir, 'refuse.json')], timeoutMs: 5_000 });
    expect(await refuse.provision(provision)).toEqual({ kind: 'failed', retryable: false, reason: `${process.execPath} exited with 1: no such version v9` });
  });
});
