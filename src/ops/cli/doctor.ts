/**
 * `npm run doctor`: checks the current configuration (environment and HUB_CONFIG) before going
 * live. Prints one line per check, OK or FAIL, with a hint under each FAIL; exits 1 when anything
 * failed, 2 when the configuration itself is invalid.
 */
import { integrations } from '../../../integrations/index.js';
import { ConfigError, loadConfig } from '../../config.js';
import { runDoctor, type DoctorLine } from '../doctor.js';

function print(lines: DoctorLine[]): void {
  const areaWidth = Math.max(...lines.map((l) => l.area.length), 4);
  const checkWidth = Math.max(...lines.map((l) => l.check.length), 5);
  for (const line of lines) {
    console.log(`${line.ok ? 'OK  ' : 'FAIL'}  ${line.area.padEnd(areaWidth)}  ${line.check.padEnd(checkWidth)}  ${line.detail}`);
    if (!line.ok && line.hint) console.log(`${' '.repeat(6 + areaWidth + 2 + checkWidth + 2)}fix: ${line.hint}`);
  }
}

try {
  const loaded = loadConfig(integrations);
  const lines = await runDoctor(loaded, integrations);
  print(lines);
  const failed = lines.filter((l) => !l.ok).length;
  console.log(failed === 0 ? `\nall ${lines.length} checks OK` : `\n${failed} of ${lines.length} checks FAILED`);
  process.exitCode = failed === 0 ? 0 : 1;
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  print(error.problems.map((problem) => ({ area: 'config', check: 'valid', ok: false, detail: problem, hint: 'README: Configuration lists every setting' })));
  process.exitCode = 2;
}
