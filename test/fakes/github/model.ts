import type { CommentRecord, IssueRecord, LabelRecord, Permission, UserRecord } from './state.js';

/**
 * GitHub's JSON for the records in state.ts, shaped after the examples in docs.github.com/rest
 * (issues, issue comments, repositories, users) and the webhook payload docs. URLs point at the
 * fake's API; `html_url`s at `htmlBase` (github.com by default, as the hub would show them).
 */

export type GitHubJson = Record<string, unknown>;

export interface RepoContext {
  apiUrl: string;
  htmlBase: string;
  owner: UserRecord;
  name: string;
  id: number;
  private: boolean;
  archived: boolean;
  createdAt: number;
  openIssues(): number;
}

/** GitHub's timestamps: ISO 8601 in UTC, whole seconds. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Opaque global node ids: a type prefix and base64 of the database id (their real encoding differs). */
function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${Buffer.from(String(id)).toString('base64url')}`;
}

export function userJson(user: UserRecord, context: Pick<RepoContext, 'apiUrl' | 'htmlBase'>): GitHubJson {
  const api = `${context.apiUrl}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId(user.type === 'Bot' ? 'BOT' : 'U', user.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `${context.htmlBase}/${user.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** `GET /user` adds the profile to the simple user. */
export function authenticatedUserJson(user: UserRecord, context: RepoContext): GitHubJson {
  return {
    ...userJson(user, context),
    name: null,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: timestamp(context.createdAt),
    updated_at: timestamp(context.createdAt),
  };
}

/** The `permissions` object `GET /repos/{owner}/{repo}` carries for the token's user. */
export function permissionsJson(permission: Permission): GitHubJson {
  const rank = { read: 0, triage: 1, write: 2, admin: 3 }[permission];
  return { admin: rank >= 3, maintain: rank >= 3, push: rank >= 2, triage: rank >= 1, pull: true };
}

/**
 * A repository as GitHub returns it. `full` (`GET /repos/{owner}/{repo}`, the document's
 * `full-repository`) adds the counts only that answer carries, and the token user's permissions.
 */
export function repositoryJson(context: RepoContext, permission?: Permission, options: { full?: boolean } = {}): GitHubJson {
  const fullName = `${context.owner.login}/${context.name}`;
  const api = `${context.apiUrl}/repos/${fullName}`;
  const html = `${context.htmlBase}/${fullName}`;
  const host = new URL(context.htmlBase).host;
  const openIssues = context.openIssues();
  return {
    id: context.id,
    node_id: nodeId('R', context.id),
    name: context.name,
    full_name: fullName,
    private: context.private,
    owner: userJson(context.owner, context),
    html_url: html,
    description: 'Support escalations',
    fork: false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: timestamp(context.createdAt),
    updated_at: timestamp(context.createdAt),
    pushed_at: timestamp(context.createdAt),
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: context.archived,
    disabled: false,
    open_issues_count: openIssues,
    license: null,
    allow_forking: !context.private,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: context.private ? 'private' : 'public',
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
    default_branch: 'main',
    ...(permission ? { permissions: permissionsJson(permission) } : {}),
    ...(options.full ? { network_count: 0, subscribers_count: 1 } : {}),
  };
}

export function labelJson(label: LabelRecord, context: RepoContext): GitHubJson {
  return {
    id: label.id,
    node_id: nodeId('LA', label.id),
    url: `${context.apiUrl}/repos/${context.owner.login}/${context.name}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: false,
    description: label.description,
  };
}

/** Who the author is to the repository, as GitHub labels it on issues and comments. */
function association(user: UserRecord, context: RepoContext): string {
  return user.id === context.owner.id ? 'OWNER' : 'COLLABORATOR';
}

/** `closed_by` is only in the single-issue answer (`GET …/issues/{n}`), not in lists. */
export function issueJson(issue: IssueRecord, context: RepoContext, options: { closedBy?: boolean } = {}): GitHubJson {
  const repoApi = `${context.apiUrl}/repos/${context.owner.login}/${context.name}`;
  const api = `${repoApi}/issues/${issue.number}`;
  return {
    url: api,
    repository_url: repoApi,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: `${context.htmlBase}/${context.owner.login}/${context.name}/issues/${issue.number}`,
    id: issue.id,
    node_id: nodeId('I', issue.id),
    number: issue.number,
    title: issue.title,
    user: userJson(issue.user, context),
    labels: issue.labels.map((label) => labelJson(label, context)),
    state: issue.state,
    locked: false,
    assignee: issue.assignees[0] ? userJson(issue.assignees[0], context) : null,
    assignees: issue.assignees.map((user) => userJson(user, context)),
    milestone: null,
    comments: issue.comments.length,
    created_at: timestamp(issue.createdAt),
    updated_at: timestamp(issue.updatedAt),
    closed_at: issue.closedAt === null ? null : timestamp(issue.closedAt),
    author_association: association(issue.user, context),
    active_lock_reason: null,
    body: issue.body,
    reactions: reactionsJson(`${api}/reactions`),
    timeline_url: `${api}/timeline`,
    performed_via_github_app: null,
    state_reason: issue.stateReason,
    ...(options.closedBy ? { closed_by: issue.closedBy ? userJson(issue.closedBy, context) : null } : {}),
  };
}

export function commentJson(comment: CommentRecord, issue: IssueRecord, context: RepoContext): GitHubJson {
  const repoApi = `${context.apiUrl}/repos/${context.owner.login}/${context.name}`;
  return {
    url: `${repoApi}/issues/comments/${comment.id}`,
    html_url: `${context.htmlBase}/${context.owner.login}/${context.name}/issues/${issue.number}#issuecomment-${comment.id}`,
    issue_url: `${repoApi}/issues/${issue.number}`,
    id: comment.id,
    node_id: nodeId('IC', comment.id),
    user: userJson(comment.user, context),
    created_at: timestamp(comment.createdAt),
    updated_at: timestamp(comment.updatedAt),
    author_association: association(comment.user, context),
    body: comment.body,
    reactions: reactionsJson(`${repoApi}/issues/comments/${comment.id}/reactions`),
    performed_via_github_app: null,
  };
}

function reactionsJson(url: string): GitHubJson {
  return { url, total_count: 0, '+1': 0, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
}
