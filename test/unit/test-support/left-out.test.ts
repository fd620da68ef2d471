import { describe, expect, it } from 'vitest';
import { render } from '../../support/left-out-reporter.js';
import { prerequisites } from '../../support/prerequisites.js';

describe('suites left out for a missing prerequisite', () => {
  it('names Postgres as missing without TEST_DATABASE_URL, and not with it', () => {
    const postgres = (env: NodeJS.ProcessEnv) => prerequisites(env).find((prerequisite) => prerequisite.name === 'Postgres');
    expect(postgres({})?.missing).toBe('TEST_DATABASE_URL is not set');
    expect(postgres({ TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' })?.missing).toBeNull();
  });

  it('never leaves chromium out on CI, where a missing browser must fail', () => {
    expect(prerequisites({ CI: 'true' }).find((prerequisite) => prerequisite.name === 'chromium')?.missing).toBeNull();
  });

  it('says what was left out and how to include it', () => {
    const text = render(prerequisites({}).filter((prerequisite) => prerequisite.name === 'Postgres'));
    expect(text.split('\n')).toEqual([
      ' Left out (1; CI=true fails instead):',
      '   no Postgres: TEST_DATABASE_URL is not set',
      '     left out: the Postgres half of the store, engine and CLI suites (they ran on PGlite only)',
      '     to include: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test',
    ]);
  });
});
