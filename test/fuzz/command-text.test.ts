import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDeploy, parseDora, parseFreeze, parseQueue, parseRelease, parseRollback, parseUnfreeze, type KnownNames } from '../../src/app/slack/command-text.js';
import { fuzzRuns, fuzzTimeout } from './fuzz-runs.js';

/**
 * Slash-command text is whatever a user types. Every parser answers a value of its union for any
 * text — help, a parsed command, or a problem with a stable code and a message a human can act on —
 * and never throws.
 */

const names: KnownNames = { services: ['web', 'checkout', 'payments', 'inventory'], environments: ['staging', 'production'] };

const words = ['deploy', 'set', 'to', 'in', 'production', 'staging', 'checkout', 'web', 'checkout@v1.4.2', 'web@', '@v2', 'help', 'list', 'add', 'remove', 'acme/api#123', '2h', '90m', '-1h', '"incident 123"', '"', '42', '0', '-7', '1e9', 'is-abc', '  ', '\t', '\n', '💥', '<@U0BOB>', '*bold*', '`code`'];
/** Text built from the words commands use, so the fuzzer reaches past the first token. */
const commandish = fc.array(fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 12 })), { maxLength: 8 }).map((parts) => parts.join(' '));
const anyText = fc.oneof(commandish, fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 }));

function expectWellFormed(result: { kind: string } & Record<string, unknown>): void {
  expect(typeof result.kind).toBe('string');
  if (result.kind === 'problem') {
    expect(typeof result.code).toBe('string');
    expect((result.code as string).length).toBeGreaterThan(0);
    expect(typeof result.message).toBe('string');
    expect((result.message as string).trim().length).toBeGreaterThan(0);
  }
}

describe('slash-command text, fuzzed', () => {
  const runs = fuzzRuns(1_000);
  const parsers: Array<[string, (text: string) => { kind: string }]> = [
    ['/deploy', (text) => parseDeploy(text, names)],
    ['/rollback', (text) => parseRollback(text, names)],
    ['/release', (text) => parseRelease(text, names)],
    ['/freeze', (text) => parseFreeze(text, names)],
    ['/unfreeze', (text) => parseUnfreeze(text, names)],
    ['/queue', (text) => parseQueue(text)],
    ['/dora', (text) => parseDora(text, { ...names, teams: ['checkout', 'web'] })],
  ];

  it.each(parsers)('%s answers help, a command or a clear problem for any text', (_name, parse) => {
    fc.assert(
      fc.property(anyText, (text) => {
        expectWellFormed(parse(text) as { kind: string } & Record<string, unknown>);
      }),
      { numRuns: runs },
    );
  }, fuzzTimeout(1_000, 5));

  it('/deploy only ever names a known service and environment when it accepts', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = parseDeploy(text, names);
        if (result.kind === 'deploy') {
          expect(names.services).toContain(result.service);
          expect(names.environments).toContain(result.environment);
          expect(result.version.length).toBeGreaterThan(0);
        }
        if (result.kind === 'deploy_set') {
          expect(Number.isInteger(result.versionSetId)).toBe(true);
          expect(names.environments).toContain(result.environment);
        }
      }),
      { numRuns: runs },
    );
  }, fuzzTimeout(1_000, 5));

  it('/freeze only accepts a positive duration for a known environment', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = parseFreeze(text, names);
        if (result.kind === 'freeze') {
          expect(result.durationSeconds).toBeGreaterThan(0);
          expect(Number.isFinite(result.durationSeconds)).toBe(true);
          expect(names.environments).toContain(result.environment);
        }
      }),
      { numRuns: runs },
    );
  }, fuzzTimeout(1_000, 5));
});
