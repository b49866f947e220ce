import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Typed view of the tables in migrations/. Times are UTC timestamptz; JSON columns are jsonb. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type ChannelKind = 'chat' | 'email' | 'helpdesk';
export type ConversationStatus = 'open' | 'pending' | 'closed';
export type MessageDirection = 'inbound' | 'outbound';
export type AuthorKind = 'customer' | 'agent' | 'system';

export interface AttachmentRef {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  /** Where the bytes live (e.g. `file:attachments/…` under the data dir, or a vendor URL). */
  location: string;
}

export interface ContactsTable {
  id: string;
  identity_kind: string;
  identity_key: string;
  email: string | null;
  name: string | null;
  verified: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConversationsTable {
  id: string;
  contact_id: string;
  channel: ChannelKind;
  source: string;
  thread_key: string;
  subject: string | null;
  status: ColumnType<ConversationStatus, ConversationStatus | undefined, ConversationStatus>;
  metadata: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_message_at: Timestamp;
  first_agent_reply_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface MessagesTable {
  id: string;
  position: Generated<number>;
  conversation_id: string;
  direction: MessageDirection;
  author_kind: AuthorKind;
  author_name: string | null;
  text: string;
  html: string | null;
  attachments: Json<AttachmentRef[]>;
  source: string;
  source_message_id: string;
  metadata: Json<Record<string, unknown>>;
  created_at: Timestamp;
  delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  read_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ExternalRefsTable {
  integration_id: string;
  entity_kind: 'conversation' | 'message' | 'contact';
  entity_id: string;
  external_id: string;
  metadata: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface DeliveriesTable {
  source: string;
  delivery_id: string;
  received_at: Timestamp;
}

export interface JobEffectsTable {
  key: string;
  job_name: string;
  created_at: Timestamp;
}

export interface OpsProbesTable {
  probe_id: string;
  handled_by: string;
  created_at: Timestamp;
}

export interface ChatSessionsTable {
  id: string;
  token_hash: string;
  app_id: string;
  user_kind: 'identified' | 'anonymous';
  user_id: string;
  contact_id: string;
  device: Json<Record<string, unknown>>;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ChatPushTokensTable {
  app_id: string;
  token: string;
  platform: string;
  contact_id: string;
  session_id: string;
  updated_at: Timestamp;
}

export interface AttachmentsTable {
  id: string;
  contact_id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  content: Buffer;
  created_at: Timestamp;
}

export interface TriageResultsTable {
  conversation_id: string;
  message_id: string;
  level: 'urgent' | 'high' | 'normal' | 'low';
  score: number;
  confidence: 'high' | 'medium' | 'low';
  evidence: Json<unknown[]>;
  classified_text: string;
  classified_at: Timestamp;
}

export interface MailMessageIdsTable {
  mailbox: string;
  message_id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  raw: Buffer | null;
  hub_message_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface ImapStateTable {
  account: string;
  /** bigint: a string from pg, a number or bigint from PGlite — read it with Number() (IMAP values are 32-bit). */
  uid_validity: ColumnType<string | number | bigint, string | number, string | number>;
  last_uid: ColumnType<string | number | bigint, string | number, string | number>;
  updated_at: Timestamp;
}

export interface IntegrationStateTable {
  integration_id: string;
  status: ColumnType<'active' | 'needs_reauth', 'active' | 'needs_reauth' | undefined, 'active' | 'needs_reauth'>;
  auth_failures: ColumnType<number, number | undefined, number>;
  reason: Nullable<string>;
  changed_at: Timestamp;
  reconciled_through: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  next_reconcile_at: Timestamp;
}

export interface RateBucketsTable {
  key: string;
  tokens: number;
  updated_at: Timestamp;
}

/** The write in flight for a conversation, recorded before the call so a lost response can be looked up. */
export interface PendingWrite {
  kind: 'create' | 'append' | 'note' | 'triage' | 'reply' | 'incident';
  /** Message ids (create/append) or the note/triage/reply key. */
  items: string[];
  /** When the write was planned; after an unknown outcome, when the failure was seen (the request left no later). */
  startedAt: string;
  /** The triage note as sent, so a lookup after a lost answer matches it even if triage moved on. */
  text?: string;
}

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** A hub incident's problem record at a helpdesk with `incidentLinks: 'problem'` (src/sync/problem.ts). */
export interface SyncProblemsTable {
  integration_id: string;
  incident_id: string;
  /** The vendor's id of the problem ticket (null until made). */
  external_id: Nullable<string>;
  /** A create was sent and its answer not recorded: look it up by the incident before sending again. */
  create_started_at: Nullable<Date>;
  solved_at: Nullable<Date>;
  lease_owner: Nullable<string>;
  lease_until: Nullable<Date>;
  last_error: Nullable<string>;
  updated_at: Timestamp;
}

export interface SyncConversationsTable {
  integration_id: string;
  conversation_id: string;
  external_id: Nullable<string>;
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  dirty: ColumnType<boolean, boolean | undefined, boolean>;
  lease_owner: Nullable<string>;
  lease_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  pending_write: ColumnType<PendingWrite | null, string | null | undefined, string | null>;
  triage_pushed: Nullable<string>;
  /** The hub incident the helpdesk shows this conversation in (null: none), for adapters with incidentLinks. */
  incident_pushed: Nullable<string>;
  last_error: Nullable<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SyncPushedTable {
  integration_id: string;
  item_id: string;
  conversation_id: string;
  thread_id: Nullable<string>;
  pushed_at: Timestamp;
}

export type UrgencyLevelColumn = 'urgent' | 'high' | 'normal' | 'low';
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface AcknowledgementsTable {
  conversation_id: string;
  contact_id: string;
  decision: 'sent' | 'skipped';
  reason: Nullable<string>;
  message_id: Nullable<string>;
  level: UrgencyLevelColumn;
  basis: Nullable<string>;
  received_at: Timestamp;
  due_at: NullableTime;
  promise: Nullable<string>;
  promise_for_agents: Nullable<string>;
  text: Nullable<string>;
  incident_id: Nullable<string>;
  first_reply_at: NullableTime;
  first_reply_business_minutes: Nullable<number>;
  kept: Nullable<boolean>;
  created_at: Timestamp;
  /** The team whose time was promised (src/team/teams.ts); null: before teams, the default team. */
  team: Nullable<string>;
}

export interface IncidentsTable {
  id: string;
  number: Generated<number>;
  category: string;
  title: string;
  status: 'open' | 'resolved' | 'merged';
  merged_into: Nullable<string>;
  opened_at: Timestamp;
  last_seen_at: Timestamp;
  next_update_at: NullableTime;
  updates_sent: Generated<number>;
  resolved_at: NullableTime;
  resolution: Nullable<string>;
  /** The status banner: shown while open and published; staff's decision (who) outranks the threshold. */
  published_at: NullableTime;
  banner_set_by: Nullable<string>;
  public_title: Nullable<string>;
  public_message: Nullable<string>;
  public_updated_at: NullableTime;
}

export interface IncidentBannerViewsTable {
  incident_id: string;
  contact_id: string;
  seen_at: Timestamp;
}

export interface IncidentConversationsTable {
  conversation_id: string;
  incident_id: string;
  added_at: Timestamp;
  added_by: string;
}

export type EscalationStatus = 'open' | 'acknowledged' | 'resolved';

export interface EscalationsTable {
  id: string;
  conversation_id: Nullable<string>;
  incident_id: Nullable<string>;
  policy: string;
  level: UrgencyLevelColumn;
  category: Nullable<string>;
  title: string;
  status: EscalationStatus;
  opened_at: Timestamp;
  acknowledged_at: NullableTime;
  acknowledged_by: Nullable<string>;
  resolved_at: NullableTime;
  resolved_by: Nullable<string>;
  /** The first public agent reply to the customer after the escalation opened. */
  replied_at: NullableTime;
  replied_by: Nullable<string>;
}

export interface EscalationStepsTable {
  escalation_id: string;
  step: number;
  due_at: Timestamp;
  targets: Json<string[]>;
  until: 'replied' | 'acknowledged' | 'resolved';
  status: 'scheduled' | 'queued' | 'done' | 'cancelled';
  ran_at: NullableTime;
}

export interface EscalationTargetsTable {
  escalation_id: string;
  step: number;
  target: string;
  state: 'pending' | 'opened' | 'failed';
  attempts: Generated<number>;
  external_id: Nullable<string>;
  url: Nullable<string>;
  last_error: Nullable<string>;
  opened_at: NullableTime;
}

export interface EscalationEventsTable {
  id: string;
  escalation_id: string;
  at: Timestamp;
  kind: string;
  detail: Json<Record<string, unknown>>;
}

export interface UsedLinksTable {
  link_id: string;
  used_at: Timestamp;
}

export interface HelpdeskNotesTable {
  id: string;
  conversation_id: string;
  key: string;
  text: string;
  created_at: Timestamp;
}

export type StaffRole = 'admin' | 'triage' | 'viewer';

export interface StaffUsersTable {
  id: string;
  email: string;
  name: Nullable<string>;
  role: StaffRole;
  password_hash: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  disabled_at: NullableTime;
}

export interface StaffSessionsTable {
  id_hash: string;
  user_id: Nullable<string>;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface StaffDevicesTable {
  token_hash: string;
  user_id: string;
  created_at: Timestamp;
  last_used_at: Timestamp;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: Timestamp;
  locked_until: NullableTime;
}

export interface TriageOverridesTable {
  id: string;
  seq: Generated<string>;
  conversation_id: string;
  from_level: UrgencyLevelColumn;
  to_level: UrgencyLevelColumn;
  reason: string;
  classified_text: string;
  evidence: Json<unknown[]>;
  staff_user_id: Nullable<string>;
  staff_email: string;
  created_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  staff_user_id: Nullable<string>;
  staff_email: Nullable<string>;
  action: string;
  subject_kind: Nullable<string>;
  subject_id: Nullable<string>;
  detail: Json<Record<string, unknown>>;
  ip: Nullable<string>;
}

export interface HubMigrationsTable {
  version: number;
  name: string;
  applied_at: Timestamp;
}

export interface PrivacyRequestsTable {
  id: string;
  kind: 'erase';
  state: 'pending' | 'helpdesks' | 'done';
  subject: string;
  reason: string;
  requested_by: string;
  requested_at: Timestamp;
  hub_erased_at: NullableTime;
  finished_at: NullableTime;
  report: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface PrivacyHelpdeskStepsTable {
  request_id: string;
  integration_id: string;
  person: ColumnType<unknown, string | null, string | null>;
  state: 'pending' | 'done' | 'unsupported';
  attempts: Generated<number>;
  done: ColumnType<string[], string | undefined, string>;
  manual: ColumnType<string[], string | undefined, string>;
  last_error: Nullable<string>;
  finished_at: NullableTime;
}

export interface HubDatabase {
  contacts: ContactsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  external_refs: ExternalRefsTable;
  deliveries: DeliveriesTable;
  job_effects: JobEffectsTable;
  ops_probes: OpsProbesTable;
  hub_migrations: HubMigrationsTable;
  chat_sessions: ChatSessionsTable;
  chat_push_tokens: ChatPushTokensTable;
  attachments: AttachmentsTable;
  triage_results: TriageResultsTable;
  mail_message_ids: MailMessageIdsTable;
  imap_state: ImapStateTable;
  integration_state: IntegrationStateTable;
  rate_buckets: RateBucketsTable;
  sync_conversations: SyncConversationsTable;
  sync_problems: SyncProblemsTable;
  sync_pushed: SyncPushedTable;
  acknowledgements: AcknowledgementsTable;
  incidents: IncidentsTable;
  incident_conversations: IncidentConversationsTable;
  escalations: EscalationsTable;
  escalation_steps: EscalationStepsTable;
  incident_banner_views: IncidentBannerViewsTable;
  escalation_targets: EscalationTargetsTable;
  escalation_events: EscalationEventsTable;
  used_links: UsedLinksTable;
  privacy_requests: PrivacyRequestsTable;
  privacy_helpdesk_steps: PrivacyHelpdeskStepsTable;
  helpdesk_notes: HelpdeskNotesTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  login_throttle: LoginThrottleTable;
  staff_devices: StaffDevicesTable;
  triage_overrides: TriageOverridesTable;
  audit_log: AuditLogTable;
}

export type Contact = Selectable<ContactsTable>;
export type Conversation = Selectable<ConversationsTable>;
export type Message = Selectable<MessagesTable>;
export type ChatSession = Selectable<ChatSessionsTable>;
export type Attachment = Selectable<AttachmentsTable>;
export type NewMessage = Insertable<MessagesTable>;
