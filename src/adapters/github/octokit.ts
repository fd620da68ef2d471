import { createHash } from 'node:crypto';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { Telemetry } from '../../ports/telemetry.js';
import { GitHubAppTokens } from './app-auth.js';

/** Octokit with GitHub's rate-limit etiquette (throttling) and retries of transient failures. */
export const GitHubOctokit = Octokit.plugin(throttling, retry);
export type GitHubOctokitInstance = InstanceType<typeof GitHubOctokit>;

export type GitHubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string; privateKey: string; installationId: string };

export interface GitHubClientOptions {
  auth: GitHubAuth;
  /** GITHUB_API_URL; GitHub.com when absent. */
  baseUrl?: string;
  logger?: Logger;
  /** Retries of rate-limited requests before giving up. */
  rateLimitRetries?: number;
  /** Off only in tests: the write pacing (one write a second) would dominate their run time. */
  throttle?: boolean;
  /** Retries of 5xx answers (plugin-retry). */
  retries?: number;
  /** Counts calls by status for /metrics. */
  telemetry?: Telemetry;
}

/**
 * 405, 409 and 422 are answers about the state of a pull request (not mergeable, head moved,
 * validation): the queue re-reads and decides again, so these must never be retried as they are.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 405, 409, 410, 422, 451];

export function createGitHubOctokit(options: GitHubClientOptions): GitHubOctokitInstance {
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const log = options.logger?.child({ component: 'github' });
  const maxRateLimitRetries = options.rateLimitRetries ?? 2;
  const octokit = new GitHubOctokit({
    baseUrl,
    ...(options.auth.kind === 'token' ? { auth: options.auth.token } : {}),
    userAgent: 'durable-delivery',
    // Octokit's own console logging would duplicate the hook below (and bypass pino).
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => log?.warn(message),
      error: (message: string) => log?.error(message),
    },
    // Not `request.retries`: plugin-retry would then retry every error, doNotRetry notwithstanding.
    retry: { doNotRetry: DO_NOT_RETRY, retries: options.retries ?? 3 },
    throttle: {
      enabled: options.throttle ?? true,
      // GitHub paces writes per installation or token, so does the client: two installations never wait on each other.
      id: pacingId(options.auth),
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log?.warn({ method: request.method, url: request.url, retryAfter, retryCount }, 'GitHub rate limit hit');
        return retryCount < maxRateLimitRetries;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log?.warn({ method: request.method, url: request.url, retryAfter, retryCount }, 'GitHub secondary rate limit hit');
        return retryCount < maxRateLimitRetries;
      },
    },
  });

  if (options.auth.kind === 'app') {
    const tokens = new GitHubAppTokens({ ...options.auth, baseUrl });
    octokit.hook.before('request', async (request) => {
      request.headers.authorization = `token ${await tokens.token()}`;
    });
  }

  // Request logging lives here, as a hook, not in the queue's code. Never the headers: they carry the token.
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const started = performance.now();
    try {
      const response = await request(requestOptions);
      options.telemetry?.record({ kind: 'api_called', api: 'github', status: response.status });
      log?.debug({ method: requestOptions.method, url: requestOptions.url, status: response.status, ms: Math.round(performance.now() - started) }, 'github request');
      return response;
    } catch (error) {
      const status = (error as { status?: number }).status;
      options.telemetry?.record({ kind: 'api_called', api: 'github', status: typeof status === 'number' ? status : 'error' });
      log?.info({ method: requestOptions.method, url: requestOptions.url, status, ms: Math.round(performance.now() - started) }, 'github request failed');
      throw error;
    }
  });
  return octokit;
}

/** One pacing group per installation (GitHub App) or per token; never the token itself. */
export function pacingId(auth: GitHubAuth): string {
  if (auth.kind === 'app') return `app-${auth.appId}-installation-${auth.installationId}`;
  return `token-${createHash('sha256').update(auth.token).digest('hex').slice(0, 16)}`;
}
