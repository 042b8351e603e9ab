/** One log method: pino's `(object, message)` form. */
export type LogFn = (fields: Record<string, unknown>, message: string) => void;

/**
 * A pino-compatible logger: pass a pino instance (or a child), or anything with these four
 * methods. The library always logs an object of fields first and a message second.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const discard: LogFn = () => {};

/** Logs nothing: the default. */
export const silentLogger: Logger = { debug: discard, info: discard, warn: discard, error: discard };
