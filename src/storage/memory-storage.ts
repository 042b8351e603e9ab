import type { ActivityDump } from '../dump/activity-dump.js';
import { decodeDump } from '../encoding/decode-dump.js';
import { encodeDump } from '../encoding/encode-dump.js';
import { dumpFileName } from '../encoding/file-naming.js';
import type { DumpPersister, PersistOutcome } from './dump-persister.js';
import type { StorageRequest } from './storage-request.js';

/** One persisted copy of a dump held by {@link MemoryStorage}. */
export interface StoredDump {
  /** Dump name. */
  readonly name: string;
  readonly request: StorageRequest;
  /** The encoded (and, with compression, gzipped) bytes. */
  readonly bytes: Uint8Array;
  /** `memory://<type>/<file name>`. */
  readonly location: string;
}

/** Options of {@link MemoryStorage}. */
export interface MemoryStorageOptions {
  /**
   * Runs before each request is stored: throw or reject to make that request fail, or await
   * something to hold the persist in flight (to test shutdown, say).
   * @default none
   */
  beforeStore?: (dump: ActivityDump, request: StorageRequest) => void | Promise<void>;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Keeps persisted dumps in memory, really encoded in each requested format: the storage to
 * test code around the manager with. Each (format, compression) is encoded once per dump.
 */
export class MemoryStorage implements DumpPersister {
  /** Everything stored, in order. */
  readonly stored: StoredDump[] = [];
  private readonly beforeStore: MemoryStorageOptions['beforeStore'];

  constructor(options: MemoryStorageOptions = {}) {
    this.beforeStore = options.beforeStore;
  }

  async persist(dump: ActivityDump): Promise<readonly PersistOutcome[]> {
    // Encode at once: the dump is what it is when persisting was asked for.
    const encoded = new Map<string, Uint8Array | Error>();
    for (const request of dump.storageRequests) {
      const key = `${request.format}:${request.compression}`;
      if (encoded.has(key)) continue;
      try {
        encoded.set(key, encodeDump(dump, request.format, { compression: request.compression }));
      } catch (error) {
        encoded.set(key, asError(error));
      }
    }
    const outcomes: PersistOutcome[] = [];
    for (const request of dump.storageRequests) {
      const bytes = encoded.get(`${request.format}:${request.compression}`)!;
      if (bytes instanceof Error) {
        outcomes.push({ request, ok: false, error: bytes });
        continue;
      }
      try {
        await this.beforeStore?.(dump, request);
      } catch (error) {
        outcomes.push({ request, ok: false, error: asError(error) });
        continue;
      }
      const location = `memory://${request.type}/${dumpFileName(dump.name, request.format, request.compression)}`;
      this.stored.push({ name: dump.name, request, bytes, location });
      outcomes.push({ request, ok: true, size: bytes.length, location });
    }
    return outcomes;
  }

  /** Names of the dumps stored, once each, in the order they were first stored. */
  names(): string[] {
    return [...new Set(this.stored.map((entry) => entry.name))];
  }

  /** The stored copies of one dump. */
  find(name: string): StoredDump[] {
    return this.stored.filter((entry) => entry.name === name);
  }

  /** Decodes a stored copy back into a dump (`dot` cannot be decoded). */
  decode(entry: StoredDump): ActivityDump {
    return decodeDump(entry.bytes, { format: entry.request.format });
  }

  /** Forgets everything stored. */
  clear(): void {
    this.stored.length = 0;
  }
}
