import { integrations } from '../../integrations/index.js';
import { configTable } from './table.js';
import { exitWithUsageIfAsked } from '../cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run config:table',
  description: 'Prints the configuration table (environment variable, HUB_CONFIG key, default, secret or not, what it does) from the code, as Markdown. Reads no configuration.',
});

console.log(configTable(integrations));
