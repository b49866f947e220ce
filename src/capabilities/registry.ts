import { isSet, type HubConfig } from '../config.js';
import type { AnyIntegration, CapabilityMap, CapabilityName, IntegrationContext } from './integration.js';

export type CapabilityState = 'enabled' | 'not configured';

export interface IntegrationStatus {
  id: string;
  name: string;
  capabilities: Partial<Record<CapabilityName, CapabilityState>>;
}

export interface EnabledCapability<K extends CapabilityName> {
  integrationId: string;
  instance: CapabilityMap[K];
}

/**
 * The integrations this hub runs with, and which of their capabilities the configuration
 * switches on. (Half-configured capabilities never get here: `loadConfig` rejects them.)
 */
export class IntegrationRegistry {
  private readonly enabled = new Map<CapabilityName, EnabledCapability<CapabilityName>[]>();
  private readonly statuses: IntegrationStatus[] = [];

  constructor(definitions: readonly AnyIntegration[], config: HubConfig, context: IntegrationContext) {
    const seen = new Set<string>();
    for (const definition of definitions) {
      if (seen.has(definition.id)) throw new Error(`integration id "${definition.id}" is registered twice`);
      seen.add(definition.id);
      const section = (config.integrations[definition.id] ?? {}) as Record<string, unknown>;
      const status: IntegrationStatus = { id: definition.id, name: definition.name, capabilities: {} };
      for (const [name, factory] of Object.entries(definition.capabilities) as [CapabilityName, { requires: string[]; create: (c: unknown, x: IntegrationContext) => unknown }][]) {
        const on = factory.requires.length > 0 && factory.requires.every((key) => isSet(section[key]));
        status.capabilities[name] = on ? 'enabled' : 'not configured';
        if (!on) continue;
        const list = this.enabled.get(name) ?? [];
        list.push({ integrationId: definition.id, instance: factory.create(section, context) as CapabilityMap[CapabilityName] });
        this.enabled.set(name, list);
      }
      this.statuses.push(status);
    }
  }

  status(): IntegrationStatus[] {
    return this.statuses.map((s) => ({ ...s, capabilities: { ...s.capabilities } }));
  }

  all<K extends CapabilityName>(capability: K): EnabledCapability<K>[] {
    return (this.enabled.get(capability) ?? []) as EnabledCapability<K>[];
  }

  get<K extends CapabilityName>(capability: K, integrationId: string): CapabilityMap[K] | undefined {
    return this.all(capability).find((c) => c.integrationId === integrationId)?.instance;
  }
}
