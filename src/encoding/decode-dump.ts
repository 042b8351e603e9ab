import type { ActivityDump } from '../dump/activity-dump.js';
import { InputTooLargeError, InvalidArgumentError, UnsupportedFormatError } from '../errors.js';
import { type DecodeLimits, resolveDecodeLimits } from './decode-limits.js';
import { readJsonDump } from './json-dump-reader.js';

/** Options of {@link decodeDump}. */
export interface DecodeOptions {
  /**
   * Encoding of the input, one of `DECODE_FORMATS` (case-insensitive).
   * @default detected from the content: `json` when the first non-whitespace byte is `{`
   */
  format?: string;
  /**
   * Overrides of the decoding limits; missing ones come from `DEFAULT_DECODE_LIMITS`.
   * @default {}
   */
  limits?: Partial<DecodeLimits>;
}

/** The formats {@link decodeDump} reads, in lower case. */
export const DECODE_FORMATS: readonly string[] = Object.freeze(['json']);

/**
 * Decodes an encoded activity dump.
 *
 * Formats: `json` (the agent's protobuf-JSON `SecDump`, see `readJsonDump`). Bytes are read
 * as UTF-8 (invalid sequences become U+FFFD, a leading byte-order mark is skipped).
 *
 * @param bytes The encoded dump, as bytes or as already-decoded text.
 * @param options Format and limits.
 * @throws {UnsupportedFormatError} when the format is not one of `DECODE_FORMATS`, or is
 *   omitted and cannot be detected.
 * @throws {InputTooLargeError} when the input exceeds a limit (`limit` names which).
 * @throws {CorruptInputError} when the input is not a valid dump of its format.
 * @throws {InvalidArgumentError} when `bytes` is neither a `Uint8Array` nor a string, or an option
 *   is out of its domain.
 */
export function decodeDump(bytes: Uint8Array | string, options: DecodeOptions = {}): ActivityDump {
  if (typeof bytes !== 'string' && !(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError('decodeDump: input must be a Uint8Array or a string');
  }
  if (options.format !== undefined && typeof options.format !== 'string') {
    throw new InvalidArgumentError(`decodeDump: format must be a string, got ${typeof options.format}`);
  }
  const limits = resolveDecodeLimits(options.limits);
  const format = options.format?.toLowerCase() ?? detectFormat(bytes);
  switch (format) {
    case 'json':
      return readJsonDump(toText(bytes, limits), limits);
    default:
      throw new UnsupportedFormatError(
        format === undefined
          ? `cannot detect the dump format; pass options.format (supported: ${DECODE_FORMATS.join(', ')})`
          : `unsupported dump format ${JSON.stringify(options.format)} (supported: ${DECODE_FORMATS.join(', ')})`,
      );
  }
}

/** The format the content looks like, or `undefined` when it matches none. */
function detectFormat(input: Uint8Array | string): string | undefined {
  const first = firstSignificantCode(input);
  if (first === 0x7b /* { */) return 'json';
  return undefined;
}

/** The first code unit (or byte) that is neither JSON whitespace nor a byte-order mark. */
function firstSignificantCode(input: Uint8Array | string): number | undefined {
  if (typeof input === 'string') {
    for (let i = 0; i < input.length; i++) {
      const c = input.charCodeAt(i);
      if (!isWhitespace(c) && c !== 0xfeff) return c;
    }
    return undefined;
  }
  let i = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  for (; i < input.length; i++) {
    const c = input[i]!;
    if (!isWhitespace(c)) return c;
  }
  return undefined;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** The input as text, after checking its byte length against `maxBytes`. */
function toText(input: Uint8Array | string, limits: DecodeLimits): string {
  if (typeof input === 'string') return input;
  if (input.length > limits.maxBytes) {
    throw new InputTooLargeError(
      'maxBytes',
      `input is ${input.length} bytes, more than maxBytes (${limits.maxBytes})`,
    );
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(input);
}
