/**
 * The REST operations the fake GitHub serves, with the request facts it checks, taken from GitHub's
 * OpenAPI description (operation ids as in @octokit/openapi-types): path template, required body
 * fields with their types, enums. A call that matches no operation, or breaks its shape, is a
 * violation: the fake answers it as GitHub would (404 / 422) and records it, and the tests assert
 * that the queue made none.
 */

type FieldType = 'string' | 'boolean' | 'integer' | 'string[]';

export interface RestOperation {
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path template, e.g. /repos/{owner}/{repo}/pulls/{pull_number}; `{ref+}` matches slashes. */
  path: string;
  body?: Record<string, { type: FieldType; required?: boolean; enum?: readonly string[] }>;
  query?: Record<string, { type: FieldType; enum?: readonly string[] }>;
}

export const REST_OPERATIONS: readonly RestOperation[] = [
  { id: 'apps/create-installation-access-token', method: 'POST', path: '/app/installations/{installation_id}/access_tokens' },
  { id: 'users/get-by-username', method: 'GET', path: '/users/{username}' },
  {
    id: 'pulls/list',
    method: 'GET',
    path: '/repos/{owner}/{repo}/pulls',
    query: { state: { type: 'string', enum: ['open', 'closed', 'all'] }, base: { type: 'string' }, per_page: { type: 'integer' }, page: { type: 'integer' } },
  },
  { id: 'pulls/get', method: 'GET', path: '/repos/{owner}/{repo}/pulls/{pull_number}' },
  { id: 'pulls/list-reviews', method: 'GET', path: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', query: { per_page: { type: 'integer' }, page: { type: 'integer' } } },
  { id: 'pulls/list-files', method: 'GET', path: '/repos/{owner}/{repo}/pulls/{pull_number}/files', query: { per_page: { type: 'integer' }, page: { type: 'integer' } } },
  { id: 'pulls/update-branch', method: 'PUT', path: '/repos/{owner}/{repo}/pulls/{pull_number}/update-branch', body: { expected_head_sha: { type: 'string' } } },
  {
    id: 'pulls/merge',
    method: 'PUT',
    path: '/repos/{owner}/{repo}/pulls/{pull_number}/merge',
    body: {
      commit_title: { type: 'string' },
      commit_message: { type: 'string' },
      sha: { type: 'string' },
      merge_method: { type: 'string', enum: ['merge', 'squash', 'rebase'] },
    },
  },
  { id: 'issues/create-comment', method: 'POST', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments', body: { body: { type: 'string', required: true } } },
  { id: 'issues/add-labels', method: 'POST', path: '/repos/{owner}/{repo}/issues/{issue_number}/labels', body: { labels: { type: 'string[]', required: true } } },
  { id: 'issues/remove-label', method: 'DELETE', path: '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}' },
  {
    id: 'checks/list-for-ref',
    method: 'GET',
    path: '/repos/{owner}/{repo}/commits/{ref+}/check-runs',
    query: { filter: { type: 'string', enum: ['latest', 'all'] }, per_page: { type: 'integer' }, page: { type: 'integer' }, check_name: { type: 'string' }, status: { type: 'string' } },
  },
  { id: 'checks/rerequest-run', method: 'POST', path: '/repos/{owner}/{repo}/check-runs/{check_run_id}/rerequest' },
  { id: 'repos/get-combined-status-for-ref', method: 'GET', path: '/repos/{owner}/{repo}/commits/{ref+}/status', query: { per_page: { type: 'integer' }, page: { type: 'integer' } } },
  { id: 'repos/compare-commits-with-basehead', method: 'GET', path: '/repos/{owner}/{repo}/compare/{basehead+}', query: { per_page: { type: 'integer' }, page: { type: 'integer' } } },
  { id: 'git/get-ref', method: 'GET', path: '/repos/{owner}/{repo}/git/ref/{ref+}' },
  { id: 'git/create-ref', method: 'POST', path: '/repos/{owner}/{repo}/git/refs', body: { ref: { type: 'string', required: true }, sha: { type: 'string', required: true } } },
  { id: 'git/update-ref', method: 'PATCH', path: '/repos/{owner}/{repo}/git/refs/{ref+}', body: { sha: { type: 'string', required: true }, force: { type: 'boolean' } } },
  { id: 'git/delete-ref', method: 'DELETE', path: '/repos/{owner}/{repo}/git/refs/{ref+}' },
  {
    id: 'repos/merge',
    method: 'POST',
    path: '/repos/{owner}/{repo}/merges',
    body: { base: { type: 'string', required: true }, head: { type: 'string', required: true }, commit_message: { type: 'string' } },
  },
];

export interface ShapeCheck {
  operation: RestOperation | null;
  problems: string[];
}

function templateRegex(template: string): RegExp {
  const source = template
    .split('/')
    .map((part) => (/^\{.+\+\}$/.test(part) ? '.+' : /^\{.+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

const compiled = REST_OPERATIONS.map((operation) => ({ operation, regex: templateRegex(operation.path) }));

function typeOk(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(typeof value === 'string' ? Number(value) : value);
    case 'string[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}

/** Matches a request to its operation and lists how it breaks the operation's shape. */
export function checkRestShape(method: string, path: string, query: URLSearchParams, body: unknown): ShapeCheck {
  const found = compiled.find((candidate) => candidate.operation.method === method && candidate.regex.test(path));
  if (!found) return { operation: null, problems: [`${method} ${path} is not a GitHub REST operation the fake knows`] };
  const { operation } = found;
  const problems: string[] = [];
  for (const [name, rule] of Object.entries(operation.query ?? {})) {
    const value = query.get(name);
    if (value === null) continue;
    if (!typeOk(value, rule.type)) problems.push(`${operation.id}: query ${name} must be ${rule.type}`);
    if (rule.enum && !rule.enum.includes(value)) problems.push(`${operation.id}: query ${name} must be one of ${rule.enum.join(', ')}`);
  }
  for (const name of query.keys()) if (!operation.query || !(name in operation.query)) problems.push(`${operation.id}: unknown query parameter ${name}`);
  if (operation.body) {
    const fields = (body ?? {}) as Record<string, unknown>;
    if (typeof fields !== 'object' || Array.isArray(fields)) problems.push(`${operation.id}: body must be a JSON object`);
    for (const [name, rule] of Object.entries(operation.body)) {
      const value = fields[name];
      if (value === undefined) {
        if (rule.required) problems.push(`${operation.id}: "${name}" is required`);
        continue;
      }
      if (!typeOk(value, rule.type)) problems.push(`${operation.id}: "${name}" must be ${rule.type}`);
      if (rule.enum && !rule.enum.includes(String(value))) problems.push(`${operation.id}: "${name}" must be one of ${rule.enum.join(', ')}`);
    }
    for (const name of Object.keys(fields)) if (!(name in operation.body)) problems.push(`${operation.id}: unknown body field "${name}"`);
  }
  return { operation, problems };
}
