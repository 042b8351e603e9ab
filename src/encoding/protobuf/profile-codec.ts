import { ActivityDump } from '../../dump/activity-dump.js';
import type { DumpMetadata } from '../../dump/dump-metadata.js';
import { tagValue } from '../../dump/tags.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ActivityTree } from '../../tree/activity-tree.js';
import type { DecodeLimits } from '../decode-limits.js';
import { readMessage, readMetadata, readProcessNode, type WireReader } from './tree-reader.js';
import {
  encodeWith,
  estimateTreeSize,
  writeMetadataField,
  writePackedUint32,
  writeRoots,
  writeString,
  writeStrings,
  writeUint64,
} from './tree-writer.js';

// SecurityProfile field tags (wire type in the low 3 bits).
const TAGS = (4 << 3) | 2; // deprecated
const METADATA = (3 << 3) | 2;
const TREE = (6 << 3) | 2;
const PROFILE_CONTEXTS = (7 << 3) | 2;
const SELECTOR = (8 << 3) | 2;
const FIELDS = [
  '',
  'status',
  'version',
  'metadata',
  'tags[]',
  'syscalls',
  'tree[]',
  'profile_contexts[]',
  'selector',
  'disabled',
];
const ENTRY_FIELDS = ['', 'key', 'value'];
const CONTEXT_FIELDS = ['', 'first_seen', 'last_seen', 'event_type_state[]', 'syscalls', 'tags[]'];
const SELECTOR_FIELDS = ['', 'image_name', 'image_tag'];

/** Options of {@link encodeSecurityProfile}. */
export interface ProfileEncodeOptions {
  /**
   * `first_seen` and `last_seen` of the profile context, ns. (The agent uses its monotonic clock
   * here, a boot-relative time.)
   * @default the dump's `metadata.end`, 0 without metadata
   */
  now?: bigint;
}

/** The agent's error when a dump has no `image_name` tag to build its selector from. */
export const NO_SELECTOR_MESSAGE = "can't get dump selector, tags shouldn't be resolved yet";

function hasTag(tags: readonly string[], name: string): boolean {
  const prefix = `${name}:`;
  return tags.some((t) => t.startsWith(prefix));
}

/** Sorted union of the syscall numbers of every process node, as uint32 (the field's type). */
function syscallUnion(tree: ActivityTree): number[] {
  const set = new Set<number>();
  for (const node of tree.processNodes()) for (const s of node.syscalls) set.add(s.syscall >>> 0);
  return [...set].sort((a, b) => a - b);
}

/**
 * Encodes a dump as the agent's binary `SecurityProfile` (the `profile` format), as the late
 * agent versions that write profiles from dumps do: `metadata`, `tree`, the selector
 * `{image_name, image_tag}` from the dump's `image_name:`/`image_tag:` tags (an empty image tag
 * becomes `latest`), and one profile context under the image tag with the syscall union of the
 * tree, the dump's tags and `first_seen = last_seen = now`. The deprecated `status`, `version`,
 * `tags` and `syscalls` fields are not written.
 *
 * @throws {InvalidArgumentError} when the dump has no `image_name` tag (the agent's message
 *   `can't get dump selector, tags shouldn't be resolved yet`), when `now` is not a bigint, or
 *   when a value is outside its wire type's range.
 */
export function encodeSecurityProfile(dump: ActivityDump, options: ProfileEncodeOptions = {}): Uint8Array {
  const imageName = tagValue(dump.tags, 'image_name');
  if (imageName === '') throw new InvalidArgumentError(NO_SELECTOR_MESSAGE);
  const imageTag = tagValue(dump.tags, 'image_tag') || 'latest';
  if (options.now !== undefined && typeof options.now !== 'bigint') {
    throw new InvalidArgumentError(`encodeSecurityProfile: now must be a bigint, got ${typeof options.now}`);
  }
  const now = options.now ?? dump.metadata?.end ?? 0n;
  const syscalls = syscallUnion(dump.tree);
  return encodeWith('encodeSecurityProfile', estimateTreeSize(dump.tree), (w) => {
    writeMetadataField(w, METADATA, dump.metadata);
    writeRoots(w, TREE, dump.tree.roots);
    w.uint32(PROFILE_CONTEXTS).fork();
    w.uint32((1 << 3) | 2).string(imageTag);
    w.uint32((2 << 3) | 2).fork();
    writeUint64(w, (1 << 3) | 0, now);
    writeUint64(w, (2 << 3) | 0, now);
    writePackedUint32(w, (4 << 3) | 2, syscalls);
    writeStrings(w, (5 << 3) | 2, dump.tags);
    w.join();
    w.join();
    w.uint32(SELECTOR).fork();
    writeString(w, (1 << 3) | 2, imageName);
    writeString(w, (2 << 3) | 2, imageTag);
    w.join();
  });
}

interface Selector {
  imageName: string;
  imageTag: string;
}

/**
 * Decodes a binary `SecurityProfile` into an {@link ActivityDump}: `metadata` and `tree` as
 * {@link decodeSecDump} reads them, and the tags of the profile context of the selector's image
 * tag (unlike the agent, which takes the first context in random map order; without a match,
 * the context with the smallest key, then the deprecated top-level `tags`). The selector is kept
 * by adding `image_name:`/`image_tag:` tags when they are missing, and `host`, `service` and
 * `source`, which the message does not carry, are taken from the `host:`, `service:` and
 * `source:` tags. Event-type states, profile times, `status`, `version` and `disabled` have no
 * place in a dump and are skipped.
 *
 * @throws {InputTooLargeError} when a limit is exceeded (`limit` names which).
 * @throws {CorruptInputError} when the bytes are not a valid message.
 * @throws {InvalidArgumentError} when `bytes` is not a `Uint8Array` or a limit is invalid.
 */
export function decodeSecurityProfile(bytes: Uint8Array, limits: DecodeLimits): ActivityDump {
  return readMessage(bytes, limits, 'decodeSecurityProfile', (r) => {
    const dump = new ActivityDump();
    let metadata: DumpMetadata | undefined;
    let legacyTags: string[] | undefined;
    const contexts = new Map<string, string[]>();
    let selector: Selector | undefined;
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
          case METADATA:
            metadata = readMetadata(r);
            break;
          case TAGS:
            legacyTags ??= [];
            legacyTags.push(r.string());
            break;
          case TREE:
            dump.tree.appendRoot(readProcessNode(r));
            break;
          case PROFILE_CONTEXTS: {
            // A map: the last entry of a key wins.
            const [key, tags] = readContextEntry(r);
            contexts.set(key, tags);
            break;
          }
          case SELECTOR:
            selector = readSelector(r);
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
    dump.tags = pickTags(contexts, selector, legacyTags);
    if (selector !== undefined && selector.imageName !== '') {
      if (!hasTag(dump.tags, 'image_name')) dump.tags.push(`image_name:${selector.imageName}`);
      if (selector.imageTag !== '' && !hasTag(dump.tags, 'image_tag')) {
        dump.tags.push(`image_tag:${selector.imageTag}`);
      }
    }
    dump.host = tagValue(dump.tags, 'host');
    dump.service = tagValue(dump.tags, 'service');
    dump.source = tagValue(dump.tags, 'source');
    dump.tree.recountNodes();
    return dump;
  });
}

function pickTags(
  contexts: Map<string, string[]>,
  selector: Selector | undefined,
  legacyTags: string[] | undefined,
): string[] {
  if (selector !== undefined) {
    const tags = contexts.get(selector.imageTag);
    if (tags !== undefined) return [...tags];
  }
  if (contexts.size > 0) {
    const first = [...contexts.keys()].sort()[0]!;
    return [...contexts.get(first)!];
  }
  return legacyTags ?? [];
}

function readSelector(r: WireReader): Selector {
  const saved = r.enter();
  const selector: Selector = { imageName: '', imageTag: '' };
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((1 << 3) | 2)) selector.imageName = r.string();
      else if (tag === ((2 << 3) | 2)) selector.imageTag = r.string();
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, SELECTOR_FIELDS, field, 0);
  }
  r.leave(saved);
  return selector;
}

/** A `profile_contexts` entry: the image tag and the context's tags. */
function readContextEntry(r: WireReader): [string, string[]] {
  const saved = r.enter();
  let key = '';
  let tags: string[] = [];
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((1 << 3) | 2)) key = r.string();
      else if (tag === ((2 << 3) | 2)) tags = readContextTags(r);
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, ENTRY_FIELDS, field, 0);
  }
  r.leave(saved);
  return [key, tags];
}

function readContextTags(r: WireReader): string[] {
  const saved = r.enter();
  const tags: string[] = [];
  let field = 0;
  let index = -1;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((5 << 3) | 2)) {
        index++;
        tags.push(r.string());
      } else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, CONTEXT_FIELDS, field, Math.max(index, 0));
  }
  r.leave(saved);
  return tags;
}
