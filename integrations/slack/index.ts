import { z } from 'zod';
import { defineIntegration, type IntegrationContext } from '../../src/capabilities/integration.js';
import { secret } from '../../src/config/secrets.js';
import { SlackWebhookClient } from './client.js';
import { SlackEscalation } from './escalation.js';

/**
 * Slack as an escalation target through an incoming webhook (README.md in this folder): posts
 * escalations and their follow-ups to one channel. Post-only: Slack reports nothing back.
 */

/**
 * https only — the URL carries the credential — except on loopback, where tests run the fake.
 * Only `/services/…` URLs are incoming webhooks; workflow webhooks (`/workflows/…`,
 * `/triggers/…`) take a different payload.
 */
function isIncomingWebhookUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return false;
  return /^\/services\/[^/]+\/[^/]+\/[^/]+$/.test(url.pathname) && url.search === '' && url.hash === '';
}

export const slackConfigSchema = z.object({
  // The zod message must not echo the value: it is the secret.
  webhookUrl: secret(
    z
      .string()
      .refine(isIncomingWebhookUrl, 'must be a Slack incoming webhook URL such as https://hooks.slack.com/services/T…/B…/… (http only for 127.0.0.1 / localhost)')
      .optional(),
  ),
});

export type SlackConfig = z.infer<typeof slackConfigSchema>;

/** Internal knobs for tests (not configuration). */
export interface SlackEscalationOverrides {
  fetch?: typeof fetch;
  maxRateWaitMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export function createSlackEscalation(config: SlackConfig, context: IntegrationContext, overrides: SlackEscalationOverrides = {}): SlackEscalation {
  if (!config.webhookUrl) throw new Error('Slack escalations need webhookUrl (SLACK_WEBHOOK_URL)');
  const { now, ...clientOverrides } = overrides;
  const client = new SlackWebhookClient({
    webhookUrl: config.webhookUrl,
    log: context.log.child({ integration: 'slack' }),
    ...(context.onVendorRequest ? { onRequest: (method: string, path: string, status: number | null) => context.onVendorRequest!('slack', method, path, status) } : {}),
    ...(context.onVendorRateLimited ? { onRateLimited: (_method: string, _path: string, waitMs: number) => context.onVendorRateLimited!('slack', waitMs) } : {}),
    ...clientOverrides,
  });
  return new SlackEscalation(client, now);
}

export const slack = defineIntegration({
  id: 'slack',
  name: 'Slack',
  configSchema: slackConfigSchema,
  env: [
    {
      env: 'SLACK_WEBHOOK_URL',
      key: 'webhookUrl',
      description:
        'Incoming webhook URL (https://hooks.slack.com/services/…) of the channel escalations are posted to; enables Slack as an escalation target. The URL is the credential',
    },
  ],
  capabilities: {
    escalation: {
      requires: ['webhookUrl'],
      create: (config, context) => createSlackEscalation(config, context),
    },
  },
});
