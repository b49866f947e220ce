/**
 * The fake repository's contents: users, labels, issues and their comments, as records. model.ts
 * renders them as GitHub's JSON; every change is reported to `onChange` so the server can record
 * the webhook deliveries GitHub would make for it.
 */

export type Permission = 'admin' | 'write' | 'triage' | 'read';

export interface UserRecord {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface CommentRecord {
  id: number;
  body: string;
  user: UserRecord;
  createdAt: number;
  updatedAt: number;
}

export type StateReason = 'completed' | 'not_planned' | 'reopened' | 'duplicate' | null;

export interface IssueRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: UserRecord;
  labels: LabelRecord[];
  state: 'open' | 'closed';
  stateReason: StateReason;
  assignees: UserRecord[];
  comments: CommentRecord[];
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closedBy: UserRecord | null;
}

export type IssueChange =
  | { event: 'issues'; action: 'opened' | 'closed' | 'reopened' | 'edited'; issue: IssueRecord; sender: UserRecord }
  | { event: 'issues'; action: 'assigned'; issue: IssueRecord; sender: UserRecord; assignee: UserRecord }
  | { event: 'issues'; action: 'labeled'; issue: IssueRecord; sender: UserRecord; label: LabelRecord }
  | { event: 'issue_comment'; action: 'created'; issue: IssueRecord; sender: UserRecord; comment: CommentRecord };

export interface IssuePatch {
  title?: string;
  body?: string | null;
  state?: 'open' | 'closed';
  stateReason?: StateReason;
  labels?: string[];
}

/** New labels get GitHub's default grey; only people with push access create them (create/PATCH). */
const DEFAULT_LABEL_COLOR = 'ededed';

export class GitHubState {
  readonly users = new Map<string, UserRecord>();
  readonly labels = new Map<string, LabelRecord>();
  readonly issues = new Map<number, IssueRecord>();
  private nextIssueNumber = 1;
  private nextId = 1_000_001;

  constructor(
    private readonly now: () => number,
    private readonly onChange: (change: IssueChange) => void,
  ) {}

  id(): number {
    return this.nextId++;
  }

  /** Users appear when first named (a token's user, an assignee, whoever closes an issue). */
  user(login: string, type: 'User' | 'Bot' = 'User'): UserRecord {
    const key = login.toLowerCase();
    let user = this.users.get(key);
    if (!user) {
      user = { login, id: 500_000 + this.users.size + 1, type };
      this.users.set(key, user);
    }
    return user;
  }

  private label(name: string, create: boolean): LabelRecord | null {
    const existing = this.labels.get(name.toLowerCase());
    if (existing || !create) return existing ?? null;
    const label = { id: this.id(), name, color: DEFAULT_LABEL_COLOR, description: null };
    this.labels.set(name.toLowerCase(), label);
    return label;
  }

  /**
   * docs.github.com "Create an issue": "Only users with push access can set labels for new
   * issues. Labels are silently dropped otherwise." Unknown labels are created with the issue.
   */
  createIssue(by: UserRecord, fields: { title: string; body: string | null; labels: string[] }, canSetLabels: boolean): IssueRecord {
    const at = this.now();
    const issue: IssueRecord = {
      id: this.id(),
      number: this.nextIssueNumber++,
      title: fields.title,
      body: fields.body,
      user: by,
      labels: canSetLabels ? uniqueLabels(fields.labels.map((name) => this.label(name, true)!)) : [],
      state: 'open',
      stateReason: null,
      assignees: [],
      comments: [],
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      closedBy: null,
    };
    this.issues.set(issue.number, issue);
    this.onChange({ event: 'issues', action: 'opened', issue, sender: by });
    for (const label of issue.labels) this.onChange({ event: 'issues', action: 'labeled', issue, sender: by, label });
    return issue;
  }

  updateIssue(issue: IssueRecord, by: UserRecord, patch: IssuePatch, canSetLabels: boolean): void {
    const at = this.now();
    if (patch.title !== undefined) issue.title = patch.title;
    if (patch.body !== undefined) issue.body = patch.body;
    if (patch.labels !== undefined && canSetLabels) issue.labels = uniqueLabels(patch.labels.map((name) => this.label(name, true)!));
    if (patch.title !== undefined || patch.body !== undefined) this.onChange({ event: 'issues', action: 'edited', issue, sender: by });
    if (patch.state === 'closed' && issue.state === 'open') {
      Object.assign(issue, { state: 'closed', stateReason: patch.stateReason ?? 'completed', closedAt: at, closedBy: by, updatedAt: at });
      this.onChange({ event: 'issues', action: 'closed', issue, sender: by });
    } else if (patch.state === 'open' && issue.state === 'closed') {
      Object.assign(issue, { state: 'open', stateReason: 'reopened', closedAt: null, closedBy: null, updatedAt: at });
      this.onChange({ event: 'issues', action: 'reopened', issue, sender: by });
    } else if (patch.stateReason !== undefined && issue.state === 'closed' && patch.stateReason !== 'reopened') {
      // Closing a closed issue again only changes its reason (GitHub answers 200 either way).
      issue.stateReason = patch.stateReason;
    }
    issue.updatedAt = at;
  }

  /** Adds an assignee (GitHub keeps up to 10); assigning someone already assigned changes nothing. */
  assign(issue: IssueRecord, assignee: UserRecord, by: UserRecord): void {
    if (issue.assignees.some((user) => user.id === assignee.id)) return;
    issue.assignees.push(assignee);
    issue.updatedAt = this.now();
    this.onChange({ event: 'issues', action: 'assigned', issue, sender: by, assignee });
  }

  addComment(issue: IssueRecord, by: UserRecord, body: string): CommentRecord {
    const at = this.now();
    const comment: CommentRecord = { id: this.id(), body, user: by, createdAt: at, updatedAt: at };
    issue.comments.push(comment);
    issue.updatedAt = at;
    this.onChange({ event: 'issue_comment', action: 'created', issue, sender: by, comment });
    return comment;
  }
}

function uniqueLabels(labels: LabelRecord[]): LabelRecord[] {
  return [...new Map(labels.map((label) => [label.id, label])).values()];
}
