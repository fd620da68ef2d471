import { describe, expect, it } from 'vitest';
import { didYouMean, parseDeploy, parseFreeze, parseQueue, parseRelease, parseRollback, parseUnfreeze, tokenize } from '../../../src/app/slack/command-text.js';

const names = { services: ['checkout', 'inventory', 'payments', 'web'], environments: ['staging', 'production'] };

describe('command text', () => {
  it('parses /deploy forms', () => {
    expect(parseDeploy('', names)).toEqual({ kind: 'modal' });
    expect(parseDeploy('help', names)).toEqual({ kind: 'help' });
    expect(parseDeploy('checkout@v1.4.2 to production', names)).toEqual({ kind: 'deploy', service: 'checkout', version: 'v1.4.2', environment: 'production' });
    expect(parseDeploy('checkout@v1.4.2', names)).toEqual({ kind: 'deploy', service: 'checkout', version: 'v1.4.2', environment: 'staging' });
    expect(parseDeploy('set 42 to production', names)).toEqual({ kind: 'deploy_set', versionSetId: 42, environment: 'production' });
  });

  it('says what was wrong, the right form and the closest name', () => {
    const misspelt = parseDeploy('chekout@v1 to production', names);
    expect(misspelt).toMatchObject({ kind: 'problem', code: 'unknown_service', suggestion: 'checkout' });
    expect(parseDeploy('checkout@v1 to prod', names)).toMatchObject({ kind: 'problem', code: 'unknown_environment', suggestion: 'production' });
    expect(parseDeploy('checkout', names)).toMatchObject({ kind: 'problem', code: 'bad_arguments', message: expect.stringContaining('checkout@<version>') });
    expect(parseDeploy('set x to production', names)).toMatchObject({ kind: 'problem', usage: expect.stringContaining('/deploy set <N> to <env>') });
    expect(parseDeploy('checkout@v1 into production', names)).toMatchObject({ kind: 'problem', code: 'bad_arguments' });
    expect(parseDeploy('zzzzzzzz@v1', names)).toMatchObject({ kind: 'problem', code: 'unknown_service', message: expect.stringContaining('Known: checkout') });
  });

  it('parses /rollback, /release, /freeze, /unfreeze and /queue', () => {
    expect(parseRollback('checkout', names)).toEqual({ kind: 'rollback', service: 'checkout', environment: 'production' });
    expect(parseRollback('checkout in staging to is-42', names)).toEqual({ kind: 'rollback', service: 'checkout', environment: 'staging', toInfraSetId: 'is-42' });
    expect(parseRollback('checkout in stagng', names)).toMatchObject({ kind: 'problem', suggestion: 'staging' });
    expect(parseRelease('', names)).toEqual({ kind: 'list' });
    expect(parseRelease('list', names)).toEqual({ kind: 'list' });
    expect(parseRelease('rel-1', names)).toEqual({ kind: 'show', releaseId: 'rel-1' });
    expect(parseFreeze('production 2h "incident 123"', names)).toEqual({ kind: 'freeze', environment: 'production', durationSeconds: 7200, reason: 'incident 123' });
    expect(parseFreeze('production incident in progress', names)).toEqual({ kind: 'freeze', environment: 'production', durationSeconds: 3600, reason: 'incident in progress' });
    expect(parseUnfreeze('production', names)).toEqual({ kind: 'unfreeze', environment: 'production' });
    expect(parseUnfreeze('', names)).toMatchObject({ kind: 'problem' });
    expect(parseQueue('')).toEqual({ kind: 'list' });
    expect(parseQueue('add acme/api#123')).toEqual({ kind: 'add', repo: 'acme/api', pullNumber: 123 });
    expect(parseQueue('remove acme/api#7')).toEqual({ kind: 'remove', repo: 'acme/api', pullNumber: 7 });
    expect(parseQueue('ad acme/api#7')).toMatchObject({ kind: 'problem', suggestion: '/queue add' });
    expect(parseQueue('add acme/api')).toMatchObject({ kind: 'problem', code: 'bad_arguments' });
  });

  it('tokenizes quotes, including the curly ones Slack clients send', () => {
    expect(tokenize('production 2h “incident 123”')).toEqual(['production', '2h', 'incident 123']);
    expect(didYouMean('producton', names.environments)).toBe('production');
    expect(didYouMean('qqqqqqqqqq', names.environments)).toBeUndefined();
  });
});
