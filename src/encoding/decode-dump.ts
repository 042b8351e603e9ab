import type { ActivityDump } from '../dump/activity-dump.js';
import { InputTooLargeError, InvalidArgumentError, UnsupportedFormatError } from '../errors.js';
import { gunzipLimited, isGzip } from './compression.js';
import { type DecodeLimits, resolveDecodeLimits } from './decode-limits.js';
import { DECODABLE_FORMATS, type DumpFormat, parseDumpFormat } from './dump-format.js';
import { readJsonDump } from './json-dump-reader.js';
import { decodeMsgpack, MSGPACK_MAGIC } from './msgpack-codec.js';
import { decodeSecurityProfile } from './protobuf/profile-codec.js';
import { decodeSecDump } from './protobuf/sec-dump-codec.js';

/** Options of {@link decodeDump}. */
export interface DecodeOptions {
  /**
   * Encoding of the input, one of `DECODABLE_FORMATS` (case-insensitive).
   * @default detected from the content: gzip is unwrapped, then `json` when the first
   *   non-whitespace byte is `{`, `msgpack` for this library's msgpack dumps, else `protobuf`
   *   (a `profile` must be named: it is not told apart from `protobuf` by its bytes)
   */
  format?: string;
  /**
   * Overrides of the decoding limits; missing ones come from `DEFAULT_DECODE_LIMITS`.
   * @default {}
   */
  limits?: Partial<DecodeLimits>;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Decodes an encoded activity dump: `json` (the agent's protobuf-JSON), `protobuf` (the agent's
 * binary `SecDump`), `msgpack` (this library's) or `profile` (the agent's `SecurityProfile`).
 * Gzipped input is decompressed first, within `maxBytes`.
 *
 * @param bytes The encoded dump, as bytes or as already-decoded text (JSON).
 * @param options Format and limits.
 * @throws {UnsupportedFormatError} when the format is unknown or output-only (`dot`), or is
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
  let input = bytes;
  if (typeof input !== 'string') {
    if (isGzip(input)) input = gunzipLimited(input, limits.maxBytes);
    else checkSize(input.length, limits);
  }
  const format = options.format === undefined ? detectFormat(input) : parseDumpFormat(options.format);
  switch (format) {
    case 'json':
      return readJsonDump(toText(input, limits), limits);
    case 'protobuf':
      return decodeSecDump(toBytes(input), limits);
    case 'msgpack':
      return decodeMsgpack(toBytes(input), limits);
    case 'profile':
      return decodeSecurityProfile(toBytes(input), limits);
    case 'dot':
      throw new UnsupportedFormatError(
        `the dot format is output only (decodable: ${DECODABLE_FORMATS.join(', ')})`,
      );
  }
}

function checkSize(length: number, limits: DecodeLimits): void {
  if (length > limits.maxBytes) {
    throw new InputTooLargeError(
      'maxBytes',
      `input of ${length} bytes exceeds maxBytes (${limits.maxBytes})`,
    );
  }
}

function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? new TextEncoder().encode(input) : input;
}

// msgpack dumps are an array whose first element is the fixstr MSGPACK_MAGIC.
const MSGPACK_PREFIX = new TextEncoder().encode(MSGPACK_MAGIC);

/** The format the content looks like. */
function detectFormat(input: Uint8Array | string): DumpFormat {
  const first = firstSignificantCode(input);
  if (first === 0x7b /* { */) return 'json';
  if (typeof input === 'string') {
    throw new UnsupportedFormatError(
      `cannot detect the dump format of this text; pass options.format (decodable: ${DECODABLE_FORMATS.join(', ')})`,
    );
  }
  if (isMsgpackDump(input)) return 'msgpack';
  return 'protobuf';
}

function isMsgpackDump(bytes: Uint8Array): boolean {
  // fixarray or array16/32, then a fixstr of the magic's length
  let i = 0;
  const marker = bytes[0];
  if (marker === undefined) return false;
  if (marker >= 0x90 && marker <= 0x9f) i = 1;
  else if (marker === 0xdc) i = 3;
  else if (marker === 0xdd) i = 5;
  else return false;
  if (bytes[i] !== (0xa0 | MSGPACK_PREFIX.length)) return false;
  for (let k = 0; k < MSGPACK_PREFIX.length; k++) if (bytes[i + 1 + k] !== MSGPACK_PREFIX[k]) return false;
  return true;
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
  checkSize(input.length, limits);
  return textDecoder.decode(input);
}
