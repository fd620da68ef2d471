export { githubAuthFromEnv } from './auth-from-env.js';
export { GitHubScm } from './github-scm.js';
export { createGitHubOctokit, type GitHubAuth, type GitHubClientOptions } from './octokit.js';
