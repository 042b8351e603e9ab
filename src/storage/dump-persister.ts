import type { ActivityDump } from '../dump/activity-dump.js';
import type { StorageRequest } from './storage-request.js';

/** How one storage request of a dump ended. */
export type PersistOutcome =
  | {
      readonly request: StorageRequest;
      readonly ok: true;
      /** Bytes written or sent (after compression). */
      readonly size: number;
      /** Where the bytes went: a file path, a URL, a key. */
      readonly location: string;
      /** Stored durably for a later delivery (a spooled upload), not delivered yet. */
      readonly deferred?: boolean;
    }
  | {
      readonly request: StorageRequest;
      readonly ok: false;
      readonly error: Error;
    };

/**
 * What the manager persists ended dumps through. It returns one outcome per storage request of
 * the dump, and reports a request done only once its bytes are stored.
 */
export interface DumpPersister {
  /** Persists `dump` for each of its `storageRequests`. */
  persist(dump: ActivityDump): Promise<readonly PersistOutcome[]>;
  /** Called by the manager's `start()`. */
  start?(): Promise<void>;
  /** Called by the manager's `close()`, after the last persist. */
  shutdown?(): Promise<void>;
  /** Called with the manager's stats. */
  sendTelemetry?(): void;
}

/** The outcomes of requests that all failed with one error (a storage that threw, or is shut down). */
export function failedOutcomes(requests: readonly StorageRequest[], error: Error): PersistOutcome[] {
  return requests.map((request) => ({ request, ok: false, error }));
}
