import type { AnyIntegration } from '../../src/capabilities/integration.js';
import { ConfigError, loadConfig } from '../../src/config.js';

/** What the hub would refuse to start with for this environment ('' when it would start). */
export function configProblems(integrations: AnyIntegration[], env: Record<string, string>): string {
  try {
    loadConfig(integrations, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return '';
}
