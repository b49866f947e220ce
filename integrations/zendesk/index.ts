import { defineIntegration, type IntegrationContext } from '../../src/capabilities/integration.js';
import { zendeskSidebar } from '../../src/sidebar/zendesk.js';
import { parseRateLimit } from '../../src/vendors/rate-budget.js';
import { ZendeskClient, type ZendeskAuth } from './client.js';
import { zendeskConfigSchema, zendeskEnv, type ZendeskConfig } from './config.js';
import type { ZendeskErasureTiming } from './erase.js';
import { ZendeskHelpdesk } from './helpdesk.js';
import { MAX_ATTACHMENT_BYTES } from './mapper.js';

/** Internal knobs for tests (not configuration). */
export interface ZendeskHelpdeskOverrides {
  maxAttachmentBytes?: number;
  maxRateWaitMs?: number;
  fetch?: typeof fetch;
  erasureTiming?: ZendeskErasureTiming;
}

/** Builds the helpdesk capability from a validated config section (the schema guarantees the credentials). */
export function createZendeskHelpdesk(config: ZendeskConfig, context: IntegrationContext, overrides: ZendeskHelpdeskOverrides = {}): ZendeskHelpdesk {
  const subdomain = config.subdomain!;
  const auth: ZendeskAuth = config.oauthToken ? { kind: 'oauth', token: config.oauthToken } : { kind: 'token', email: config.email!, apiToken: config.apiToken! };
  const client = new ZendeskClient({
    subdomain,
    baseUrl: config.apiBase ?? `https://${subdomain}.zendesk.com`,
    auth,
    rateLimit: parseRateLimit(config.rateLimit),
    updateTicketRateLimit: parseRateLimit(config.updateTicketRateLimit),
    perTicketUpdateLimit: parseRateLimit(config.perTicketUpdateLimit),
    exportRateLimit: parseRateLimit(config.exportRateLimit),
    store: context.store,
    log: context.log.child({ integration: 'zendesk' }),
    ...(context.onVendorRequest ? { onRequest: (method: string, path: string, status: number | null) => context.onVendorRequest!('zendesk', method, path, status) } : {}),
    ...(context.onVendorRateLimited ? { onRateLimited: (_method: string, _path: string, waitMs: number) => context.onVendorRateLimited!('zendesk', waitMs) } : {}),
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    ...(overrides.maxRateWaitMs !== undefined ? { maxRateWaitMs: overrides.maxRateWaitMs } : {}),
  });
  return new ZendeskHelpdesk({
    client,
    subdomain,
    webhookSecret: config.webhookSecret!,
    searchLagMs: config.searchLagSeconds * 1000,
    maxAttachmentBytes: overrides.maxAttachmentBytes ?? MAX_ATTACHMENT_BYTES,
    ...(overrides.erasureTiming ? { erasureTiming: overrides.erasureTiming } : {}),
  });
}

export const zendesk = defineIntegration({
  id: 'zendesk',
  name: 'Zendesk',
  configSchema: zendeskConfigSchema,
  env: zendeskEnv,
  capabilities: {
    helpdesk: {
      // `requires` means "all of": the credentials are "API token + email, or OAuth token", which
      // the schema's refinement enforces (a half-set pair fails boot naming the missing key).
      requires: ['subdomain', 'webhookSecret'],
      create: (config, context) => createZendeskHelpdesk(config, context),
    },
    // The sidebar app needs only its token: no subdomain or API credentials (deployable alone).
    sidebar: {
      requires: ['sidebarToken'],
      create: (config) => zendeskSidebar({ token: config.sidebarToken! }),
    },
  },
});
