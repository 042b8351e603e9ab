import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

/**
 * The metrics port, with every call guarded: a client that throws is reported through
 * `onError` and never breaks the caller's bookkeeping.
 */
export function guardMetrics(metrics: Metrics, onError: (error: unknown) => void): Metrics {
  return {
    count(name, value, tags) {
      try {
        metrics.count(name, value, tags);
      } catch (error) {
        onError(error);
      }
    },
    gauge(name, value, tags) {
      try {
        metrics.gauge(name, value, tags);
      } catch (error) {
        onError(error);
      }
    },
  };
}

/** The logger port, with every call guarded the same way (`onError` must not log). */
export function guardLogger(logger: Logger, onError: (error: unknown) => void): Logger {
  const guard =
    (level: keyof Logger) =>
    (fields: Record<string, unknown>, message: string): void => {
      try {
        logger[level](fields, message);
      } catch (error) {
        onError(error);
      }
    };
  return { debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') };
}
