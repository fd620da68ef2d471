import { describe, expect, it } from 'vitest';
import { githubWebUrl } from '../../../src/config/env.js';

/** The web address the cards link to, worked out from the API address GitHub is reached at. */
describe('githubWebUrl', () => {
  it.each([
    ['none (GitHub.com)', undefined, 'https://github.com'],
    ['GitHub.com', 'https://api.github.com', 'https://github.com'],
    ['GitHub.com, with a trailing slash', 'https://api.github.com/', 'https://github.com'],
    ['a GitHub Enterprise Server', 'https://ghe.example.com/api/v3', 'https://ghe.example.com'],
    ['a GitHub Enterprise Server, with a trailing slash and a port', 'https://ghe.example.com:8443/api/v3/', 'https://ghe.example.com:8443'],
    ['a GitHub Enterprise Server under a path', 'https://tools.example.com/github/api/v3', 'https://tools.example.com/github'],
    ['GHE.com (data residency)', 'https://api.acme.ghe.com', 'https://acme.ghe.com'],
    ['a proxy in front of the API', 'http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ])('%s', (_, api, web) => {
    expect(githubWebUrl({ GITHUB_API_URL: api })).toBe(web);
  });
});
