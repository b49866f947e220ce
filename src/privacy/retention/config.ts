import { z } from 'zod';

/** Days to keep one kind of data; `0` or `off` keeps it forever. */
const keepDays = z.union([z.literal('off').transform(() => 0), z.coerce.number().int().min(0).max(36_500)]);

/**
 * How long the hub keeps each kind of customer data before the daily retention job removes it
 * (src/privacy/retention). The defaults are conservative: the bulky, rarely re-read copies (raw
 * MIME, attachment bytes) go after a year, audit rows after two, and message bodies stay — they
 * are the support record agents read, and how long to keep them is the operator's legal call.
 */
export const retentionSchema = z
  .object({
    /** Original MIME of inbound mail, by when it was received. */
    rawMimeDays: keepDays.default(365),
    /** Attachment bytes (name, type and size stay), by when they were stored. */
    attachmentDays: keepDays.default(365),
    /** Message bodies of closed conversations, by the conversation's last change (see bodies.ts). */
    closedConversationBodyDays: keepDays.default(0),
    /** Rows of the audit log, by when they were written. */
    auditDays: keepDays.default(730),
    /** Hour (UTC) the daily run is due; a hub that was down then runs it when it next starts. */
    runHourUtc: z.coerce.number().int().min(0).max(23).default(3),
  })
  // A mail's MIME is received no later than its conversation's last change, so this order removes
  // the MIME copy of a body no later than the body itself.
  .refine((c) => c.closedConversationBodyDays === 0 || (c.rawMimeDays > 0 && c.rawMimeDays <= c.closedConversationBodyDays), {
    path: ['rawMimeDays'],
    message: 'must be on and at most closedConversationBodyDays (RETENTION_CLOSED_BODY_DAYS) when bodies are removed: the raw MIME holds the same bodies',
  })
  .prefault({});

export type RetentionConfig = z.infer<typeof retentionSchema>;

export const retentionEnv = [
  { env: 'RETENTION_RAW_MIME_DAYS', path: ['retention', 'rawMimeDays'], description: 'Days the original MIME of inbound mail is kept (`0` or `off` = forever)' },
  {
    env: 'RETENTION_ATTACHMENT_DAYS',
    path: ['retention', 'attachmentDays'],
    description: 'Days attachment bytes are kept; name, type and size stay and downloads answer 410 (`0` or `off` = forever)',
  },
  {
    env: 'RETENTION_CLOSED_BODY_DAYS',
    path: ['retention', 'closedConversationBodyDays'],
    description: 'Days after its last change a closed conversation keeps its message bodies (`0` or `off` = forever)',
  },
  { env: 'RETENTION_AUDIT_DAYS', path: ['retention', 'auditDays'], description: 'Days audit log rows are kept (`0` or `off` = forever)' },
  { env: 'RETENTION_RUN_HOUR_UTC', path: ['retention', 'runHourUtc'], description: 'Hour (UTC) the daily retention job is due' },
];
