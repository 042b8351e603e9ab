import { UnsupportedFormatError } from '../errors.js';

/**
 * The encodings of a dump. `json`, `protobuf`, `dot` and `profile` are the Datadog Agent's;
 * `msgpack` is this library's compact, fast, lossless format.
 */
export const DUMP_FORMATS = ['json', 'protobuf', 'msgpack', 'dot', 'profile'] as const;

/** One of {@link DUMP_FORMATS}. */
export type DumpFormat = (typeof DUMP_FORMATS)[number];

/** Formats that can be decoded back into a dump (`dot` is output only). */
export const DECODABLE_FORMATS: readonly DumpFormat[] = ['json', 'protobuf', 'msgpack', 'profile'];

/** File extension of each format, without the dot (the agent's names; `.gz` is added when compressed). */
export const FORMAT_EXTENSIONS: Readonly<Record<DumpFormat, string>> = {
  json: 'json',
  protobuf: 'protobuf',
  msgpack: 'msgpack',
  dot: 'dot',
  profile: 'profile',
};

/**
 * Parses a format name, case-insensitively (`JSON`, `Protobuf`, … are accepted).
 * @throws {UnsupportedFormatError} for any other name.
 */
export function parseDumpFormat(name: string): DumpFormat {
  const lower = name.trim().toLowerCase();
  const format = DUMP_FORMATS.find((f) => f === lower);
  if (format === undefined) {
    throw new UnsupportedFormatError(`unsupported format '${name}' (supported: ${DUMP_FORMATS.join(', ')})`);
  }
  return format;
}
