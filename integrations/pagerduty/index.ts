import { z } from 'zod';
import { defineIntegration, type IntegrationContext } from '../../src/capabilities/integration.js';
import { secret } from '../../src/config/secrets.js';
import { PagerDutyEventsClient } from './client.js';
import { PagerDutyEscalation } from './escalation.js';

/**
 * PagerDuty as an escalation target (README.md in this folder): Events API v2 alerts on the
 * configured service or the on-call person's own, acknowledged and resolved from the hub, and
 * V3 webhooks reporting what responders did in PagerDuty.
 */

export const pagerdutyConfigSchema = z.object({
  // "the 32 character Integration Key for an integration on a service or on a global ruleset"
  routingKey: secret(
    z
      .string()
      .regex(/^[A-Za-z0-9]{32}$/, 'must be the 32-character Integration Key of an Events API v2 integration (PagerDuty → Service → Integrations), not a REST API key')
      .optional(),
  ),
  apiBase: z
    .url({ protocol: /^https?$/ })
    .refine((url) => new URL(url).pathname === '/', 'must be a bare origin such as https://events.pagerduty.com (no path)')
    .default('https://events.pagerduty.com'),
  webhookSecret: secret(z.string().min(1).optional()),
});

export type PagerDutyConfig = z.infer<typeof pagerdutyConfigSchema>;

/** Internal knobs for tests (not configuration). */
export interface PagerDutyEscalationOverrides {
  fetch?: typeof fetch;
  maxRateWaitMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export function createPagerDutyEscalation(config: PagerDutyConfig, context: IntegrationContext, overrides: PagerDutyEscalationOverrides = {}): PagerDutyEscalation {
  if (!config.routingKey) throw new Error('PagerDuty escalations need routingKey (PAGERDUTY_ROUTING_KEY)');
  const log = context.log.child({ integration: 'pagerduty' });
  const { now, ...clientOverrides } = overrides;
  const client = new PagerDutyEventsClient({
    apiBase: config.apiBase,
    log,
    ...(context.onVendorRequest ? { onRequest: (method: string, path: string, status: number | null) => context.onVendorRequest!('pagerduty', method, path, status) } : {}),
    ...(context.onVendorRateLimited ? { onRateLimited: (_method: string, _path: string, waitMs: number) => context.onVendorRateLimited!('pagerduty', waitMs) } : {}),
    ...clientOverrides,
  });
  return new PagerDutyEscalation({
    client,
    routingKey: config.routingKey,
    webhookSecret: config.webhookSecret,
    clientUrl: context.publicUrl,
    log,
    ...(now ? { now } : {}),
  });
}

export const pagerduty = defineIntegration({
  id: 'pagerduty',
  name: 'PagerDuty',
  configSchema: pagerdutyConfigSchema,
  env: [
    {
      env: 'PAGERDUTY_ROUTING_KEY',
      key: 'routingKey',
      description:
        'Integration Key (32 characters) of an Events API v2 integration on the PagerDuty service to page; enables PagerDuty as an escalation target (people with their own key in the on-call schedule are paged through theirs)',
    },
    { env: 'PAGERDUTY_API_BASE', key: 'apiBase', description: 'Events API origin (default https://events.pagerduty.com; EU accounts: https://events.eu.pagerduty.com; tests point it at a fake)' },
    {
      env: 'PAGERDUTY_WEBHOOK_SECRET',
      key: 'webhookSecret',
      description:
        'Signing secret of the V3 webhook subscription that posts to `POST /webhooks/pagerduty` (incident.triggered / .acknowledged / .resolved / .reopened); without it PagerDuty webhooks are rejected and the hub learns of acknowledgements only through its own link',
    },
  ],
  capabilities: {
    escalation: {
      requires: ['routingKey'],
      create(config, context) {
        if (!config.webhookSecret) context.log.warn('PAGERDUTY_WEBHOOK_SECRET is not set: PagerDuty webhooks will be rejected (acknowledgements in PagerDuty do not reach the hub)');
        return createPagerDutyEscalation(config, context);
      },
    },
  },
});
