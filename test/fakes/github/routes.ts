import { errors } from './errors.js';
import { authenticatedUserJson, commentJson, issueJson, repositoryJson, type GitHubJson, type RepoContext } from './model.js';
import type { GitHubState, IssuePatch, IssueRecord, Permission, StateReason, UserRecord } from './state.js';

/**
 * The endpoints the hub's GitHub target uses, with GitHub's parameters, defaults, paging and
 * validation (docs.github.com/rest/issues/issues, …/issues/comments, …/repos/repos, …/users).
 */

export interface RouteContext {
  state: GitHubState;
  repo: RepoContext;
  actor: UserRecord;
  permission: Permission;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (400 "Problems parsing JSON" when it is not JSON). */
  body(docs: string): unknown;
  /** 403 for a token without write access; for new issues/comments, also the secondary limit. */
  requireWrite(docs: string, options?: { createsContent?: boolean }): void;
}

export interface RouteAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Handler = (context: RouteContext) => RouteAnswer;

const DOCS = {
  user: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
  repo: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  listIssues: 'https://docs.github.com/rest/issues/issues#list-repository-issues',
  createIssue: 'https://docs.github.com/rest/issues/issues#create-an-issue',
  getIssue: 'https://docs.github.com/rest/issues/issues#get-an-issue',
  updateIssue: 'https://docs.github.com/rest/issues/issues#update-an-issue',
  listComments: 'https://docs.github.com/rest/issues/comments#list-issue-comments',
  createComment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
};

// docs.github.com "Create an issue" / "Create an issue comment": GitHub's length limits.
const MAX_TITLE = 256;
const MAX_BODY = 65_536;

const routes: { method: string; pattern: RegExp; handler: Handler }[] = [
  { method: 'GET', pattern: /^\/user$/, handler: ({ actor, repo }) => ok(authenticatedUserJson(actor, repo)) },
  { method: 'GET', pattern: /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)$/, handler: ({ repo, permission }) => ok(repositoryJson(repo, permission, { full: true })) },
  { method: 'GET', pattern: /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/issues$/, handler: listIssues },
  { method: 'POST', pattern: /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/issues$/, handler: createIssue },
  { method: 'GET', pattern: /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/issues\/(?<number>\d+)$/, handler: (c) => ok(issueJson(issueOf(c, DOCS.getIssue), c.repo, { closedBy: true })) },
  { method: 'PATCH', pattern: /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/issues\/(?<number>\d+)$/, handler: updateIssue },
  { method: 'GET', pattern: /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/issues\/(?<number>\d+)\/comments$/, handler: listComments },
  { method: 'POST', pattern: /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)\/issues\/(?<number>\d+)\/comments$/, handler: createComment },
];

/** The handler for a request, and the path parameters; 404 "Not Found" for anything else. */
export function route(method: string, path: string, repo: RepoContext): { handler: Handler; params: Record<string, string> } {
  // GitHub's own Link headers name the repository by id: /repositories/{id}/issues?page=2.
  const canonical = path.replace(new RegExp(`^/repositories/${repo.id}(?=/|$)`), `/repos/${repo.owner.login}/${repo.name}`);
  for (const candidate of routes) {
    const match = candidate.pattern.exec(canonical);
    if (!match || candidate.method !== method) continue;
    const params = { ...match.groups };
    // Owner and repository names are case-insensitive; any other repository does not exist here.
    if (params['owner'] !== undefined && (params['owner'].toLowerCase() !== repo.owner.login.toLowerCase() || params['repo']!.toLowerCase() !== repo.name.toLowerCase())) {
      throw errors.notFound(DOCS.repo);
    }
    return { handler: candidate.handler, params };
  }
  throw errors.notFound();
}

const ok = (body: unknown): RouteAnswer => ({ status: 200, body });

function issueOf(context: RouteContext, docs: string): IssueRecord {
  const issue = context.state.issues.get(Number(context.params['number']));
  if (!issue) throw errors.notFound(docs);
  return issue;
}

/** per_page (default 30, at most 100) and page, and the Link header GitHub sends with them. */
function paginate<T>(items: T[], context: RouteContext, path: string): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(context.query.get('per_page') ?? 30) || 30));
  const pageNumber = Math.max(1, Number(context.query.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (page: number, rel: string) => {
    const query = new URLSearchParams(context.query);
    query.set('page', String(page));
    return `<${context.repo.apiUrl}/repositories/${context.repo.id}${path}?${query.toString()}>; rel="${rel}"`;
  };
  const links = [
    ...(pageNumber > 1 ? [link(pageNumber - 1, 'prev')] : []),
    ...(pageNumber < last ? [link(pageNumber + 1, 'next'), link(last, 'last')] : []),
    ...(pageNumber > 1 ? [link(1, 'first')] : []),
  ];
  return { page: items.slice((pageNumber - 1) * perPage, pageNumber * perPage), headers: links.length > 0 ? { link: links.join(', ') } : {} };
}

function oneOf<T extends string>(context: RouteContext, name: string, allowed: readonly T[], fallback: T, docs: string): T {
  const value = context.query.get(name);
  if (value === null) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw errors.invalidRequest(docs, `For '${name}', "${value}" is not one of ${JSON.stringify(allowed)}.`);
  return value as T;
}

function sinceOf(context: RouteContext, docs: string): number | null {
  const since = context.query.get('since');
  if (since === null) return null;
  const at = Date.parse(since);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(since) || Number.isNaN(at)) throw errors.invalidRequest(docs, `For 'since', "${since}" is not a timestamp.`);
  return at;
}

function listIssues(context: RouteContext): RouteAnswer {
  const state = oneOf(context, 'state', ['open', 'closed', 'all'], 'open', DOCS.listIssues);
  const sort = oneOf(context, 'sort', ['created', 'updated', 'comments'], 'created', DOCS.listIssues);
  const direction = oneOf(context, 'direction', ['asc', 'desc'], 'desc', DOCS.listIssues);
  const since = sinceOf(context, DOCS.listIssues);
  const creator = context.query.get('creator')?.toLowerCase();
  const assignee = context.query.get('assignee')?.toLowerCase();
  const labels = (context.query.get('labels') ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean);
  // `since` compares with updated_at at GitHub's one-second resolution.
  const sinceSecond = since === null ? null : Math.floor(since / 1000) * 1000;
  const matching = [...context.state.issues.values()].filter(
    (issue) =>
      (state === 'all' || issue.state === state) &&
      (creator === undefined || issue.user.login.toLowerCase() === creator) &&
      (assignee === undefined ||
        (assignee === 'none' ? issue.assignees.length === 0 : assignee === '*' ? issue.assignees.length > 0 : issue.assignees.some((u) => u.login.toLowerCase() === assignee))) &&
      labels.every((name) => issue.labels.some((label) => label.name.toLowerCase() === name)) &&
      (sinceSecond === null || Math.floor(issue.updatedAt / 1000) * 1000 >= sinceSecond),
  );
  const key = (issue: IssueRecord) => (sort === 'created' ? issue.createdAt : sort === 'updated' ? issue.updatedAt : issue.comments.length);
  matching.sort((a, b) => (direction === 'asc' ? 1 : -1) * (key(a) - key(b) || a.number - b.number));
  const { page, headers } = paginate(matching, context, '/issues');
  return { status: 200, body: page.map((issue) => issueJson(issue, context.repo)), headers };
}

function objectBody(context: RouteContext, docs: string): Record<string, unknown> {
  const body = context.body(docs);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.invalidRequest(docs, 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function textField(body: Record<string, unknown>, field: string, docs: string, max: number, resource: string): string | null | undefined {
  const value = body[field];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' && typeof value !== 'number') throw errors.invalidRequest(docs, `For '${field}', ${JSON.stringify(value)} is not a string.`);
  const text = String(value);
  if (text.length > max) throw errors.validationFailed(docs, resource, field, `${field} is too long (maximum is ${max} characters)`);
  return text;
}

function labelNames(body: Record<string, unknown>, docs: string): string[] | undefined {
  const labels = body['labels'];
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels)) throw errors.invalidRequest(docs, `For 'labels', ${JSON.stringify(labels)} is not an array.`);
  return labels.map((label) => {
    const name = typeof label === 'string' ? label : label && typeof label === 'object' ? (label as { name?: unknown }).name : undefined;
    if (typeof name !== 'string' || name.trim() === '') throw errors.invalidRequest(docs, `For 'labels', ${JSON.stringify(label)} is not a label name.`);
    if (name.length > 50) throw errors.validationFailed(docs, 'Label', 'name', 'name is too long (maximum is 50 characters)');
    return name;
  });
}

/** Push access sets labels; triage and read users' labels are silently dropped. */
const canSetLabels = (permission: Permission) => permission === 'write' || permission === 'admin';

function createIssue(context: RouteContext): RouteAnswer {
  context.requireWrite(DOCS.createIssue, { createsContent: true });
  const body = objectBody(context, DOCS.createIssue);
  const title = textField(body, 'title', DOCS.createIssue, MAX_TITLE, 'Issue');
  if (title === undefined || title === null) throw errors.invalidRequest(DOCS.createIssue, '"title" wasn\'t supplied.');
  const text = textField(body, 'body', DOCS.createIssue, MAX_BODY, 'Issue') ?? null;
  const issue = context.state.createIssue(context.actor, { title, body: text, labels: labelNames(body, DOCS.createIssue) ?? [] }, canSetLabels(context.permission));
  const json = issueJson(issue, context.repo, { closedBy: true });
  return { status: 201, body: json, headers: { location: String(json['url']) } };
}

const STATE_REASONS: readonly StateReason[] = ['completed', 'not_planned', 'reopened', 'duplicate', null];

function updateIssue(context: RouteContext): RouteAnswer {
  const issue = issueOf(context, DOCS.updateIssue);
  context.requireWrite(DOCS.updateIssue);
  const body = objectBody(context, DOCS.updateIssue);
  const patch: IssuePatch = {};
  const title = textField(body, 'title', DOCS.updateIssue, MAX_TITLE, 'Issue');
  if (title !== undefined && title !== null) patch.title = title;
  const text = textField(body, 'body', DOCS.updateIssue, MAX_BODY, 'Issue');
  if (text !== undefined) patch.body = text;
  if (body['state'] !== undefined) {
    if (body['state'] !== 'open' && body['state'] !== 'closed') throw errors.invalidRequest(DOCS.updateIssue, `For 'state', ${JSON.stringify(body['state'])} is not one of ["open", "closed"].`);
    patch.state = body['state'];
  }
  if (body['state_reason'] !== undefined) {
    if (!STATE_REASONS.includes(body['state_reason'] as StateReason)) {
      throw errors.invalidRequest(DOCS.updateIssue, `For 'state_reason', ${JSON.stringify(body['state_reason'])} is not one of ["completed", "not_planned", "duplicate", "reopened", null].`);
    }
    patch.stateReason = body['state_reason'] as StateReason;
  }
  const labels = labelNames(body, DOCS.updateIssue);
  if (labels) patch.labels = labels;
  context.state.updateIssue(issue, context.actor, patch, canSetLabels(context.permission));
  return ok(issueJson(issue, context.repo, { closedBy: true }));
}

function listComments(context: RouteContext): RouteAnswer {
  const issue = issueOf(context, DOCS.listComments);
  const since = sinceOf(context, DOCS.listComments);
  const comments = issue.comments.filter((comment) => since === null || comment.updatedAt >= Math.floor(since / 1000) * 1000);
  const { page, headers } = paginate(comments, context, `/issues/${issue.number}/comments`);
  return { status: 200, body: page.map((comment) => commentJson(comment, issue, context.repo)), headers };
}

function createComment(context: RouteContext): RouteAnswer {
  const issue = issueOf(context, DOCS.createComment);
  context.requireWrite(DOCS.createComment, { createsContent: true });
  const body = objectBody(context, DOCS.createComment);
  const text = textField(body, 'body', DOCS.createComment, MAX_BODY, 'IssueComment');
  if (text === undefined || text === null || text.trim() === '') throw errors.invalidRequest(DOCS.createComment, '"body" wasn\'t supplied.');
  const comment = context.state.addComment(issue, context.actor, text);
  const json: GitHubJson = commentJson(comment, issue, context.repo);
  return { status: 201, body: json, headers: { location: String(json['url']) } };
}
