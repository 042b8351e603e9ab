import { type DumpFormat, parseDumpFormat } from '../encoding/dump-format.js';
import { UnsupportedFormatError } from '../errors.js';

/** Where a dump goes: a local directory, or a remote intake. */
export type StorageType = 'local_storage' | 'remote_storage';

/** Every {@link StorageType}. */
export const STORAGE_TYPES: readonly StorageType[] = ['local_storage', 'remote_storage'];

/** One place and shape a dump is persisted in: a storage type, a format, and compression. */
export interface StorageRequest {
  readonly type: StorageType;
  readonly format: DumpFormat;
  /** Gzip the encoded bytes (files get `.gz`). */
  readonly compression: boolean;
  /** Directory of a local request; `""` for remote ones. */
  readonly outputDirectory: string;
}

/** Where a caller wants a dump stored: the agent's `StorageRequestParams`. */
export interface StorageRequestParams {
  /** @default '' */
  localStorageDirectory?: string;
  /** Local formats, case-insensitive, one leading `.` allowed. @default [] */
  localStorageFormats?: readonly string[];
  /** @default false */
  localStorageCompression?: boolean;
  /** Remote formats. @default [] */
  remoteStorageFormats?: readonly string[];
  /** @default false */
  remoteStorageCompression?: boolean;
}

/**
 * Parses a storage format name: case-insensitive, with one optional leading `.` (`.JSON`).
 * @throws {UnsupportedFormatError} for an unknown name.
 */
export function parseStorageFormat(name: string): DumpFormat {
  if (typeof name !== 'string')
    throw new UnsupportedFormatError(`a storage format is a name, got ${typeof name}`);
  return parseDumpFormat(name.startsWith('.') ? name.slice(1) : name);
}

/**
 * One local request per local format (sharing the directory and compression), then one remote
 * request per remote format, in the given order — the agent's `ParseStorageRequests`.
 * @throws {UnsupportedFormatError} for an unknown format (local formats are checked first);
 *   nothing is returned in part.
 */
export function parseStorageRequests(params: StorageRequestParams): StorageRequest[] {
  const local = (params.localStorageFormats ?? []).map(parseStorageFormat);
  const remote = (params.remoteStorageFormats ?? []).map(parseStorageFormat);
  const directory = params.localStorageDirectory ?? '';
  return [
    ...local.map((format) => ({
      type: 'local_storage' as const,
      format,
      compression: params.localStorageCompression === true,
      outputDirectory: directory,
    })),
    ...remote.map((format) => ({
      type: 'remote_storage' as const,
      format,
      compression: params.remoteStorageCompression === true,
      outputDirectory: '',
    })),
  ];
}
