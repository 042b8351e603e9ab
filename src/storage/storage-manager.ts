import { EventEmitter } from 'eventemitter3';
import type { ActivityDump } from '../dump/activity-dump.js';
import { InvalidArgumentError, StorageClosedError, StorageError, toError } from '../errors.js';
import { emitError, emitGuarded } from '../guarded-emit.js';
import { type Logger, silentLogger } from '../logger.js';
import { guardLogger, guardMetrics } from '../manager/guarded-ports.js';
import { METRIC_NAMES, type Metrics, noopMetrics } from '../metrics.js';
import { type DumpPersister, failedOutcomes, type PersistOutcome } from './dump-persister.js';
import { InFlight } from './in-flight.js';
import { createPersistItems } from './persist-item.js';
import type { StorageBackend } from './storage-backend.js';
import type { StorageRequest, StorageType } from './storage-request.js';

/** Options of a {@link StorageManager}. */
export interface StorageManagerOptions {
  /** The backends, at most one per storage type. */
  backends: readonly StorageBackend[];
  /** @default noopMetrics */
  metrics?: Metrics;
  /** @default silentLogger */
  logger?: Logger;
}

/** The typed events of a {@link StorageManager}. */
export interface StorageEvents {
  /** At least one storage request of the dump succeeded (`outcomes` has them all). */
  'dump:persisted': (dump: ActivityDump, outcomes: readonly PersistOutcome[]) => void;
  /** One storage request of a dump failed. */
  'persist:failed': (dump: ActivityDump, outcome: Extract<PersistOutcome, { ok: false }>) => void;
  /** A backend failed to start or to shut down, or a listener threw. */
  error: (error: Error) => void;
}

/**
 * Persists dumps through its backends: encodes each format of a dump once and compresses it
 * once per (format, compression), hands every storage request to the backend of its type, and
 * returns one outcome per request — a failing backend never hides another's success. It counts
 * the agent's `size_in_bytes` (bytes really written or sent) and `persisted_dumps` metrics.
 */
export class StorageManager extends EventEmitter<StorageEvents> implements DumpPersister {
  private readonly backends = new Map<StorageType, StorageBackend>();
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly inFlight = new InFlight();
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @throws {InvalidArgumentError} when two backends serve the same storage type. */
  constructor(options: StorageManagerOptions) {
    super();
    for (const backend of options.backends ?? []) {
      if (this.backends.has(backend.type)) {
        throw new InvalidArgumentError(`two storage backends serve ${backend.type}`);
      }
      this.backends.set(backend.type, backend);
    }
    const report = (error: unknown) => emitError(this, toError(error));
    this.logger = guardLogger(options.logger ?? silentLogger, report);
    this.metrics = guardMetrics(options.metrics ?? noopMetrics, report);
  }

  /** The backend serving a storage type. */
  backend(type: StorageType): StorageBackend | undefined {
    return this.backends.get(type);
  }

  /**
   * Starts every backend (idempotent; `persist` waits for it). A backend that fails to start is
   * reported as an `error` event, and its stores fail on their own.
   */
  start(): Promise<void> {
    this.starting ??= Promise.all(
      [...this.backends.values()].map(async (backend) => {
        try {
          await backend.start?.();
        } catch (error) {
          this.logger.error({ err: error, storage: backend.type }, "couldn't start storage backend");
          emitError(this, toError(error));
        }
      }),
    ).then(() => {});
    return this.starting;
  }

  /** Persists a dump for each of its storage requests; never rejects. */
  persist(dump: ActivityDump): Promise<readonly PersistOutcome[]> {
    if (this.closing !== undefined) {
      const error = new StorageClosedError('the storage manager is shut down');
      return Promise.resolve(failedOutcomes(dump.storageRequests, error));
    }
    return this.inFlight.track(this.persistNow(dump));
  }

  /** Waits for persists in flight, then shuts every backend down. Idempotent. */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      await this.inFlight.drain();
      await Promise.all(
        [...this.backends.values()].map(async (backend) => {
          try {
            await backend.shutdown?.();
          } catch (error) {
            emitError(this, toError(error));
          }
        }),
      );
    })();
    return this.closing;
  }

  /** Sends each backend's own metrics (local storage counts, 413s). */
  sendTelemetry(): void {
    for (const backend of this.backends.values()) {
      try {
        backend.sendTelemetry?.(this.metrics);
      } catch (error) {
        emitError(this, toError(error));
      }
    }
  }

  private async persistNow(dump: ActivityDump): Promise<readonly PersistOutcome[]> {
    await this.start();
    const items = createPersistItems(dump);
    const outcomes = await Promise.all(
      items.map(async (item): Promise<PersistOutcome> => {
        if ('failure' in item) return item.failure;
        const backend = this.backends.get(item.request.type);
        if (backend === undefined) {
          const error = new StorageError(`no storage backend for ${item.request.type}`);
          return { request: item.request, ok: false, error };
        }
        try {
          const receipt = await backend.store(item);
          return {
            request: item.request,
            ok: true,
            size: receipt.size,
            location: receipt.location,
            ...(receipt.deferred === true ? { deferred: true } : {}),
          };
        } catch (error) {
          return { request: item.request, ok: false, error: toError(error) };
        }
      }),
    );
    this.report(dump, outcomes);
    return outcomes;
  }

  private report(dump: ActivityDump, outcomes: readonly PersistOutcome[]): void {
    let persisted = false;
    for (const outcome of outcomes) {
      const request = outcome.request;
      if (outcome.ok) {
        persisted = true;
        const tags = metricTags(request);
        this.metrics.count(METRIC_NAMES.sizeInBytes, outcome.size, tags);
        this.metrics.count(METRIC_NAMES.persistedDumps, 1, tags);
        this.logger.info(
          { dump: dump.name, format: request.format, storage: request.type, location: outcome.location },
          'dump persisted',
        );
      } else {
        this.logger.warn(
          { dump: dump.name, format: request.format, storage: request.type, err: outcome.error },
          "couldn't persist dump",
        );
        this.notify('persist:failed', dump, outcome);
      }
    }
    if (persisted) this.notify('dump:persisted', dump, outcomes);
  }

  private notify<E extends 'dump:persisted' | 'persist:failed'>(
    event: E,
    ...args: Parameters<StorageEvents[E]>
  ): void {
    const thrown = emitGuarded(() =>
      (this.emit as (event: E, ...args: Parameters<StorageEvents[E]>) => boolean)(event, ...args),
    );
    if (thrown !== undefined) emitError(this, thrown);
  }
}

function metricTags(request: StorageRequest): string[] {
  return [`format:${request.format}`, `storage_type:${request.type}`, `compression:${request.compression}`];
}
