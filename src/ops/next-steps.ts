import type { Hub } from '../hub.js';
import { setupStatus } from './setup-status.js';

/**
 * Logs, once at start, what an unconfigured hub still needs: a login, and each of chat, email
 * and a helpdesk that is not set up, then `npm run doctor`. A configured hub logs nothing here.
 */
export async function logNextSteps(hub: Hub, localUrl: string): Promise<void> {
  const { config } = hub.loaded;
  const steps: string[] = [];
  if (config.dashboard.enabled) {
    const admin = await hub.store.db.selectFrom('staff_users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).limit(1).executeTakeFirst();
    if (!admin) steps.push(`create a login: npm run user:create -- --email you@example.com --role admin (in another terminal, while this runs), then open ${localUrl}/dashboard`);
  }
  const helpdesks = hub.registry.status().filter((s) => s.capabilities.helpdesk === 'enabled').map((s) => s.name);
  for (const part of setupStatus(config, helpdesks)) {
    if (!part.configured) steps.push(`${part.part}: ${part.howTo}`);
  }
  if (steps.length === 0) return;
  steps.push('then check the configuration: npm run doctor');
  hub.log.info({ nextSteps: steps }, `next steps:\n${steps.map((step, i) => `  ${i + 1}. ${step}`).join('\n')}`);
}
