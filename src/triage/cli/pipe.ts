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
