import type { ActivityDump } from '../dump/activity-dump.js';
import { gzip } from './compression.js';
import { encodeDot } from './dot-encoder.js';
import { type DumpFormat, parseDumpFormat } from './dump-format.js';
import { writeJsonDump } from './json-dump-writer.js';
import { encodeMsgpack } from './msgpack-codec.js';
import { encodeSecurityProfile } from './protobuf/profile-codec.js';
import { encodeSecDump } from './protobuf/sec-dump-codec.js';

/** Options of {@link encodeDump}. */
export interface EncodeOptions {
  /**
   * Gzip the encoded bytes (files get a `.gz` suffix).
   * @default false
   */
  compression?: boolean;
}

const textEncoder = new TextEncoder();

/** The bytes of a dump in one format, uncompressed. */
function encodeFormat(dump: ActivityDump, format: DumpFormat): Uint8Array {
  switch (format) {
    case 'json':
      return textEncoder.encode(writeJsonDump(dump));
    case 'protobuf':
      return encodeSecDump(dump);
    case 'msgpack':
      return encodeMsgpack(dump);
    case 'dot':
      return textEncoder.encode(encodeDot(dump));
    case 'profile':
      return encodeSecurityProfile(dump);
  }
}

/**
 * Encodes a dump in one of {@link DUMP_FORMATS} (case-insensitive), optionally gzipped.
 *
 * @throws {UnsupportedFormatError} for an unknown format name.
 * @throws {InvalidArgumentError} for `profile` when the dump has no `image_name:` tag (its selector).
 */
export function encodeDump(dump: ActivityDump, format: string, options: EncodeOptions = {}): Uint8Array {
  const bytes = encodeFormat(dump, parseDumpFormat(format));
  return options.compression === true ? gzip(bytes) : bytes;
}
