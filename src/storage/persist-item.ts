import type { ActivityDump } from '../dump/activity-dump.js';
import { gzip } from '../encoding/compression.js';
import type { DumpFormat } from '../encoding/dump-format.js';
import { encodeDump } from '../encoding/encode-dump.js';
import { toError } from '../errors.js';
import type { PersistOutcome } from './dump-persister.js';
import type { PersistItem } from './storage-backend.js';

/**
 * One item per storage request of a dump, ready for its backend: each format is encoded once
 * (the metadata's `serialization` set to it first, as the agent does) and each (format,
 * compression) gzipped once, on first use. A format that cannot be encoded gives a failed
 * outcome instead of an item.
 */
export function createPersistItems(dump: ActivityDump): Array<PersistItem | { failure: PersistOutcome }> {
  const encoded = new Map<DumpFormat, Uint8Array | Error>();
  const payloads = new Map<string, Uint8Array>();
  return dump.storageRequests.map((request) => {
    let bytes = encoded.get(request.format);
    if (bytes === undefined) {
      try {
        if (dump.metadata !== undefined) dump.metadata.serialization = request.format;
        bytes = encodeDump(dump, request.format);
      } catch (error) {
        bytes = toError(error);
      }
      encoded.set(request.format, bytes);
    }
    if (bytes instanceof Error) return { failure: { request, ok: false, error: bytes } };
    const raw = bytes;
    const key = `${request.format}:${request.compression}`;
    return {
      dump,
      request,
      encoded: raw,
      get payload(): Uint8Array {
        if (!request.compression) return raw;
        let payload = payloads.get(key);
        if (payload === undefined) {
          payload = gzip(raw);
          payloads.set(key, payload);
        }
        return payload;
      },
    };
  });
}
