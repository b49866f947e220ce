/**
 * `--help` / `-h` for every command-line script (`npm run <script> -- --help`): usage on stdout,
 * exit 0, before the script reads its configuration or touches anything. One helper so every
 * script answers the same way.
 */
export interface CommandHelp {
  /** One line per form, e.g. `npm run users -- list`. */
  synopsis: string | readonly string[];
  /** What the command does, in a sentence or three. */
  description: string;
  /** `[flag, what it does]` pairs. */
  options?: readonly (readonly [string, string])[];
  /** `[variable, what it sets]` pairs: the environment the command reads (benchmarks' knobs, say). */
  environment?: readonly (readonly [string, string])[];
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`);
}

export function helpText(help: CommandHelp): string {
  const forms = typeof help.synopsis === 'string' ? [help.synopsis] : [...help.synopsis];
  const lines = [`Usage: ${forms[0]}`, ...forms.slice(1).map((form) => `       ${form}`), '', help.description];
  const options = [...(help.options ?? []), ['-h, --help', 'show this help'] as const];
  lines.push('', 'Options:', ...table(options));
  if (help.environment && help.environment.length > 0) lines.push('', 'Environment:', ...table(help.environment));
  return lines.join('\n');
}

/** True when the arguments ask for help (before a `--`, after which arguments are the script's data). */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** Prints the usage and exits 0 when asked for help; otherwise returns. */
export function exitWithUsageIfAsked(help: CommandHelp, argv: readonly string[] = process.argv.slice(2)): void {
  if (!asksForHelp(argv)) return;
  process.stdout.write(`${helpText(help)}\n`);
  process.exit(0);
}
