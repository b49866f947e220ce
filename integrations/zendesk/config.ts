import { z } from 'zod';
import { secret } from '../../src/config/secrets.js';
import type { EnvShorthand } from '../../src/capabilities/integration.js';
import { parseRateLimit } from '../../src/vendors/rate-budget.js';

const rateLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((text) => {
      try {
        parseRateLimit(text);
        return true;
      } catch {
        return false;
      }
    }, 'must look like 200/60 (requests per seconds)');

/**
 * Zendesk settings. Credentials are either an API token (with the agent's email: Basic
 * `{email}/token:{token}`) or an OAuth access token (Bearer). `requires` in the capability can only
 * say "all of these keys", so it names the subdomain and the webhook secret, and the "one of the
 * two credential forms" rule lives here, where it fails boot with a message naming the keys.
 * The sidebar app needs only `sidebarToken`: with nothing else set, the helpdesk stays off and the
 * refinement below asks for nothing.
 */
export const zendeskConfigSchema = z
  .object({
    subdomain: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/i, 'must be the account name before .zendesk.com, e.g. acme')
      .optional(),
    email: z.email().optional(),
    apiToken: secret(z.string().min(1).optional()),
    oauthToken: secret(z.string().min(1).optional()),
    webhookSecret: secret(z.string().min(1).optional()),
    apiBase: z.url().optional(),
    rateLimit: rateLimit('200/60'),
    updateTicketRateLimit: rateLimit('100/60'),
    perTicketUpdateLimit: rateLimit('30/600'),
    exportRateLimit: rateLimit('10/60'),
    searchLagSeconds: z.coerce.number().int().min(0).max(3600).default(60),
    /**
     * Bearer token the sidebar app sends through Zendesk's secure-settings proxy. It is all that
     * proves a card request comes from the app, so it must be long and random.
     */
    sidebarToken: secret(
      z
        .string()
        .trim()
        .min(32, 'must be at least 32 characters: it is a bearer token, generate one with `openssl rand -hex 32`')
        .max(512, 'must be at most 512 characters')
        .optional(),
    ),
  })
  .superRefine((config, ctx) => {
    const tokenAuth = Boolean(config.apiToken || config.email);
    if (!config.subdomain) {
      if (tokenAuth || config.oauthToken) ctx.addIssue({ code: 'custom', path: ['subdomain'], message: 'is required when Zendesk credentials are set' });
      return;
    }
    if (config.oauthToken && config.apiToken) {
      ctx.addIssue({ code: 'custom', path: ['oauthToken'], message: 'set either an OAuth token or an API token (with the email), not both' });
      return;
    }
    if (config.oauthToken) return;
    if (!config.email) ctx.addIssue({ code: 'custom', path: ['email'], message: 'is required with the subdomain (the agent the API token belongs to), unless an OAuth token is set' });
    if (!config.apiToken) ctx.addIssue({ code: 'custom', path: ['apiToken'], message: 'is required with the subdomain, unless an OAuth token is set' });
  });

export type ZendeskConfig = z.infer<typeof zendeskConfigSchema>;

export const zendeskEnv: EnvShorthand[] = [
  { env: 'ZENDESK_SUBDOMAIN', key: 'subdomain', description: 'Zendesk account name (`acme` for acme.zendesk.com); turns on the Zendesk helpdesk' },
  { env: 'ZENDESK_EMAIL', key: 'email', description: 'Email of the Zendesk agent or admin the API token belongs to (the hub writes as this user; an admin also lets reconciliation use the incremental export)' },
  { env: 'ZENDESK_API_TOKEN', key: 'apiToken', description: 'Zendesk API token (Admin Center › Apps and integrations › Zendesk API)' },
  { env: 'ZENDESK_OAUTH_TOKEN', key: 'oauthToken', description: 'OAuth access token (read/write scope), instead of email + API token' },
  { env: 'ZENDESK_WEBHOOK_SECRET', key: 'webhookSecret', description: 'Signing secret of the Zendesk webhook that posts ticket events to /webhooks/zendesk' },
  { env: 'ZENDESK_API_BASE', key: 'apiBase', description: 'API base URL override (tests, proxies); default https://{subdomain}.zendesk.com' },
  {
    env: 'ZENDESK_RATE_LIMIT',
    key: 'rateLimit',
    description: 'Account-wide API limit as requests/seconds; plan dependent (Team 200/60, Growth and Professional 400/60, Enterprise 700/60)',
  },
  { env: 'ZENDESK_UPDATE_TICKET_RATE_LIMIT', key: 'updateTicketRateLimit', description: 'Update Ticket endpoint limit as requests/seconds (Zendesk: 100 per minute per account)' },
  {
    env: 'ZENDESK_PER_TICKET_UPDATE_LIMIT',
    key: 'perTicketUpdateLimit',
    description: 'Updates the API user may make to one ticket, as updates/seconds (Zendesk: 30 per 10 minutes per user per ticket); lines of a busy chat are combined to stay under it',
  },
  { env: 'ZENDESK_EXPORT_RATE_LIMIT', key: 'exportRateLimit', description: 'Incremental Ticket Export requests/seconds (Zendesk: 10 per minute), used by the reconciliation poll' },
  {
    env: 'ZENDESK_SEARCH_LAG_SECONDS',
    key: 'searchLagSeconds',
    description: 'How long a new ticket may stay invisible to lookup by external_id; a lost create is not retried before this',
  },
  {
    env: 'ZENDESK_SIDEBAR_TOKEN',
    key: 'sidebarToken',
    description:
      'Bearer token of the Zendesk sidebar app (entered as its secure `hub_token` setting) that calls `POST /sidebar/zendesk`; at least 32 characters (`openssl rand -hex 32`); enough on its own for the sidebar',
  },
];
