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
