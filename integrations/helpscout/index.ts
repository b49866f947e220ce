import { z } from 'zod';
import { defineIntegration } from '../../src/capabilities/integration.js';
import { secret } from '../../src/config/secrets.js';
import { helpScoutSidebar } from '../../src/sidebar/helpscout.js';
import { parseRateLimit } from '../../src/vendors/rate-budget.js';
import { HelpScoutClient } from './client.js';
import { HelpScoutHelpdesk } from './helpdesk.js';

/**
 * Help Scout (Mailbox API v2). The helpdesk capability needs the OAuth app (client credentials)
 * and the mailbox; webhooks additionally need the secret entered in Help Scout's Webhooks app.
 * The Dynamic App sidebar needs only its own `sidebarSecret` (no Mailbox API access at all).
 */

/** "123, 456" from the environment, or a list in the config file. */
const mailboxIdList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((id) => id.trim()).filter(Boolean) : value),
  z.array(z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^\d+$/, 'mailbox ids are numbers (the id in the mailbox settings URL)'))),
);

export const helpscoutConfigSchema = z.object({
  clientId: z.string().min(1).optional(),
  clientSecret: secret(z.string().min(1).optional()),
  mailboxId: z.coerce.number().int().positive().optional(),
  // Help Scout: "a randomly-generated string of 40 characters or less" (…/webhooks/update).
  webhookSecret: secret(z.string().min(1).max(40, 'Help Scout webhook secrets are at most 40 characters').optional()),
  apiBase: z.url().default('https://api.helpscout.net/v2'),
  rateLimit: z
    .string()
    .default('400/60')
    .refine((text) => {
      try {
        parseRateLimit(text);
        return true;
      } catch {
        return false;
      }
    }, 'must look like 400/60 (request units per seconds; writes count 2)'),
  searchLagSeconds: z.coerce.number().int().min(0).max(3600).default(60),
  /**
   * Who mails agent replies in email conversations the hub created. Help Scout documents silence
   * only for the importing request, so by default (`helpdesk`) those conversations are created as
   * normal ones, Help Scout mails agent replies, and the hub records them without a second copy.
   * `hub` (the hub mails them, threaded to the customer's own mail) creates them `imported`: set it
   * only after checking in your account that Help Scout stays silent on imported conversations.
   */
  emailReplies: z.enum(['hub', 'helpdesk']).default('helpdesk'),
  // Legacy Dynamic App: "a randomly generated (by you) 40-character or less string" (…/custom-apps/dynamic).
  sidebarSecret: secret(z.string().min(1).max(40, 'Help Scout app secret keys are at most 40 characters').optional()),
  /** Mailboxes the sidebar card is shown in; unset = every mailbox the app is installed in. */
  sidebarMailboxIds: mailboxIdList.optional(),
});

export type HelpScoutConfig = z.infer<typeof helpscoutConfigSchema>;

export const helpscout = defineIntegration({
  id: 'helpscout',
  name: 'Help Scout',
  configSchema: helpscoutConfigSchema,
  env: [
    { env: 'HELPSCOUT_CLIENT_ID', key: 'clientId', description: 'Help Scout OAuth app ID (Your Profile > My Apps), used with client credentials' },
    { env: 'HELPSCOUT_CLIENT_SECRET', key: 'clientSecret', description: 'Help Scout OAuth app secret' },
    { env: 'HELPSCOUT_MAILBOX_ID', key: 'mailboxId', description: 'Help Scout mailbox (inbox) id the hub creates conversations in (the number in its settings URL)' },
    {
      env: 'HELPSCOUT_WEBHOOK_SECRET',
      key: 'webhookSecret',
      description: 'Secret entered in Help Scout’s Webhooks app (at most 40 characters); without it Help Scout webhooks are rejected',
    },
    { env: 'HELPSCOUT_API_BASE', key: 'apiBase', description: 'Mailbox API base URL (default https://api.helpscout.net/v2; tests point it at a fake)' },
    {
      env: 'HELPSCOUT_RATE_LIMIT',
      key: 'rateLimit',
      description: 'The account’s API limit as units/seconds, shared by all hub processes (default 400/60; writes count 2; see your Help Scout plan)',
    },
    {
      env: 'HELPSCOUT_SEARCH_LAG_SECONDS',
      key: 'searchLagSeconds',
      description: 'How long Help Scout search may miss a new conversation: after a create whose answer was lost, the hub keeps looking this long before creating it again',
    },
    {
      env: 'HELPSCOUT_EMAIL_REPLIES',
      key: 'emailReplies',
      description:
        'Who mails agent replies in email conversations: `helpdesk` (default: Help Scout mails them; the hub sends no copy) or `hub` (threaded, from the hub; only once you have checked that Help Scout stays silent on imported conversations)',
    },
    {
      env: 'HELPSCOUT_SIDEBAR_SECRET',
      key: 'sidebarSecret',
      description: 'Secret key of the Help Scout Dynamic App that calls `POST /sidebar/helpscout` (at most 40 characters); enough on its own for the sidebar',
    },
    {
      env: 'HELPSCOUT_SIDEBAR_MAILBOX_IDS',
      key: 'sidebarMailboxIds',
      description: 'Comma-separated Help Scout mailbox ids the sidebar card is shown in; unset = every mailbox the app is installed in',
    },
  ],
  capabilities: {
    helpdesk: {
      requires: ['clientId', 'clientSecret', 'mailboxId'],
      create(config, context) {
        const client = new HelpScoutClient({
          clientId: config.clientId!,
          clientSecret: config.clientSecret!,
          apiBase: config.apiBase,
          rateLimit: parseRateLimit(config.rateLimit),
          store: context.store,
          log: context.log.child({ integration: 'helpscout' }),
          ...(context.onVendorRequest ? { onRequest: (method: string, path: string, status: number | null) => context.onVendorRequest!('helpscout', method, path, status) } : {}),
          ...(context.onVendorRateLimited ? { onRateLimited: (_method: string, _path: string, waitMs: number) => context.onVendorRateLimited!('helpscout', waitMs) } : {}),
        });
        if (!config.webhookSecret) context.log.warn('HELPSCOUT_WEBHOOK_SECRET is not set: Help Scout webhooks will be rejected (agent replies arrive by polling only)');
        return new HelpScoutHelpdesk(client, { mailboxId: config.mailboxId!, webhookSecret: config.webhookSecret, searchLagMs: config.searchLagSeconds * 1000, emailReplies: config.emailReplies });
      },
    },
    sidebar: {
      requires: ['sidebarSecret'],
      create: (config) => helpScoutSidebar({ secret: config.sidebarSecret!, mailboxIds: config.sidebarMailboxIds ?? [] }),
    },
  },
});
