import { z } from 'zod';
import { GITHUB_COM } from '../domain/release/what-ships.js';

/**
 * The process environment, parsed once in main.ts (DESIGN.md §5 names). Every problem is reported
 * together in one message, and the values of secrets never appear in it.
 */

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const optionalUrl = optionalText.pipe(z.url({ message: 'expected an absolute URL such as http://127.0.0.1:8080/' }).optional());

export const envSchema = z
  .object({
    NODE_ENV: optionalText,
    PORT: optionalText.pipe(z.string().regex(/^\d+$/, 'expected a port number').optional()).transform((port) => (port === undefined ? 3000 : Number(port))),
    HOST: optionalText.transform((host) => host ?? '0.0.0.0'),
    LOG_LEVEL: optionalText.pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional()),
    SLACK_BOT_TOKEN: optionalText.pipe(z.string().startsWith('xoxb-', 'expected a bot token starting with xoxb-').optional()),
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_APP_TOKEN: optionalText.pipe(z.string().startsWith('xapp-', 'expected an app-level token starting with xapp-').optional()),
    SLACK_API_URL: optionalUrl,
    DATABASE_URL: optionalText.pipe(
      z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// connection string').optional(),
    ),
    DATA_DIR: optionalText.transform((dir) => dir ?? './.data'),
    GITHUB_TOKEN: optionalText,
    GITHUB_APP_ID: optionalText,
    GITHUB_APP_PRIVATE_KEY: optionalText,
    GITHUB_APP_INSTALLATION_ID: optionalText,
    GITHUB_API_URL: optionalUrl,
    GITHUB_WEBHOOK_SECRET: optionalText,
    DD_API_KEY: optionalText,
    DD_APP_KEY: optionalText,
    DD_SITE: optionalText,
    DD_API_URL: optionalUrl,
    PROMETHEUS_URL: optionalUrl,
    DELIVERY_CONFIG: optionalText,
    /** Bearer token of GET /audit (the audit export); unset, the export is off. */
    AUDIT_EXPORT_TOKEN: optionalText.pipe(z.string().min(16, 'expected a token of at least 16 characters').optional()),
    /** 1: run the local sandbox (emulated Slack, simulated fleet) instead of a Slack workspace. */
    SANDBOX: optionalText
      .pipe(z.enum(['0', '1', 'true', 'false'], { message: 'expected 1 (run the sandbox) or 0' }).optional())
      .transform((flag) => flag === '1' || flag === 'true'),
    /** Sandbox only: how many times faster than the wall sandbox time runs (default 30). */
    SANDBOX_SPEED: optionalText.pipe(z.coerce.number<string>().min(1, 'expected a speed of at least 1').max(10_000).optional()),
  })
  .superRefine((env, ctx) => {
    if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message: 'required with SLACK_BOT_TOKEN in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
      });
    }
    if ((env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN) && !env.SLACK_BOT_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'required when a Slack signing secret or app token is set' });
    }
    if ((env.DD_API_KEY === undefined) !== (env.DD_APP_KEY === undefined)) {
      ctx.addIssue({ code: 'custom', path: [env.DD_API_KEY ? 'DD_APP_KEY' : 'DD_API_KEY'], message: 'DD_API_KEY and DD_APP_KEY go together' });
    }
    const appParts = [env.GITHUB_APP_ID, env.GITHUB_APP_PRIVATE_KEY, env.GITHUB_APP_INSTALLATION_ID].filter(Boolean).length;
    if (appParts > 0 && appParts < 3) {
      ctx.addIssue({
        code: 'custom',
        path: ['GITHUB_APP_ID'],
        message: 'GitHub App authentication needs GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID together',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Thrown with every problem of the environment at once. */
export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  // Only the variable name and zod's message: the rejected value may be a secret.
  throw new EnvError(result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
}

/**
 * For entry points: the parsed environment, or undefined after writing every problem to `report`
 * (the caller then exits with status 1).
 */
export function parseEnvOrReport(source: Record<string, string | undefined>, report: (text: string) => void): Env | undefined {
  try {
    return parseEnv(source);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    report(error.message);
    return undefined;
  }
}

/** True when the app runs the local sandbox (see chooseRunMode) instead of a Slack workspace. */
export function isSandbox(env: Env): boolean {
  return env.SANDBOX;
}

/**
 * When the sandbox runs: 'when-asked' (the container, `node dist/main.js`) only with SANDBOX=1;
 * 'unless-slack' (`npm start` on a developer's machine) also when no Slack token is set.
 */
export type SandboxPolicy = 'when-asked' | 'unless-slack';

export type RunMode = { kind: 'sandbox' } | { kind: 'slack' } | { kind: 'problem'; message: string };

/**
 * Slack or the sandbox. A missing token is a start-up error, never a quiet fall-back to the
 * sandbox: a typo in a secret's name must not give a healthy container that does nothing real.
 */
export function chooseRunMode(env: Env, policy: SandboxPolicy): RunMode {
  if (env.SANDBOX) return { kind: 'sandbox' };
  if (env.SLACK_BOT_TOKEN !== undefined) return { kind: 'slack' };
  if (policy === 'unless-slack') return { kind: 'sandbox' };
  return {
    kind: 'problem',
    message:
      'Invalid environment:\n  - SLACK_BOT_TOKEN: not set; the bot needs its Slack bot token (xoxb-…) with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN.\n' +
      '    For the local sandbox (emulated Slack, simulated fleet) set SANDBOX=1 or run `durable-delivery sandbox`.',
  };
}

/**
 * GitHub's web address, for links to pull requests, commits and compare views, from the API's:
 * GitHub.com (`https://api.github.com`, or none) → `https://github.com`; a GitHub Enterprise
 * Server (`https://ghe.example.com/api/v3`) → `https://ghe.example.com`; a GHE.com subdomain
 * (`https://api.acme.ghe.com`) → `https://acme.ghe.com`.
 */
export function githubWebUrl(env: Pick<Env, 'GITHUB_API_URL'>): string {
  if (!env.GITHUB_API_URL) return GITHUB_COM;
  const api = new URL(env.GITHUB_API_URL);
  const path = api.pathname.replace(/\/+$/, '');
  // GitHub Enterprise Server serves its API under /api/v3 on the web pages' own host.
  if (/\/api\/v3$/i.test(path)) return `${api.protocol}//${api.host}${path.slice(0, -'/api/v3'.length)}`;
  // GitHub.com and GHE.com serve theirs on api.<the web host>.
  if (api.hostname.startsWith('api.')) return `${api.protocol}//${api.host.slice('api.'.length)}${path}`;
  // Anything else (a proxy, a fake): the same place.
  return `${api.protocol}//${api.host}${path}`;
}

/** The Datadog API base URL: DD_API_URL wins, else https://api.<DD_SITE>. */
export function datadogBaseUrl(env: Env): string {
  if (env.DD_API_URL) return env.DD_API_URL;
  return `https://api.${env.DD_SITE ?? 'datadoghq.com'}`;
}
