import type { z } from 'zod';
import type { Logger } from 'pino';
import type { HelpdeskCapability } from './helpdesk.js';
import type { SidebarCapability } from './sidebar.js';
import type { SidebarAppCapability } from './sidebar-app.js';
import type { AccountDataCapability } from './account-data.js';
import type { EscalationCapability } from './escalation.js';
import type { Store } from '../store/store.js';

/**
 * The contract every folder under `integrations/` fulfils (ARCHITECTURE §4): an id, a config
 * section validated at boot, flat environment shorthands, and any of the four capabilities.
 * Each capability names the config keys that switch it on, so a Help Scout sidebar works with
 * only its app secret while the Mailbox API stays "not configured".
 */
export interface CapabilityMap {
  helpdesk: HelpdeskCapability;
  sidebar: SidebarCapability;
  sidebarApp: SidebarAppCapability;
  accountData: AccountDataCapability;
  escalation: EscalationCapability;
}
export type CapabilityName = keyof CapabilityMap;

export interface IntegrationContext {
  store: Store;
  log: Logger;
  /** The hub's public base URL, for links the integration hands out (may be undefined). */
  publicUrl: string | undefined;
  /** Counts every vendor call (status null = no response); feeds /metrics and bench:sync. */
  onVendorRequest?(integrationId: string, method: string, path: string, status: number | null): void;
  /** Counts every 429 and the wait it imposed (the vendor's full Retry-After). */
  onVendorRateLimited?(integrationId: string, waitMs: number): void;
}

export interface CapabilityFactory<Config, Capability> {
  /** Config keys that must all be set for this capability to be enabled. */
  requires: readonly (keyof Config & string)[];
  create(config: Config, context: IntegrationContext): Capability;
}

export interface EnvShorthand {
  /** Environment variable name, e.g. `HELPSCOUT_CLIENT_ID`. */
  env: string;
  /** Key inside the integration's config section. */
  key: string;
  description: string;
}

export interface IntegrationDefinition<Schema extends z.ZodObject = z.ZodObject> {
  id: string;
  name: string;
  configSchema: Schema;
  env: readonly EnvShorthand[];
  capabilities: {
    [K in CapabilityName]?: CapabilityFactory<z.infer<Schema>, CapabilityMap[K]>;
  };
}

export function defineIntegration<Schema extends z.ZodObject>(
  definition: IntegrationDefinition<Schema>,
): IntegrationDefinition<Schema> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.id)) {
    throw new Error(`integration id "${definition.id}" must be lowercase letters, digits and dashes`);
  }
  for (const [capability, factory] of Object.entries(definition.capabilities)) {
    for (const key of factory?.requires ?? []) {
      if (!(key in definition.configSchema.shape)) {
        throw new Error(`integration ${definition.id}: capability ${capability} requires unknown config key "${key}"`);
      }
    }
  }
  return definition;
}

// Integrations are stored heterogeneously in the registry; their config types are checked at the
// edge (configSchema) so the registry can hold them as the base type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyIntegration = IntegrationDefinition<any>;
