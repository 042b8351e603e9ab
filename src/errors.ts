/**
 * Base class of every error the library throws. `code` is stable across releases: match on it,
 * not on the message.
 */
export class ActivityDumpError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = 'AD_ERR';
  override name = 'ActivityDumpError';
}

/** A thrown value as an `Error` (anything else is wrapped, its text as the message). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** An argument or option is out of its documented domain (a programming error in the caller). */
export class InvalidArgumentError extends ActivityDumpError {
  override readonly code = 'AD_ERR_INVALID_ARGUMENT';
  override name = 'InvalidArgumentError';
}

/** A CWS event JSON document does not have the expected shape. */
export class EventParseError extends ActivityDumpError {
  override readonly code = 'AD_ERR_EVENT_PARSE';
  override name = 'EventParseError';
  /** JSON path of the offending field, such as `process.ancestors[1].pid`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** The requested encoding format is not one the library knows. */
export class UnsupportedFormatError extends ActivityDumpError {
  override readonly code = 'AD_ERR_UNSUPPORTED_FORMAT';
  override name = 'UnsupportedFormatError';
}

/** Encoded dump bytes could not be decoded. */
export class CorruptInputError extends ActivityDumpError {
  override readonly code = 'AD_ERR_CORRUPT_INPUT';
  override name = 'CorruptInputError';
}

/** Decoding stopped because the input exceeded one of the configured limits. */
export class InputTooLargeError extends ActivityDumpError {
  override readonly code = 'AD_ERR_INPUT_TOO_LARGE';
  override name = 'InputTooLargeError';
  /** Which limit was exceeded, such as `maxNodes`. */
  readonly limit: string;

  constructor(limit: string, message: string) {
    super(message);
    this.limit = limit;
  }
}

/** A dump is already running for the container or cgroup a new dump was asked for. */
export class DumpAlreadyRunningError extends ActivityDumpError {
  override readonly code = 'AD_ERR_DUMP_ALREADY_RUNNING';
  override name = 'DumpAlreadyRunningError';
}

/** No active dump matches what a stop request named. */
export class DumpNotFoundError extends ActivityDumpError {
  override readonly code = 'AD_ERR_DUMP_NOT_FOUND';
  override name = 'DumpNotFoundError';
}

/** Every tracing slot is taken: a new dump cannot start until one ends. */
export class CapacityReachedError extends ActivityDumpError {
  override readonly code = 'AD_ERR_CAPACITY_REACHED';
  override name = 'CapacityReachedError';
  /** Dumps traced when the start was refused. */
  readonly active: number;
  /** The configured maximum (`tracedCgroupsCount`). */
  readonly max: number;

  constructor(active: number, max: number) {
    super(`activity dump capacity reached (${active}/${max})`);
    this.active = active;
    this.max = max;
  }
}

/** The manager was closed; it accepts no more events or dumps. */
export class ManagerClosedError extends ActivityDumpError {
  override readonly code = 'AD_ERR_MANAGER_CLOSED';
  override name = 'ManagerClosedError';
}

/** A storage backend could not store a dump. `cause` holds the underlying error, when there is one. */
export class StorageError extends ActivityDumpError {
  override readonly code: string = 'AD_ERR_STORAGE';
  override name = 'StorageError';
}

/** A local write failed: the dump is not stored and no file is left behind. */
export class StorageWriteError extends StorageError {
  override readonly code: string = 'AD_ERR_STORAGE_WRITE';
  override name = 'StorageWriteError';
  /** The file that could not be written. */
  readonly path: string;
  /** The system error code (`ENOSPC`, `EACCES`, …), `undefined` when there is none. */
  readonly errno: string | undefined;

  constructor(path: string, cause: unknown) {
    const errno = (cause as { code?: unknown } | undefined)?.code;
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`couldn't persist to file [${path}]: ${detail}`, { cause });
    this.path = path;
    this.errno = typeof errno === 'string' ? errno : undefined;
  }
}

/** The intake refused or could not take an upload (not HTTP 202), after any retries. */
export class RemoteStorageError extends StorageError {
  override readonly code: string = 'AD_ERR_REMOTE_STORAGE';
  override name = 'RemoteStorageError';
  /** The endpoint, without credentials. */
  readonly endpoint: string;
  /** HTTP status of the last attempt; `undefined` for a network error or a timeout. */
  readonly status: number | undefined;
  /** Attempts made. */
  readonly attempts: number;

  constructor(
    message: string,
    details: { endpoint: string; status?: number | undefined; attempts: number; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.attempts = details.attempts;
  }
}

/** The intake answered 413: the dump is too large for it (never retried). */
export class PayloadTooLargeError extends RemoteStorageError {
  override readonly code: string = 'AD_ERR_PAYLOAD_TOO_LARGE';
  override name = 'PayloadTooLargeError';
}

/** A storage was shut down; it stores nothing more. */
export class StorageClosedError extends StorageError {
  override readonly code: string = 'AD_ERR_STORAGE_CLOSED';
  override name = 'StorageClosedError';
}

/** `/proc` itself cannot be read (missing, or closed to this process): not a race on one process. */
export class ProcfsError extends ActivityDumpError {
  override readonly code = 'AD_ERR_PROCFS';
  override name = 'ProcfsError';
}
