import { z } from 'zod';
import { defineIntegration } from '../../src/capabilities/integration.js';
import { secret } from '../../src/config/secrets.js';
import { helpScoutSidebar } from '../../src/sidebar/helpscout.js';
import { helpScoutApp } from '../../src/sidebar/helpscout-app.js';
import { parseRateLimit } from '../../src/vendors/rate-budget.js';
import { uniqueAddresses } from '../../src/sidebar/addresses.js';
import { HelpScoutClient } from './client.js';
import { HelpScoutHelpdesk } from './helpdesk.js';
import { HelpScoutReads } from './reads.js';

/**
 * Help Scout (Mailbox API v2). The helpdesk capability needs the OAuth app (client credentials)
 * and the mailbox; webhooks additionally need the secret entered in Help Scout's Webhooks app.
 * The sidebar comes in two kinds: the App Developer Platform app (`appSecret`; Help Scout frames
 * `GET /sidebar/helpscout/app`, the default for new apps) and the legacy Dynamic App
 * (`sidebarSecret`; Help Scout POSTs to `/sidebar/helpscout`). Each needs only its own secret; with
 * the OAuth app configured too, the new app reads the conversation's customer from the Mailbox API.
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
  // App Developer Platform app: the Secret Key entered under Manage › Apps › the app. Help Scout
  // states no length for it; 16 characters is our floor for an HMAC key (doctor says how to make one).
  appSecret: secret(z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 20)').max(200).optional()),
  /** The Callback URL exactly as entered in Help Scout, when it carries query parameters of its own (they are not signed). */
  appCallbackUrl: z.url().optional(),
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
      description: 'Secret key of the legacy Help Scout Dynamic App that calls `POST /sidebar/helpscout` (at most 40 characters); enough on its own for that sidebar',
    },
    {
      env: 'HELPSCOUT_APP_SECRET',
      key: 'appSecret',
      description: 'Secret Key of the Help Scout app (App Developer Platform, Manage › Apps) whose Callback URL is `/sidebar/helpscout/app`; enough on its own for the sidebar',
    },
    {
      env: 'HELPSCOUT_APP_CALLBACK_URL',
      key: 'appCallbackUrl',
      description: 'The app’s Callback URL as entered in Help Scout, only when it has query parameters of its own (Help Scout does not sign those)',
    },
    {
      env: 'HELPSCOUT_SIDEBAR_MAILBOX_IDS',
      key: 'sidebarMailboxIds',
      description: 'Comma-separated Help Scout mailbox ids the sidebar card is shown in (both kinds of app); unset = every mailbox the app is installed in',
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
    sidebarApp: {
      requires: ['appSecret'],
      create(config, context) {
        // With the OAuth app, the customer is whoever Help Scout says the conversation's is.
        const reads =
          config.clientId && config.clientSecret
            ? new HelpScoutReads(
                new HelpScoutClient({
                  clientId: config.clientId,
                  clientSecret: config.clientSecret,
                  apiBase: config.apiBase,
                  rateLimit: parseRateLimit(config.rateLimit),
                  store: context.store,
                  log: context.log.child({ integration: 'helpscout', part: 'sidebar-app' }),
                  ...(context.onVendorRequest ? { onRequest: (method: string, path: string, status: number | null) => context.onVendorRequest!('helpscout', method, path, status) } : {}),
                }),
                config.mailboxId ?? 0,
              )
            : null;
        return helpScoutApp({
          secret: config.appSecret!,
          mailboxIds: config.sidebarMailboxIds ?? [],
          callbackUrl: config.appCallbackUrl,
          ...(reads
            ? {
                async customerOf(conversationId: string, signal?: AbortSignal) {
                  const conversation = await reads.conversation(conversationId, signal);
                  if (!conversation) return null;
                  const person = conversation.primaryCustomer;
                  const name = [person?.first, person?.last].filter((part): part is string => !!part).join(' ');
                  return { emails: uniqueAddresses([person?.email]), name: name || null };
                },
              }
            : {}),
        });
      },
    },
  },
});
