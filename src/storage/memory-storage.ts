import type { ActivityDump } from '../dump/activity-dump.js';
import { decodeDump } from '../encoding/decode-dump.js';
import { dumpFileName } from '../encoding/file-naming.js';
import { StorageClosedError } from '../errors.js';
import type { DumpPersister, PersistOutcome } from './dump-persister.js';
import type { PersistItem, PersistReceipt, StorageBackend } from './storage-backend.js';
import { StorageManager } from './storage-manager.js';
import type { StorageRequest, StorageType } from './storage-request.js';

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
   * The requests it serves as a backend of a `StorageManager` (on its own, it keeps all).
   * @default 'local_storage'
   */
  type?: StorageType;
  /**
   * Runs before each request is stored: throw or reject to make that request fail, or await
   * something to hold the persist in flight (to test shutdown, say).
   * @default none
   */
  beforeStore?: (dump: ActivityDump, request: StorageRequest) => void | Promise<void>;
}

/**
 * Keeps dumps in memory, really encoded in each requested format: the storage to test code
 * around the manager with. Use it on its own as the manager's `storage` (it keeps every
 * request, local or remote), or as a backend of a `StorageManager`.
 */
export class MemoryStorage implements StorageBackend, DumpPersister {
  readonly type: StorageType;
  /** Everything stored, in order. */
  readonly stored: StoredDump[] = [];
  private readonly beforeStore: MemoryStorageOptions['beforeStore'];
  private standalone: StorageManager | undefined;
  private closed = false;

  constructor(options: MemoryStorageOptions = {}) {
    this.type = options.type ?? 'local_storage';
    this.beforeStore = options.beforeStore;
  }

  async store(item: PersistItem): Promise<PersistReceipt> {
    if (this.closed) throw new StorageClosedError('memory storage is shut down');
    const { dump, request } = item;
    await this.beforeStore?.(dump, request);
    const bytes = item.payload;
    const location = `memory://${request.type}/${dumpFileName(dump.name, request.format, request.compression)}`;
    this.stored.push({ name: dump.name, request, bytes, location });
    return { location, size: bytes.length };
  }

  /** Persists every storage request of a dump, whatever its type. */
  persist(dump: ActivityDump): Promise<readonly PersistOutcome[]> {
    this.standalone ??= new StorageManager({
      backends: (['local_storage', 'remote_storage'] as const).map((type) => ({
        type,
        store: (item: PersistItem) => this.store(item),
      })),
    });
    return this.standalone.persist(dump);
  }

  /** Stores nothing more (idempotent). */
  async shutdown(): Promise<void> {
    this.closed = true;
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
