import { existsSync } from 'node:fs';

/**
 * What some suites need from the machine beyond `npm ci`: a Postgres server, Debian's nginx, Debian's
 * chromium. Without one, plain `npm test` leaves those suites out and says so at its end (the
 * left-out reporter); with CI=true a missing one fails the run instead (.ci/run installs them).
 */
export interface Prerequisite {
  name: string;
  /** Why it is missing, or null when present. */
  missing: string | null;
  /** What is left out without it. */
  leavesOut: string;
  /** How to bring it. */
  fix: string;
}

export const NGINX_PATH: string | undefined = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'].find((path) => existsSync(path));
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Suites that need chromium: left out by vitest.config.ts when it is missing outside CI. */
export const BROWSER_SUITES = 'test/browser/**';

export function prerequisites(env: NodeJS.ProcessEnv = process.env): Prerequisite[] {
  return [
    {
      name: 'Postgres',
      missing: env.TEST_DATABASE_URL ? null : 'TEST_DATABASE_URL is not set',
      leavesOut: 'the Postgres half of the store, engine and CLI suites (they ran on PGlite only)',
      fix: 'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test',
    },
    {
      name: 'nginx',
      missing: NGINX_PATH === undefined ? 'no nginx in /usr/sbin, /usr/bin or /usr/local/sbin' : null,
      leavesOut: 'test/contract/traffic-nginx.test.ts "NginxTraffic with a real nginx" (only the generated configuration was checked)',
      fix: 'apt-get install nginx-light',
    },
    {
      name: 'chromium',
      missing: existsSync(CHROMIUM_PATH) || env.CI === 'true' ? null : `no ${CHROMIUM_PATH}`,
      leavesOut: `${BROWSER_SUITES} (the sandbox console in a browser)`,
      fix: 'apt-get install chromium',
    },
  ];
}

export function isMissing(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return prerequisites(env).some((prerequisite) => prerequisite.name === name && prerequisite.missing !== null);
}
