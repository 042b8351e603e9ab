import type { ActivityDump } from '../dump/activity-dump.js';
import type { Metrics } from '../metrics.js';
import type { StorageRequest, StorageType } from './storage-request.js';

/** One dump, encoded for one storage request, as a backend receives it. */
export interface PersistItem {
  /** The dump (read it; do not change it). */
  readonly dump: ActivityDump;
  readonly request: StorageRequest;
  /** The dump in `request.format`, uncompressed. */
  readonly encoded: Uint8Array;
  /**
   * `encoded`, gzipped when `request.compression` is set: what a file holds. Computed on first
   * use, once per format and compression for all backends.
   */
  readonly payload: Uint8Array;
}

/** Where a backend put a dump. */
export interface PersistReceipt {
  /** A file path, a URL, a key. */
  readonly location: string;
  /** Bytes written or sent. */
  readonly size: number;
  /**
   * The bytes are durably stored for a later delivery (a remote upload spooled to disk) rather
   * than delivered.
   * @default false
   */
  readonly deferred?: boolean;
}

/**
 * A place dumps are stored: as small as an OpenTelemetry exporter. `store` resolves only once
 * the bytes are durable (written and flushed, or acknowledged), and rejects with an `Error`
 * (ideally a `StorageError`) otherwise. Run `storageConformanceCases` from
 * `activity-dump/testing` against your own.
 */
export interface StorageBackend {
  /** The storage requests it serves. */
  readonly type: StorageType;
  /** Stores one encoded dump. */
  store(item: PersistItem): Promise<PersistReceipt>;
  /** Prepares the backend (scan a directory, re-send a spool). Called once, before the first store. */
  start?(): Promise<void>;
  /** Waits for stores in flight and releases resources. Idempotent; stores afterwards reject. */
  shutdown?(): Promise<void>;
  /** Reports the backend's own metrics. */
  sendTelemetry?(metrics: Metrics): void;
}
