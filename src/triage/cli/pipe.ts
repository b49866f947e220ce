/**
 * `npm run triage:suggest -- FILE | head` closes stdout early; that is the reader's choice,
 * not an error worth a stack trace.
 */
export function exitQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** Runs a CLI's `main`: its return is the exit code; a thrown error is one line, exit 1. */
export function runCli(name: string, main: (args: string[]) => number): void {
  exitQuietlyOnClosedPipe();
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
