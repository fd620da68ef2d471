import { createHash, createVerify, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRestShape } from './fake-github-rest-shapes.js';

/**
 * A local GitHub REST server for the merge queue's tests, speaking the shapes of api.github.com
 * (pulls, reviews, check-runs, combined status, compare, update-branch 202/422, merge 200/405/409
 * with the `sha` guard, labels, comments, git refs, POST /merges, check-run rerequest, users). Every
 * call is checked against the REST operation's shape (fake-github-rest-shapes.ts); a violation is
 * answered as GitHub would and recorded. Repositories hold a small commit graph; each commit carries
 * the set of "patches" (pull requests) in its tree, so a commit is red exactly when it contains a
 * pull request marked bad, and the base branch's history can be audited. CI runs once per push to a
 * branch it builds (every branch but `durable-delivery/tmp/**`, as the queue's docs ask), and the
 * runs are counted.
 */

export interface FakeCommit {
  sha: string;
  parents: string[];
  patches: Set<number>;
}

export interface FakePull {
  number: number;
  title: string;
  author: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
  draft: boolean;
  headRef: string;
  baseRef: string;
  labels: string[];
  reviews: { user: string; state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' }[];
  files: string[];
  /** Conflicts with the base branch itself. */
  conflictsWithBase: boolean;
  /** Conflicts with these pull requests once they are in the tree. */
  conflictsWith: number[];
  /** Its changes break CI wherever they are. */
  bad: boolean;
  /** The next this many CI runs on a commit containing it fail although it is good (a flaky test). */
  flaky: number;
}

/** One CI run started by a push (or a rerequest): what the fake counts. */
export interface FakeCiRun {
  repo: string;
  branch: string | null;
  sha: string;
  cause: 'push' | 'rerequest';
}

export interface FakeCheckRun {
  id: number;
  name: string;
  headSha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | null;
  startedAt: string;
  completedAt: string | null;
}

export interface FakeRepo {
  owner: string;
  name: string;
  defaultBranch: string;
  branches: Map<string, string>;
  commits: Map<string, FakeCommit>;
  pulls: Map<number, FakePull>;
  checkRuns: FakeCheckRun[];
  statuses: { sha: string; context: string; state: 'pending' | 'success' | 'failure' | 'error' }[];
  comments: { issue: number; body: string; user: string }[];
  /** Every write to a label, by pull request. */
  labelWrites: { issue: number; action: 'add' | 'remove'; label: string }[];
  /** Every sha the default branch has pointed at, in order. */
  baseHistory: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  body: unknown;
  headers: Record<string, string>;
  times: number;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

let clock: () => Date = () => new Date();
const now = () => clock().toISOString();
const sha1 = () => createHash('sha1').update(randomBytes(16)).digest('hex');

export class FakeGitHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly requests: RecordedRequest[] = [];
  /** Calls that matched no REST operation or broke its shape. */
  readonly violations: { method: string; path: string; problems: string[] }[] = [];
  /** Every CI run, in the order started. */
  readonly ciRuns: FakeCiRun[] = [];
  /** GitHub accounts: public e-mail per login (GET /users/{username}). */
  readonly users = new Map<string, { email: string | null }>();
  /** Names of the checks CI reports on every push it builds. */
  checkNames = ['ci/test'];
  /** Which pushed branches CI builds: all but the queue's temporary build refs, as its docs ask. */
  ciBuilds: (branch: string) => boolean = (branch) => !branch.startsWith('durable-delivery/tmp/');
  /** GitHub App: public key to verify JWTs with, and the installation token handed out. */
  app: { publicKey: string; appId: string; installationToken: string } | null = null;
  private faults: Fault[] = [];
  private nextRunId = 1;
  private nextPull = 1;
  private server: Server | null = null;
  url = '';

  /** Runs the fake on a virtual clock (benchmarks): check runs start and finish at its time. */
  useClock(virtual: () => Date): void {
    clock = virtual;
  }

  /** Completes the running checks that started at least `ms` ago on the fake's clock (CI of that length). */
  finishChecksOlderThan(ms: number): number {
    const cutoff = clock().getTime() - ms;
    let finished = 0;
    for (const repo of this.repos.values()) {
      for (const run of repo.checkRuns) {
        if (run.status === 'completed' || Date.parse(run.startedAt) > cutoff) continue;
        run.status = 'completed';
        run.conclusion = this.isRed(repo, run.headSha) || this.flakes(repo, run.headSha) ? 'failure' : 'success';
        run.completedAt = now();
        finished++;
      }
    }
    return finished;
  }

  /** When the oldest running check started, if any runs. */
  oldestRunningCheck(): Date | null {
    let oldest: number | null = null;
    for (const repo of this.repos.values()) for (const run of repo.checkRuns) if (run.status !== 'completed') oldest = Math.min(oldest ?? Infinity, Date.parse(run.startedAt));
    return oldest === null ? null : new Date(oldest);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset(): void {
    this.repos.clear();
    this.requests.length = 0;
    this.violations.length = 0;
    this.ciRuns.length = 0;
    this.users.clear();
    this.faults = [];
    this.nextPull = 1;
    this.checkNames = ['ci/test'];
    this.ciBuilds = (branch) => !branch.startsWith('durable-delivery/tmp/');
  }

  // ------------------------------------------------------------------ scenario building

  createRepo(fullName: string, defaultBranch = 'main'): FakeRepo {
    const [owner, name] = fullName.split('/') as [string, string];
    const root: FakeCommit = { sha: sha1(), parents: [], patches: new Set() };
    const repo: FakeRepo = {
      owner,
      name,
      defaultBranch,
      branches: new Map([[defaultBranch, root.sha]]),
      commits: new Map([[root.sha, root]]),
      pulls: new Map(),
      checkRuns: [],
      statuses: [],
      comments: [],
      labelWrites: [],
      baseHistory: [root.sha],
    };
    this.repos.set(fullName.toLowerCase(), repo);
    return repo;
  }

  repo(fullName: string): FakeRepo {
    const repo = this.repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`no fake repo ${fullName}`);
    return repo;
  }

  /** Opens a pull request whose branch starts at the current base tip, with green CI on its head unless `bad`. */
  openPull(
    fullName: string,
    options: Partial<Pick<FakePull, 'title' | 'author' | 'draft' | 'labels' | 'files' | 'conflictsWithBase' | 'conflictsWith' | 'bad' | 'flaky' | 'baseRef'>> & {
      approvals?: number;
      number?: number;
    } = {},
  ): FakePull {
    const repo = this.repo(fullName);
    const number = options.number ?? this.nextPull++;
    this.nextPull = Math.max(this.nextPull, number + 1);
    const baseRef = options.baseRef ?? repo.defaultBranch;
    const base = repo.commits.get(repo.branches.get(baseRef)!)!;
    const head = this.addCommit(repo, [base.sha], new Set([...base.patches, number]));
    const headRef = `feature-${number}`;
    this.setBranch(repo, headRef, head.sha);
    const pull: FakePull = {
      number,
      title: options.title ?? `Change ${number}`,
      author: options.author ?? 'octocat',
      state: 'open',
      merged: false,
      mergeCommitSha: null,
      draft: options.draft ?? false,
      headRef,
      baseRef,
      labels: options.labels ?? [],
      reviews: Array.from({ length: options.approvals ?? 1 }, (_, index) => ({ user: `reviewer-${index + 1}`, state: 'APPROVED' as const })),
      files: options.files ?? [`src/change-${number}.ts`],
      conflictsWithBase: options.conflictsWithBase ?? false,
      conflictsWith: options.conflictsWith ?? [],
      bad: options.bad ?? false,
      flaky: options.flaky ?? 0,
    };
    repo.pulls.set(number, pull);
    return pull;
  }

  headSha(fullName: string, pullNumber: number): string {
    const repo = this.repo(fullName);
    return repo.branches.get(repo.pulls.get(pullNumber)!.headRef)!;
  }

  baseSha(fullName: string): string {
    const repo = this.repo(fullName);
    return repo.branches.get(repo.defaultBranch)!;
  }

  /** Someone pushes a new commit to the pull request's branch (a `synchronize`). */
  push(fullName: string, pullNumber: number): string {
    const repo = this.repo(fullName);
    const pull = repo.pulls.get(pullNumber)!;
    const head = repo.commits.get(repo.branches.get(pull.headRef)!)!;
    const next = this.addCommit(repo, [head.sha], new Set(head.patches));
    this.setBranch(repo, pull.headRef, next.sha);
    return next.sha;
  }

  /** Something lands on the base outside the queue (a direct push): queued heads fall behind. */
  pushToBase(fullName: string): string {
    const repo = this.repo(fullName);
    const tip = repo.commits.get(repo.branches.get(repo.defaultBranch)!)!;
    const next = this.addCommit(repo, [tip.sha], new Set(tip.patches));
    this.moveBase(repo, next.sha);
    return next.sha;
  }

  /** Completes every running check: failure where the commit's tree holds a bad pull request. */
  finishChecks(): number {
    let finished = 0;
    for (const repo of this.repos.values()) {
      for (const run of repo.checkRuns) {
        if (run.status === 'completed') continue;
        run.status = 'completed';
        run.conclusion = this.isRed(repo, run.headSha) || this.flakes(repo, run.headSha) ? 'failure' : 'success';
        run.completedAt = now();
        finished++;
      }
    }
    return finished;
  }

  /** A flaky pull request in the commit's tree fails this run (and spends one of its flakes). */
  private flakes(repo: FakeRepo, sha: string): boolean {
    const flaky = [...(repo.commits.get(sha)?.patches ?? [])].map((patch) => repo.pulls.get(patch)).find((pull) => pull && pull.flaky > 0);
    if (!flaky) return false;
    flaky.flaky--;
    return true;
  }

  /** CI runs started on branches matching `prefix` (e.g. the queue's batch branches). */
  ciRunsOn(prefix: string): FakeCiRun[] {
    return this.ciRuns.filter((run) => run.branch?.startsWith(prefix) === true);
  }

  isRed(repo: FakeRepo, sha: string): boolean {
    const commit = repo.commits.get(sha);
    return commit ? [...commit.patches].some((patch) => repo.pulls.get(patch)?.bad === true) : false;
  }

  /** The next `times` requests matching answer with this status (fault injection). */
  failNext(method: string, path: RegExp, status: number, body: unknown = { message: 'injected' }, headers: Record<string, string> = {}, times = 1): void {
    this.faults.push({ method, path, status, body, headers, times });
  }

  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  // ------------------------------------------------------------------ graph helpers

  private addCommit(repo: FakeRepo, parents: string[], patches: Set<number>): FakeCommit {
    const commit: FakeCommit = { sha: sha1(), parents, patches };
    repo.commits.set(commit.sha, commit);
    return commit;
  }

  /** A push: the branch moves, and CI runs on the new head if it builds that branch. */
  private setBranch(repo: FakeRepo, branch: string, sha: string): void {
    const before = repo.branches.get(branch);
    repo.branches.set(branch, sha);
    if (before !== sha && this.ciBuilds(branch)) this.startCi(repo, branch, sha, 'push');
  }

  private startCi(repo: FakeRepo, branch: string | null, sha: string, cause: FakeCiRun['cause'], names = this.checkNames): void {
    this.ciRuns.push({ repo: `${repo.owner}/${repo.name}`, branch, sha, cause });
    for (const name of names) {
      repo.checkRuns.push({ id: this.nextRunId++, name, headSha: sha, status: 'in_progress', conclusion: null, startedAt: now(), completedAt: null });
    }
  }

  private moveBase(repo: FakeRepo, sha: string): void {
    this.setBranch(repo, repo.defaultBranch, sha);
    repo.baseHistory.push(sha);
  }

  private ancestors(repo: FakeRepo, sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (seen.has(current)) continue;
      seen.add(current);
      stack.push(...(repo.commits.get(current)?.parents ?? []));
    }
    return seen;
  }

  private resolve(repo: FakeRepo, ref: string): string | undefined {
    if (repo.commits.has(ref)) return ref;
    return repo.branches.get(ref.replace(/^refs\/heads\/|^heads\//, ''));
  }

  private conflicts(repo: FakeRepo, pull: FakePull, intoSha: string): boolean {
    if (pull.conflictsWithBase) return true;
    const into = repo.commits.get(intoSha);
    return pull.conflictsWith.some((other) => into?.patches.has(other) === true);
  }

  private pullJson(repo: FakeRepo, pull: FakePull) {
    const headSha = repo.branches.get(pull.headRef) ?? null;
    const baseSha = repo.branches.get(pull.baseRef)!;
    const fullName = `${repo.owner}/${repo.name}`;
    const mergeable = pull.state === 'open' ? !this.conflicts(repo, pull, baseSha) : null;
    return {
      url: `${this.url}/repos/${fullName}/pulls/${pull.number}`,
      html_url: `https://github.com/${fullName}/pull/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: { login: pull.author, id: 1, type: 'User' },
      body: null,
      labels: pull.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed', default: false })),
      draft: pull.draft,
      merged: pull.merged,
      mergeable,
      mergeable_state: mergeable === false ? 'dirty' : 'clean',
      merge_commit_sha: pull.mergeCommitSha,
      head: { label: `${repo.owner}:${pull.headRef}`, ref: pull.headRef, sha: headSha, repo: { full_name: fullName } },
      base: { label: `${repo.owner}:${pull.baseRef}`, ref: pull.baseRef, sha: baseSha, repo: { full_name: fullName } },
      created_at: now(),
      updated_at: now(),
    };
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text ? JSON.parse(text) : undefined;
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, body, authorization: req.headers.authorization });
    const fault = this.faults.find((candidate) => candidate.method === method && candidate.path.test(path));
    const shape = checkRestShape(method, path, url.searchParams, body);
    let answer: Answer;
    if (!shape.operation || shape.problems.length > 0) {
      this.violations.push({ method, path, problems: shape.problems });
      answer = shape.operation
        ? { status: 422, body: { message: 'Invalid request.', errors: shape.problems, documentation_url: 'https://docs.github.com/rest' } }
        : { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    } else if (fault) {
      fault.times--;
      if (fault.times <= 0) this.faults = this.faults.filter((candidate) => candidate !== fault);
      answer = { status: fault.status, body: fault.body, headers: fault.headers };
    } else {
      try {
        answer = this.route(method, path, url.searchParams, (body ?? {}) as Record<string, unknown>, req);
      } catch (error) {
        answer = { status: 500, body: { message: (error as Error).message } };
      }
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...(answer.headers ?? {}) });
    res.end(answer.status === 204 || answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }

  private route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>, req: IncomingMessage): Answer {
    const appToken = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/);
    if (appToken && method === 'POST') return this.installationToken(req);
    if (this.app && req.headers.authorization !== `token ${this.app.installationToken}`) {
      return { status: 401, body: { message: 'Bad credentials' } };
    }
    const user = path.match(/^\/users\/([^/]+)$/);
    if (user && method === 'GET') {
      const account = this.users.get(user[1]!);
      if (!account) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: { login: user[1], id: 1, type: 'User', email: account.email } };
    }
    const match = path.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/);
    if (!match) return { status: 404, body: { message: 'Not Found' } };
    const repo = this.repos.get(`${match[1]}/${match[2]}`.toLowerCase());
    if (!repo) return { status: 404, body: { message: 'Not Found' } };
    const rest = match[3] ?? '';
    let m: RegExpMatchArray | null;

    if (method === 'GET' && rest === '/pulls') {
      const base = query.get('base');
      const pulls = [...repo.pulls.values()].filter((pull) => pull.state === (query.get('state') ?? 'open') && (!base || pull.baseRef === base));
      return { status: 200, body: pulls.map((pull) => this.pullJson(repo, pull)) };
    }
    if ((m = rest.match(/^\/pulls\/(\d+)(\/.*)?$/))) {
      const pull = repo.pulls.get(Number(m[1]));
      if (!pull) return { status: 404, body: { message: 'Not Found' } };
      return this.pullRoute(repo, pull, method, m[2] ?? '', body);
    }
    if ((m = rest.match(/^\/issues\/(\d+)\/(comments|labels)(?:\/(.+))?$/))) {
      const pull = repo.pulls.get(Number(m[1]));
      if (!pull) return { status: 404, body: { message: 'Not Found' } };
      if (m[2] === 'comments' && method === 'POST') {
        const comment = { issue: pull.number, body: String(body.body), user: 'durable-delivery[bot]' };
        repo.comments.push(comment);
        return { status: 201, body: { id: repo.comments.length, body: comment.body, user: { login: comment.user }, created_at: now() } };
      }
      if (m[2] === 'labels' && method === 'POST') {
        for (const label of (body.labels as string[]) ?? []) {
          repo.labelWrites.push({ issue: pull.number, action: 'add', label });
          if (!pull.labels.includes(label)) pull.labels.push(label);
        }
        return { status: 200, body: pull.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed', default: false })) };
      }
      if (m[2] === 'labels' && method === 'DELETE' && m[3]) {
        repo.labelWrites.push({ issue: pull.number, action: 'remove', label: m[3] });
        if (!pull.labels.includes(m[3])) return { status: 404, body: { message: 'Label does not exist' } };
        pull.labels = pull.labels.filter((label) => label !== m![3]);
        return { status: 200, body: pull.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed', default: false })) };
      }
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/(.+)\/check-runs$/))) {
      const sha = this.resolve(repo, m[1]!);
      let runs = repo.checkRuns.filter((run) => run.headSha === sha).reverse();
      // filter=latest (Octokit's default is latest too): the most recent run of each name.
      if (query.get('filter') !== 'all') runs = runs.filter((run, index) => runs.findIndex((other) => other.name === run.name) === index);
      return {
        status: 200,
        body: {
          total_count: runs.length,
          check_runs: runs.map((run) => ({
            id: run.id,
            name: run.name,
            head_sha: run.headSha,
            status: run.status,
            conclusion: run.conclusion,
            started_at: run.startedAt,
            completed_at: run.completedAt,
            app: { slug: 'fake-ci' },
          })),
        },
      };
    }
    if (method === 'POST' && (m = rest.match(/^\/check-runs\/(\d+)\/rerequest$/))) {
      const run = repo.checkRuns.find((candidate) => candidate.id === Number(m![1]));
      if (!run) return { status: 404, body: { message: 'Not Found' } };
      if (run.status !== 'completed') return { status: 422, body: { message: 'This check run is not rerequestable' } };
      this.startCi(repo, null, run.headSha, 'rerequest', [run.name]);
      return { status: 201, body: {} };
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/(.+)\/status$/))) {
      const sha = this.resolve(repo, m[1]!);
      const statuses = repo.statuses.filter((status) => status.sha === sha).reverse();
      const state = statuses.some((s) => s.state === 'failure' || s.state === 'error') ? 'failure' : statuses.every((s) => s.state === 'success') ? 'success' : 'pending';
      return {
        status: 200,
        body: { state, sha, total_count: statuses.length, statuses: statuses.map((s, index) => ({ id: index + 1, context: s.context, state: s.state, description: null })) },
      };
    }
    if (method === 'GET' && (m = rest.match(/^\/compare\/(.+)\.\.\.(.+)$/))) {
      const base = this.resolve(repo, m[1]!);
      const head = this.resolve(repo, m[2]!);
      if (!base || !head) return { status: 404, body: { message: 'Not Found' } };
      const baseAncestors = this.ancestors(repo, base);
      const headAncestors = this.ancestors(repo, head);
      const behind = [...baseAncestors].filter((sha) => !headAncestors.has(sha)).length;
      const ahead = [...headAncestors].filter((sha) => !baseAncestors.has(sha)).length;
      const status = ahead === 0 && behind === 0 ? 'identical' : behind === 0 ? 'ahead' : ahead === 0 ? 'behind' : 'diverged';
      return { status: 200, body: { status, ahead_by: ahead, behind_by: behind, total_commits: ahead, commits: [], files: [], base_commit: { sha: base } } };
    }
    if ((m = rest.match(/^\/git\/ref\/heads\/(.+)$/)) && method === 'GET') {
      const sha = repo.branches.get(m[1]!);
      if (!sha) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } } };
    }
    if (rest === '/git/refs' && method === 'POST') {
      const ref = String(body.ref).replace(/^refs\/heads\//, '');
      if (repo.branches.has(ref)) return { status: 422, body: { message: 'Reference already exists' } };
      if (!repo.commits.has(String(body.sha))) return { status: 422, body: { message: 'Object does not exist' } };
      this.setBranch(repo, ref, String(body.sha));
      return { status: 201, body: { ref: `refs/heads/${ref}`, object: { sha: body.sha, type: 'commit' } } };
    }
    if ((m = rest.match(/^\/git\/refs\/heads\/(.+)$/))) {
      const ref = m[1]!;
      if (method === 'PATCH') {
        const current = repo.branches.get(ref);
        const sha = String(body.sha);
        if (!current) return { status: 422, body: { message: 'Reference does not exist' } };
        if (!repo.commits.has(sha)) return { status: 422, body: { message: 'Object does not exist' } };
        if (body.force !== true && !this.ancestors(repo, sha).has(current)) return { status: 422, body: { message: 'Update is not a fast forward' } };
        this.setBranch(repo, ref, sha);
        if (ref === repo.defaultBranch) repo.baseHistory.push(sha);
        return { status: 200, body: { ref: `refs/heads/${ref}`, object: { sha: body.sha, type: 'commit' } } };
      }
      if (method === 'DELETE') {
        if (!repo.branches.delete(ref)) return { status: 422, body: { message: 'Reference does not exist' } };
        return { status: 204 };
      }
    }
    if (rest === '/merges' && method === 'POST') {
      const branch = String(body.base);
      const into = repo.branches.get(branch);
      const head = this.resolve(repo, String(body.head));
      if (!into || !head) return { status: 404, body: { message: 'Base does not exist' } };
      if (this.ancestors(repo, into).has(head)) return { status: 204 };
      const headCommit = repo.commits.get(head)!;
      const intoCommit = repo.commits.get(into)!;
      const pullsIn = [...headCommit.patches].filter((patch) => !intoCommit.patches.has(patch)).map((patch) => repo.pulls.get(patch));
      if (pullsIn.some((pull) => pull && this.conflicts(repo, pull, into))) return { status: 409, body: { message: 'Merge conflict' } };
      const merged = this.addCommit(repo, [into, head], new Set([...intoCommit.patches, ...headCommit.patches]));
      this.setBranch(repo, branch, merged.sha);
      return { status: 201, body: { sha: merged.sha, commit: { message: body.commit_message ?? '' }, parents: merged.parents.map((sha) => ({ sha })) } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  private pullRoute(repo: FakeRepo, pull: FakePull, method: string, rest: string, body: Record<string, unknown>): Answer {
    const headSha = repo.branches.get(pull.headRef)!;
    const baseSha = repo.branches.get(pull.baseRef)!;
    if (method === 'GET' && rest === '') return { status: 200, body: this.pullJson(repo, pull) };
    if (method === 'GET' && rest === '/reviews') {
      return {
        status: 200,
        body: pull.reviews.map((review, index) => ({ id: index + 1, user: { login: review.user }, state: review.state, commit_id: headSha, submitted_at: now() })),
      };
    }
    if (method === 'GET' && rest === '/files') {
      return { status: 200, body: pull.files.map((filename) => ({ sha: sha1(), filename, status: 'modified', additions: 1, deletions: 0, changes: 1 })) };
    }
    if (method === 'PUT' && rest === '/update-branch') {
      if (body.expected_head_sha !== undefined && body.expected_head_sha !== headSha) {
        return { status: 422, body: { message: "expected head sha didn't match current head ref." } };
      }
      if (this.conflicts(repo, pull, baseSha)) return { status: 422, body: { message: 'merge conflict between base and head' } };
      const head = repo.commits.get(headSha)!;
      const base = repo.commits.get(baseSha)!;
      const updated = this.addCommit(repo, [headSha, baseSha], new Set([...head.patches, ...base.patches]));
      this.setBranch(repo, pull.headRef, updated.sha);
      return { status: 202, body: { message: 'Updating pull request branch.', url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull.number}` } };
    }
    if (method === 'PUT' && rest === '/merge') {
      if (pull.state !== 'open' || this.conflicts(repo, pull, baseSha)) return { status: 405, body: { message: 'Pull Request is not mergeable' } };
      if (body.sha !== undefined && body.sha !== headSha) return { status: 409, body: { message: 'Head branch was modified. Review and try the merge again.' } };
      const head = repo.commits.get(headSha)!;
      const base = repo.commits.get(baseSha)!;
      const parents = body.merge_method === 'merge' ? [baseSha, headSha] : [baseSha];
      const merged = this.addCommit(repo, parents, new Set([...base.patches, ...head.patches]));
      this.moveBase(repo, merged.sha);
      pull.state = 'closed';
      pull.merged = true;
      pull.mergeCommitSha = merged.sha;
      return { status: 200, body: { sha: merged.sha, merged: true, message: 'Pull Request successfully merged' } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  private installationToken(req: IncomingMessage): Answer {
    if (!this.app) return { status: 404, body: { message: 'Not Found' } };
    const jwt = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const [header, payload, signature] = jwt.split('.');
    if (!header || !payload || !signature) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
    const valid = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(this.app.publicKey, Buffer.from(signature, 'base64url'));
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: string };
    if (!valid || claims.iss !== this.app.appId) return { status: 401, body: { message: "'Issuer' claim ('iss') must be an Integer" } };
    return { status: 201, body: { token: this.app.installationToken, expires_at: new Date(Date.now() + 3600_000).toISOString() } };
  }
}
