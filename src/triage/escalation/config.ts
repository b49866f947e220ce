import { z } from 'zod';
import { envBoolean } from '../../config/env-boolean.js';
import { secret } from '../../config/secrets.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const LEVELS = ['urgent', 'high', 'normal', 'low'] as const;
/**
 * What ends an escalation's remaining steps: `replied` — a public agent reply to the customer (or
 * an acknowledgement, or resolving); `acknowledged` — someone took it (or resolved it); `resolved`.
 */
export const STOP_WHEN = ['replied', 'acknowledged', 'resolved'] as const;
export type StopWhen = (typeof STOP_WHEN)[number];

/** "0", "15m", "2h", "1d", or a number of minutes. */
const delay = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = String(value).trim();
  const match = /^(\d+(?:\.\d+)?)\s*(m|min|h|d)?$/.exec(text);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `must be a delay such as 0, 15m, 2h or 1d (got "${text}")` });
    return z.NEVER;
  }
  const minutes = Number(match[1]) * (match[2] === 'h' ? 60 : match[2] === 'd' ? 1440 : 1);
  if (minutes > 30 * 1440) {
    ctx.addIssue({ code: 'custom', message: 'must be at most 30 days' });
    return z.NEVER;
  }
  return minutes;
});

const step = z.strictObject({
  /** Minutes after the escalation opened (not after the previous step). */
  after: delay,
  /** Target ids: `email` (built in) or an integration with the escalation capability (github, slack, pagerduty). */
  targets: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a target id such as github, email, slack, pagerduty')).min(1, 'must name at least one target'),
  /** Overrides the policy's `until` for this step. */
  until: z.enum(STOP_WHEN).optional(),
});

const policy = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be lowercase letters, digits, - and _'),
    /** Conversations this policy escalates: any of these levels, and (when given) any of these categories. */
    match: z.strictObject({
      levels: z.array(z.enum(LEVELS)).min(1, 'must name at least one level').default(['urgent']),
      categories: z.array(z.string().regex(/^[a-z][a-z_]*$/)).default([]),
    }).prefault({}),
    steps: z.array(step).min(1, 'must have at least one step'),
    /**
     * When the remaining steps stop. Unset: `replied` for a conversation's escalation (the
     * customer has their answer), `acknowledged` for an incident's (one reply does not fix an
     * outage).
     */
    until: z.enum(STOP_WHEN).optional(),
  })
  .superRefine((p, ctx) => {
    p.steps.forEach((s, i) => {
      if (i > 0 && s.after < p.steps[i - 1]!.after) ctx.addIssue({ code: 'custom', path: ['steps', i, 'after'], message: 'steps must be in order of their delay' });
    });
  });

export type EscalationPolicy = z.output<typeof policy>;

/**
 * The default for a hub with no policies configured: urgent conversations open a GitHub issue at
 * once, notify on-call by email and Slack if nobody has replied to the customer (or acknowledged)
 * within 15 minutes, and page after 30; an incident's steps run until acknowledged. Targets that are not configured are left out of it (an explicit policy naming one is
 * a boot error instead).
 */
export const DEFAULT_POLICY: EscalationPolicy = {
  name: 'urgent',
  match: { levels: ['urgent'], categories: [] },
  steps: [
    { after: 0, targets: ['github'] },
    { after: 15, targets: ['email', 'slack'] },
    { after: 30, targets: ['pagerduty'] },
  ],
};

/** When an escalation's step stops: its own `until`, else its policy's, else by what is escalated. */
export function stopWhen(policy: EscalationPolicy, step: EscalationPolicy['steps'][number], escalates: 'conversation' | 'incident'): StopWhen {
  return step.until ?? policy.until ?? (escalates === 'incident' ? 'acknowledged' : 'replied');
}

export const escalationSchema = z
  .object({
    /** Ordered: the first policy whose match fits a conversation is its policy. Empty = DEFAULT_POLICY. */
    policies: z.array(policy).default([]),
    /** Built-in email target: where escalations are mailed when the on-call schedule names nobody with an email. */
    oncallEmail: z.email('must be an email address').optional(),
    /** Signs the acknowledge links mailed to on-call (default: HUB_LINK_SECRET). */
    linkSecret: secret(z.string().min(16, 'must be at least 16 characters').optional()),
    linkTtlMinutes: int(5, 7 * 1440).default(24 * 60),
    /** How often due steps are looked for (they are stored, so a restart loses none). */
    tickSeconds: int(1, 300).default(5),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.policies.forEach((p, i) => {
      if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: `policy "${p.name}" is defined twice` });
      names.add(p.name);
    });
  })
  .prefault({});

export const incidentsSchema = z
  .object({
    /** Triage categories whose conversations cluster into incidents: reports of one outage, not separate problems. */
    categories: z.array(z.string().regex(/^[a-z][a-z_]*$/)).default(['outage']),
    /** A report joins an open incident of its category last reported within this many minutes. */
    windowMinutes: int(1, 24 * 60).default(30),
    /** Affected customers hear from us at least this often while the incident is open. */
    updateEveryMinutes: int(15, 24 * 60).default(60),
    /**
     * The status banner goes up by itself once this many different customers reported the incident
     * (0: only when staff publish it). Three: one report is a customer, three is a pattern.
     */
    publishAfterReports: int(0, 10_000).default(3),
  })
  .prefault({});

export const acknowledgeSchema = z
  .object({
    enabled: envBoolean.default(true),
    /** Automatic messages (acknowledgements, incident updates) one sender may get in the window; beyond it, none. */
    perSenderLimit: int(1, 1000).default(10),
    perSenderWindowMinutes: int(1, 7 * 1440).default(180),
    /** Signs automatic messages ("— The Acme support team"). */
    teamName: z.string().min(1).max(200).default('The support team'),
    /** A directory whose files replace the templates in views/acknowledgement/ of the same name. */
    templateDir: z.string().min(1).optional(),
  })
  .prefault({});

export type EscalationConfig = z.output<typeof escalationSchema>;
export type IncidentsConfig = z.output<typeof incidentsSchema>;
export type AcknowledgeConfig = z.output<typeof acknowledgeSchema>;

export const escalationEnv = [
  { env: 'ONCALL_EMAIL', path: ['escalation', 'oncallEmail'], description: 'Escalations are mailed here (with a signed acknowledge link) when the on-call schedule names nobody with an email' },
  { env: 'ESCALATION_LINK_SECRET', path: ['escalation', 'linkSecret'], description: 'Signs the acknowledge links in escalation mail (default: HUB_LINK_SECRET); needs HUB_PUBLIC_URL' },
  { env: 'ESCALATION_LINK_TTL_MINUTES', path: ['escalation', 'linkTtlMinutes'], description: 'How long an acknowledge link works' },
  { env: 'ESCALATION_TICK_SECONDS', path: ['escalation', 'tickSeconds'], description: 'How often due escalation steps and incident updates are looked for' },
  { env: 'INCIDENT_WINDOW_MINUTES', path: ['incidents', 'windowMinutes'], description: 'Outage reports within this many minutes of the last one join the same incident' },
  { env: 'INCIDENT_UPDATE_EVERY_MINUTES', path: ['incidents', 'updateEveryMinutes'], description: 'Customers of an open incident get an update at least this often' },
  { env: 'INCIDENT_PUBLISH_AFTER_REPORTS', path: ['incidents', 'publishAfterReports'], description: 'An open incident is shown in the widget and /v1/availability once this many different customers reported it (0: only when staff publish it)' },
  { env: 'ACK_ENABLED', path: ['acknowledge', 'enabled'], description: 'Acknowledge every new conversation with an honest reply-time promise' },
  { env: 'ACK_PER_SENDER_LIMIT', path: ['acknowledge', 'perSenderLimit'], description: 'Most automatic messages one sender gets per window (ACK_PER_SENDER_WINDOW_MINUTES)' },
  { env: 'ACK_PER_SENDER_WINDOW_MINUTES', path: ['acknowledge', 'perSenderWindowMinutes'], description: 'The window of ACK_PER_SENDER_LIMIT' },
  { env: 'ACK_TEAM_NAME', path: ['acknowledge', 'teamName'], description: 'Signature of acknowledgements and incident updates' },
  { env: 'ACK_TEMPLATE_DIR', path: ['acknowledge', 'templateDir'], description: 'Directory of templates replacing those in views/acknowledgement/ with the same name' },
];
