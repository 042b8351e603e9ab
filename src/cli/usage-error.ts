/** The command line itself is wrong: the CLI prints the usage and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
