import { gunzipSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { CorruptInputError, InputTooLargeError } from '../errors.js';

/** Whether the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gzips bytes at the given level (the agent uses the default, 6). */
export function gzip(bytes: Uint8Array, level = zlibConstants.Z_DEFAULT_COMPRESSION): Uint8Array {
  return gzipSync(bytes, { level });
}

/**
 * Gunzips bytes, stopping as soon as the output would exceed `maxBytes` so that a gzip bomb
 * costs at most that much memory.
 * @throws {InputTooLargeError} past `maxBytes` (limit `maxBytes`).
 * @throws {CorruptInputError} when the bytes are not a valid gzip stream.
 */
export function gunzipLimited(bytes: Uint8Array, maxBytes: number): Uint8Array {
  try {
    // zlib's own cap: it aborts the inflate instead of buffering the whole output.
    const maxOutputLength = Math.min(maxBytes, 2 ** 31 - 1) + 1;
    const out = gunzipSync(bytes, { maxOutputLength });
    if (out.length > maxBytes) throw tooLarge(maxBytes);
    return out;
  } catch (error) {
    if (error instanceof InputTooLargeError) throw error;
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge(maxBytes);
    }
    throw new CorruptInputError(`gzip: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function tooLarge(maxBytes: number): InputTooLargeError {
  return new InputTooLargeError('maxBytes', `decompressed input exceeds maxBytes (${maxBytes} bytes)`);
}
