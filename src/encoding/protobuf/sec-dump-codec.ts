import { ActivityDump } from '../../dump/activity-dump.js';
import type { DumpMetadata } from '../../dump/dump-metadata.js';
import type { DecodeLimits } from '../decode-limits.js';
import { readMessage, readMetadata, readProcessNode } from './tree-reader.js';
import {
  encodeWith,
  estimateTreeSize,
  writeMetadataField,
  writeRoots,
  writeString,
  writeStrings,
} from './tree-writer.js';

// SecDump field tags: host=1, service=2, source=3 (strings), metadata=4, tags=5, tree=6.
const HOST = (1 << 3) | 2;
const SERVICE = (2 << 3) | 2;
const SOURCE = (3 << 3) | 2;
const METADATA = (4 << 3) | 2;
const TAGS = (5 << 3) | 2;
const TREE = (6 << 3) | 2;

const FIELDS = ['', 'host', 'service', 'source', 'metadata', 'tags[]', 'tree[]'];

/**
 * Encodes a dump as the agent's binary `SecDump` (the `protobuf` format), straight from the
 * tree. See `tree-writer.ts` for the field rules (current fields only, proto3 zero omission,
 * ascending field numbers, exact 64-bit values).
 *
 * @throws {InvalidArgumentError} when a value in the dump is outside its wire type's range.
 */
export function encodeSecDump(dump: ActivityDump): Uint8Array {
  return encodeWith('encodeSecDump', estimateTreeSize(dump.tree), (w) => {
    writeString(w, HOST, dump.host);
    writeString(w, SERVICE, dump.service);
    writeString(w, SOURCE, dump.source);
    writeMetadataField(w, METADATA, dump.metadata);
    writeStrings(w, TAGS, dump.tags);
    writeRoots(w, TREE, dump.tree.roots);
  });
}

/**
 * Decodes a binary `SecDump` into an {@link ActivityDump}, as the JSON reader does for the
 * protobuf-JSON form: legacy fields are read (the 32-bit `cookie` when `cookie64` is unset,
 * packed `syscalls` as Runtime syscall nodes, `image_tags`, file `first_seen`, the July 2023
 * node-level `is_exec_child`), unknown fields are skipped, the tree's `differentiateArgs`
 * follows the metadata and node counts are recomputed.
 *
 * @param bytes The encoded message.
 * @param limits `maxBytes` bounds the input length, `maxDepth` the message nesting (each
 *   embedded message is one level; the top-level message is level 0), `maxNodes` the tree nodes
 *   created (all kinds).
 * @throws {InputTooLargeError} when a limit is exceeded (`limit` names which).
 * @throws {CorruptInputError} when the bytes are not a valid message (truncated varint or
 *   field, length prefix beyond the input, invalid tag or wire type, …); the message starts with
 *   the field path, such as `tree[0].children[1].files[3].name`, and ends with the byte offset.
 * @throws {InvalidArgumentError} when `bytes` is not a `Uint8Array` or a limit is invalid.
 */
export function decodeSecDump(bytes: Uint8Array, limits: DecodeLimits): ActivityDump {
  return readMessage(bytes, limits, 'decodeSecDump', (r) => {
    const dump = new ActivityDump();
    let metadata: DumpMetadata | undefined;
    let field = 0;
    let last = 0;
    let index = 0;
    try {
      while (r.pos < r.end) {
        field = 0;
        const tag = r.tag();
        field = tag >>> 3;
        if (field === last) index++;
        else {
          last = field;
          index = 0;
        }
        switch (tag) {
          case HOST:
            dump.host = r.string();
            break;
          case SERVICE:
            dump.service = r.string();
            break;
          case SOURCE:
            dump.source = r.string();
            break;
          case METADATA:
            metadata = readMetadata(r);
            break;
          case TAGS:
            dump.tags.push(r.string());
            break;
          case TREE:
            dump.tree.appendRoot(readProcessNode(r));
            break;
          default:
            r.skip(tag & 7);
        }
      }
    } catch (error) {
      throw r.at(error, FIELDS, field, index);
    }
    dump.metadata = metadata;
    if (metadata !== undefined) dump.tree.differentiateArgs = metadata.differentiateArgs;
    dump.tree.recountNodes();
    return dump;
  });
}
