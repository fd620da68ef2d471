import { createSign } from 'node:crypto';

/**
 * GitHub App authentication without another dependency: a short-lived JWT signed with the app's
 * private key (RS256) buys an installation token, cached until shortly before it expires.
 */
export class GitHubAppTokens {
  private cached: { token: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly app: { appId: string; privateKey: string; installationId: string; baseUrl: string },
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - this.now() > 5 * 60_000) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** The app's own JWT: valid 9 minutes, issued a minute in the past to absorb clock drift. */
  jwt(): string {
    const seconds = Math.floor(this.now() / 1000);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: seconds - 60, exp: seconds + 540, iss: this.app.appId })}`;
    // Environment variables often carry the PEM with literal "\n".
    const key = this.app.privateKey.includes('\\n') ? this.app.privateKey.replace(/\\n/g, '\n') : this.app.privateKey;
    const signature = createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url');
    return `${unsigned}.${signature}`;
  }

  private async fetchToken(): Promise<string> {
    const response = await fetch(`${this.app.baseUrl}/app/installations/${this.app.installationId}/access_tokens`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.jwt()}`,
        accept: 'application/vnd.github+json',
        'user-agent': 'durable-delivery',
        'x-github-api-version': '2022-11-28',
      },
    });
    if (response.status !== 201) throw new Error(`GitHub App installation token: HTTP ${response.status}`);
    const body = (await response.json()) as { token: string; expires_at: string };
    this.cached = { token: body.token, expiresAt: Date.parse(body.expires_at) };
    return body.token;
  }
}
