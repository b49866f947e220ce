import type { Migration } from './index.js';

/** The canonical model (ARCHITECTURE §5). Plain PostgreSQL 15 SQL: it runs on PGlite and servers. */
export const core: Migration = {
  version: 1,
  name: 'core',
  statements: [
    `CREATE TABLE contacts (
      id uuid PRIMARY KEY,
      identity_kind text NOT NULL,
      identity_key text NOT NULL,
      email text,
      name text,
      verified boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT contacts_identity_key UNIQUE (identity_kind, identity_key)
    )`,
    `CREATE INDEX contacts_email_idx ON contacts (lower(email))`,
    `CREATE TABLE conversations (
      id uuid PRIMARY KEY,
      contact_id uuid NOT NULL REFERENCES contacts (id),
      channel text NOT NULL CHECK (channel IN ('chat', 'email', 'helpdesk')),
      source text NOT NULL,
      thread_key text NOT NULL,
      subject text,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      last_message_at timestamptz NOT NULL DEFAULT now(),
      first_agent_reply_at timestamptz,
      CONSTRAINT conversations_thread_key UNIQUE (source, thread_key)
    )`,
    `CREATE INDEX conversations_contact_idx ON conversations (contact_id, last_message_at DESC)`,
    `CREATE TABLE messages (
      id uuid PRIMARY KEY,
      position bigint GENERATED ALWAYS AS IDENTITY,
      conversation_id uuid NOT NULL REFERENCES conversations (id),
      direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      author_kind text NOT NULL CHECK (author_kind IN ('customer', 'agent', 'system')),
      author_name text,
      text text NOT NULL,
      html text,
      attachments jsonb NOT NULL DEFAULT '[]',
      source text NOT NULL,
      source_message_id text NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz,
      read_at timestamptz,
      CONSTRAINT messages_source_key UNIQUE (source, source_message_id)
    )`,
    `CREATE INDEX messages_conversation_idx ON messages (conversation_id, position)`,
    `CREATE TABLE external_refs (
      integration_id text NOT NULL,
      entity_kind text NOT NULL CHECK (entity_kind IN ('conversation', 'message', 'contact')),
      entity_id uuid NOT NULL,
      external_id text NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (integration_id, entity_kind, entity_id),
      CONSTRAINT external_refs_external_key UNIQUE (integration_id, entity_kind, external_id)
    )`,
    `CREATE TABLE deliveries (
      source text NOT NULL,
      delivery_id text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source, delivery_id)
    )`,
    // The ledger that makes a job's local side effect happen once: the effect and its key are
    // written in one transaction, so a retried job sees the key and skips.
    `CREATE TABLE job_effects (
      key text PRIMARY KEY,
      job_name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    // Deliberately without a unique constraint: a duplicated probe effect must show.
    `CREATE TABLE ops_probes (
      probe_id text NOT NULL,
      handled_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  ],
};
