import { join, resolve } from 'node:path';
import { FORMAT_EXTENSIONS } from '../encoding/dump-format.js';
import { dumpFileName, isSafeDumpName } from '../encoding/file-naming.js';
import { InvalidArgumentError, StorageClosedError, StorageWriteError } from '../errors.js';
import { METRIC_NAMES, type Metrics } from '../metrics.js';
import { writeFileAtomically } from './atomic-write.js';
import { type FileSystem, nodeFileSystem } from './file-system.js';
import { InFlight } from './in-flight.js';
import type { PersistItem, PersistReceipt, StorageBackend } from './storage-backend.js';

const DUMP_FILE = new RegExp(`^(.+)\\.(?:${Object.values(FORMAT_EXTENSIONS).join('|')})(?:\\.gz)?$`);

/**
 * The dump name of a file this storage could have written (`<name>.<ext>[.gz]`, exact
 * extension, a valid dump name), else `undefined`: other files in the directory are left alone.
 */
function dumpStemOf(file: string): string | undefined {
  const stem = DUMP_FILE.exec(file)?.[1];
  return stem !== undefined && isSafeDumpName(stem) ? stem : undefined;
}

/** Options of a {@link LocalStorage}. */
export interface LocalStorageOptions {
  /** Directory of the dumps (requests with their own `outputDirectory` write there instead). */
  directory: string;
  /** Most dumps kept; storing one more deletes every file of the oldest. @default 100 */
  maxDumpsCount?: number;
  /** Mode of dump files. @default 0o640 */
  fileMode?: number;
  /** Mode of directories it creates. @default 0o750 */
  directoryMode?: number;
  /** Told which files were deleted to stay within `maxDumpsCount` (the agent's `OnLocalStorageCleanup`). */
  onCleanup?: (files: readonly string[]) => void;
  /** @default node:fs/promises */
  fileSystem?: FileSystem;
}

/**
 * Stores dumps as files, `<directory>/<name>.<format>[.gz]` (the agent's naming), written
 * atomically (temporary file, fsync, rename) and reported done only then. It keeps at most
 * `maxDumpsCount` dumps, evicting whole dumps — all their files — least recently stored first;
 * on start it scans its directory and seeds that order from the files' modification times.
 */
export class LocalStorage implements StorageBackend {
  readonly type = 'local_storage' as const;
  /** The resolved directory. */
  readonly directory: string;
  private readonly maxDumpsCount: number;
  private readonly fileMode: number;
  private readonly directoryMode: number;
  private readonly onCleanup: ((files: readonly string[]) => void) | undefined;
  private readonly fs: FileSystem;
  // Dump name → its files; Map order is the eviction order (first = least recently stored).
  private readonly dumps = new Map<string, string[]>();
  private readonly inFlight = new InFlight();
  // Directories known to exist, so a store costs no mkdir.
  private readonly createdDirectories = new Set<string>();
  private deleted = 0;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @throws {InvalidArgumentError} for an empty directory or a count below 1. */
  constructor(options: LocalStorageOptions) {
    if (typeof options?.directory !== 'string' || options.directory === '') {
      throw new InvalidArgumentError('LocalStorage needs a directory');
    }
    const max = options.maxDumpsCount ?? 100;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new InvalidArgumentError(`maxDumpsCount must be an integer >= 1, got ${String(max)}`);
    }
    this.directory = resolve(options.directory);
    this.maxDumpsCount = max;
    this.fileMode = options.fileMode ?? 0o640;
    this.directoryMode = options.directoryMode ?? 0o750;
    this.onCleanup = options.onCleanup;
    this.fs = options.fileSystem ?? nodeFileSystem;
  }

  /** Dumps held, least recently stored first, with their files. */
  entries(): Array<[name: string, files: readonly string[]]> {
    return [...this.dumps].map(([name, files]) => [name, [...files]]);
  }

  /**
   * Creates the directory and seeds the eviction order from the dump files already there,
   * oldest first by modification time (evicting past `maxDumpsCount` at once). Idempotent.
   * @throws {StorageWriteError} when the directory cannot be created or listed.
   */
  start(): Promise<void> {
    this.starting ??= this.scan();
    return this.starting;
  }

  async store(item: PersistItem): Promise<PersistReceipt> {
    if (this.closing !== undefined) throw new StorageClosedError('local storage is shut down');
    return this.inFlight.track(this.writeItem(item));
  }

  /** Waits for writes in flight; later stores reject. Idempotent. */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      await this.inFlight.drain();
    })();
    return this.closing;
  }

  /** `local_storage.count` (dumps held) and `local_storage.deleted` (since the last call), when above 0. */
  sendTelemetry(metrics: Metrics): void {
    if (this.dumps.size > 0) metrics.gauge(METRIC_NAMES.localStorageCount, this.dumps.size);
    if (this.deleted > 0) metrics.count(METRIC_NAMES.localStorageDeleted, this.deleted);
    this.deleted = 0;
  }

  /** Writes into `directory`, creating it first when it is missing (or was removed meanwhile). */
  private async write(path: string, directory: string, bytes: Uint8Array): Promise<void> {
    if (!this.createdDirectories.has(directory)) {
      await this.fs.mkdir(directory, { recursive: true, mode: this.directoryMode });
      this.createdDirectories.add(directory);
    }
    try {
      await writeFileAtomically(path, bytes, { mode: this.fileMode, fileSystem: this.fs });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
      await this.fs.mkdir(directory, { recursive: true, mode: this.directoryMode });
      await writeFileAtomically(path, bytes, { mode: this.fileMode, fileSystem: this.fs });
    }
  }

  private async writeItem(item: PersistItem): Promise<PersistReceipt> {
    const name = item.dump.name;
    const request = item.request;
    const directory = request.outputDirectory === '' ? this.directory : resolve(request.outputDirectory);
    if (!isSafeDumpName(name)) {
      throw new InvalidArgumentError(
        `cannot store dump ${JSON.stringify(name)}: a dump name is letters, digits, '.', '_' and '-'`,
      );
    }
    await this.start().catch(() => {}); // a failed scan leaves the order empty; the write reports its own error
    const path = join(directory, dumpFileName(name, request.format, request.compression));
    const bytes = item.payload;
    try {
      await this.write(path, directory, bytes);
    } catch (error) {
      throw new StorageWriteError(path, error);
    }
    await this.remember(name, path);
    return { location: path, size: bytes.length };
  }

  private async remember(name: string, path: string): Promise<void> {
    const files = this.dumps.get(name) ?? [];
    this.dumps.delete(name);
    if (!files.includes(path)) files.push(path);
    this.dumps.set(name, files);
    await this.evictBeyondCapacity();
  }

  private async evictBeyondCapacity(): Promise<void> {
    while (this.dumps.size > this.maxDumpsCount) {
      const [oldest, files] = this.dumps.entries().next().value!;
      this.dumps.delete(oldest);
      this.onCleanup?.(files);
      await Promise.all(files.map((file) => this.fs.rm(file, { force: true }).catch(() => {})));
      this.deleted++;
    }
  }

  private async scan(): Promise<void> {
    try {
      await this.fs.mkdir(this.directory, { recursive: true, mode: this.directoryMode });
      this.createdDirectories.add(this.directory);
    } catch (error) {
      throw new StorageWriteError(this.directory, error);
    }
    let names: string[];
    try {
      names = await this.fs.readdir(this.directory);
    } catch (error) {
      throw new StorageWriteError(this.directory, error);
    }
    const groups = new Map<string, { files: string[]; mtime: number }>();
    for (const file of names) {
      const stem = dumpStemOf(file);
      if (stem === undefined) continue; // not a dump file this storage could have written
      const path = join(this.directory, file);
      let mtime: number;
      try {
        const stats = await this.fs.stat(path);
        if (!stats.isFile()) continue;
        mtime = stats.mtimeMs;
      } catch {
        continue; // removed while scanning
      }
      const group = groups.get(stem) ?? { files: [], mtime: 0 };
      group.files.push(path);
      group.mtime = Math.max(group.mtime, mtime);
      groups.set(stem, group);
    }
    // Stores wait for the scan, so the order holds only scanned dumps here.
    const oldestFirst = [...groups].sort(([a, x], [b, y]) => x.mtime - y.mtime || (a < b ? -1 : 1));
    for (const [stem, group] of oldestFirst) this.dumps.set(stem, group.files);
    await this.evictBeyondCapacity();
  }
}
