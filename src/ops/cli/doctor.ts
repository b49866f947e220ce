/**
 * `npm run doctor`: checks the current configuration (environment and HUB_CONFIG) before going
 * live. Prints one line per check — OK, WARN (optional, left out or degraded) or FAIL (needed) —
 * with a fix under each WARN and FAIL; exits 1 when anything failed (WARNs alone exit 0), 2 when
 * the configuration itself is invalid.
 */
import { integrations } from '../../../integrations/index.js';
import { ConfigError, loadConfig } from '../../config.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';
import { runDoctor, type DoctorLine, type DoctorOutcome } from '../doctor.js';

exitWithUsageIfAsked({ synopsis: 'npm run doctor', description: 'Checks the configuration in the environment (and HUB_CONFIG) before going live: the database, each integration, mail, webhooks. Writes nothing, sends nothing. Exit 0: no FAIL (WARNs allowed); 1: something FAILed; 2: the configuration is invalid.' });

const LABEL: Record<DoctorOutcome, string> = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL' };

function print(lines: DoctorLine[]): void {
  const areaWidth = Math.max(...lines.map((l) => l.area.length), 4);
  const checkWidth = Math.max(...lines.map((l) => l.check.length), 5);
  for (const line of lines) {
    console.log(`${LABEL[line.outcome]}  ${line.area.padEnd(areaWidth)}  ${line.check.padEnd(checkWidth)}  ${line.detail}`);
    if (line.outcome !== 'ok') console.log(`${' '.repeat(6 + areaWidth + 2 + checkWidth + 2)}fix: ${line.hint ?? 'README: Configuration lists every setting and what it does'}`);
  }
}

try {
  const loaded = loadConfig(integrations);
  const lines = await runDoctor(loaded, integrations);
  print(lines);
  const failed = lines.filter((l) => l.outcome === 'fail').length;
  const warned = lines.filter((l) => l.outcome === 'warn').length;
  const warnings = warned === 0 ? '' : `, ${warned} warning${warned === 1 ? '' : 's'}`;
  console.log(failed === 0 ? (warned === 0 ? `\nall ${lines.length} checks OK` : `\n${lines.length - warned} of ${lines.length} checks OK${warnings}`) : `\n${failed} of ${lines.length} checks FAILED${warnings}`);
  process.exitCode = failed === 0 ? 0 : 1;
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  print(error.problems.map((problem) => ({ area: 'config', check: 'valid', outcome: 'fail', detail: problem, hint: 'README: Configuration lists every setting' })));
  process.exitCode = 2;
}
