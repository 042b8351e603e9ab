/**
 * Base class of every error the library throws. `code` is stable across releases: match on it,
 * not on the message.
 */
export class ActivityDumpError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = 'AD_ERR';
  override name = 'ActivityDumpError';
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
