import { describe, expect, it } from 'vitest';
import { didYouMean, parseDeploy, parseFreeze, parseQueue, parseRelease, parseRollback, parseUnfreeze, releaseSubcommandLike, tokenize } from '../../../src/app/slack/command-text.js';

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

  it('parses /release supersede, with or without `with`, and says what is wrong with the rest', () => {
    const fix = { kind: 'supersede', releaseId: 'r-12', service: 'checkout', version: 'v1.4.1' };
    expect(parseRelease('supersede r-12 checkout@v1.4.1', names)).toEqual(fix);
    expect(parseRelease('supersede r-12 with checkout@v1.4.1', names)).toEqual(fix);
    expect(parseRelease('SUPERSEDE r-12 WITH checkout@v1.4.1', names)).toEqual(fix);
    expect(parseRelease('supersede r-12 chekout@v1.4.1', names)).toMatchObject({ kind: 'problem', code: 'unknown_service', suggestion: 'checkout' });
    expect(parseRelease('supersede r-12 checkout', names)).toMatchObject({ kind: 'problem', code: 'bad_arguments', message: expect.stringContaining('`checkout@<version>`') });
    expect(parseRelease('supersede r-12', names)).toMatchObject({ kind: 'problem', code: 'bad_arguments', message: expect.stringContaining('/release supersede r-12 checkout@v1.4.2') });
    expect(parseRelease('supersede', names)).toMatchObject({ kind: 'problem', code: 'bad_arguments', usage: expect.stringContaining('supersede <id> <service>@<version>') });
    expect(parseRelease('supersede r-12 checkout@v2 payments@v3', names)).toMatchObject({ kind: 'problem', code: 'bad_arguments', message: expect.stringContaining('one `<service>@<version>` at a time') });
    // A misspelt subcommand is named, like /queue's.
    expect(parseRelease('supercede r-12 checkout@v2', names)).toMatchObject({ kind: 'problem', code: 'unknown_subcommand', suggestion: '/release supersede' });
    expect(parseRelease('histroy checkout', names)).toMatchObject({ kind: 'problem', code: 'unknown_subcommand', suggestion: '/release history' });
    expect(parseRelease('list all', names)).toMatchObject({ kind: 'problem', code: 'bad_arguments' });
    expect(releaseSubcommandLike('supercede')).toBe('/release supersede');
    expect(releaseSubcommandLike('r3f9a0c1d2e')).toBeUndefined();
  });

  it('tokenizes quotes, including the curly ones Slack clients send', () => {
    expect(tokenize('production 2h “incident 123”')).toEqual(['production', '2h', 'incident 123']);
    expect(didYouMean('producton', names.environments)).toBe('production');
    expect(didYouMean('qqqqqqqqqq', names.environments)).toBeUndefined();
  });
});
