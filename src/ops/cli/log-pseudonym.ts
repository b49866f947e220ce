/**
 * `npm run log:pseudonym -- ADDRESS [ADDRESS…]`: the pseudonym each address has in this install's
 * logs (src/ops/log-pseudonyms.ts), so support can find one person's lines without the logs ever
 * holding the address. Reads the key as the hub does: LOG_PSEUDONYM_KEY, else the data directory's.
 */
import { integrations } from '../../../integrations/index.js';
import { ConfigError, loadConfig } from '../../config.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';
import { logPseudonymKey, pseudonymOf } from '../log-pseudonyms.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run log:pseudonym -- ADDRESS [ADDRESS…]',
  description: 'Prints the pseudonym (email:…) each address has in this install’s logs, which never hold the address itself. Uses the key the hub uses: LOG_PSEUDONYM_KEY, else the one kept in the data directory.',
  environment: [['LOG_PSEUDONYM_KEY', 'the install’s key, when set'], ['HUB_DATA_DIR', 'where the hub keeps its key otherwise'], ['HUB_CONFIG', 'a JSON or YAML settings file']],
});

const addresses = process.argv.slice(2);
if (addresses.length === 0 || addresses.some((a) => !a.includes('@'))) {
  console.error('usage: npm run log:pseudonym -- ADDRESS [ADDRESS…]');
  process.exit(2);
}
try {
  const { config } = loadConfig(integrations);
  const key = logPseudonymKey(config);
  for (const address of addresses) console.log(`${address}\t${pseudonymOf(address, key)}`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
