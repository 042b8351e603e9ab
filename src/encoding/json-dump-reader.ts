import { ActivityDump } from '../dump/activity-dump.js';
import { type DumpMetadata, emptyMetadata } from '../dump/dump-metadata.js';
import { CorruptInputError, InputTooLargeError, InvalidArgumentError } from '../errors.js';
import type {
  AwsSecurityCredentials,
  FlowStats,
  ImdsInfo,
  IpPort,
  NetworkDevice,
  NetworkFlow,
} from '../events/activity-event.js';
import { type FileInfo, HashState } from '../events/file-info.js';
import type { MatchedRule } from '../events/matched-rule.js';
import type { Credentials, ProcessInfo } from '../events/process.js';
import { CapabilityNode } from '../tree/capability-node.js';
import { DnsNode, type DnsRequest } from '../tree/dns-node.js';
import { FileNode } from '../tree/file-node.js';
import { GenerationType } from '../tree/generation-type.js';
import type { ImageTagTimes } from '../tree/image-tags.js';
import { ImdsNode, imdsKey, normalizeImds } from '../tree/imds-node.js';
import { addLegacySyscalls } from '../tree/legacy-syscalls.js';
import { deviceKey, FlowNode, flowKey, NetworkDeviceNode } from '../tree/network-device-node.js';
import { ProcessNode } from '../tree/process-node.js';
import { BindNode, SocketNode } from '../tree/socket-node.js';
import { SyscallNode } from '../tree/syscall-node.js';
import { checkDecodeLimits, type DecodeLimits } from './decode-limits.js';

/**
 * Reads the Datadog Agent's protobuf-JSON `SecDump` (top-level `host`, `service`, `source`,
 * `metadata`, `tags`, `tree`) into an {@link ActivityDump}.
 *
 * Reading follows protobuf-JSON rules with unknown keys discarded, as the agent does:
 * - keys may be the proto field names (`mount_id`, what the agent writes) or their lowerCamelCase
 *   JSON names (`mountId`); unknown keys are ignored, except the legacy FileInfo key
 *   `package_srcversion`, read as `packageSrcVersion`;
 * - 64-bit integers are JSON strings (or safe-integer numbers) and become exact `bigint`s;
 *   32-bit integers are numbers or numeric strings; `null` means unset;
 * - enums are names (`"RUNTIME"`, `"DONE"`) or numbers; unknown names are ignored.
 *
 * The tree is rebuilt as the agent's decoder does: files and file children are keyed by name
 * (duplicates: last wins), DNS nodes by their first request's name (nodes without requests are
 * dropped), IMDS nodes by their normalised event, network devices by (netns, ifindex, ifname)
 * (last wins) and flows by 5-tuple (first wins). Syscall, capability and flow nodes get
 * generation type Runtime; DNS, socket, bind, IMDS and device nodes, which have no generation
 * type on the wire, get Unknown. Lists (children, sockets, binds, requests, rules) are kept as read.
 * Node counts are recomputed at the end, and the tree's `differentiateArgs` follows the metadata.
 *
 * @param text The JSON text.
 * @param limits Bounds on input size, JSON nesting and created nodes.
 * @throws {InputTooLargeError} when the text is longer than `maxBytes`, nests deeper than
 *   `maxDepth`, or would create more than `maxNodes` nodes (`limit` names which).
 * @throws {CorruptInputError} when the text is not JSON or a value has the wrong type or range;
 *   the message starts with the JSON path of the value, such as `tree[0].children[2].process.pid`.
 * @throws {InvalidArgumentError} when a limit is not a non-negative integer or `Infinity`.
 */
export function readJsonDump(text: string, limits: DecodeLimits): ActivityDump {
  if (typeof text !== 'string') throw new InvalidArgumentError('readJsonDump: text must be a string');
  checkDecodeLimits(limits);
  if (text.length > limits.maxBytes) {
    throw new InputTooLargeError(
      'maxBytes',
      `input is ${text.length} characters long, more than maxBytes (${limits.maxBytes})`,
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  checkNesting(body, limits.maxDepth);
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch (error) {
    throw translateParseError(error);
  }
  try {
    return new JsonDumpReader(limits.maxNodes).readDump(root);
  } catch (error) {
    if (isStackOverflow(error)) {
      throw new InputTooLargeError(
        'maxDepth',
        'input nests deeper than the runtime stack allows; lower maxDepth',
      );
    }
    throw error;
  }
}

// ---- limits -------------------------------------------------------------------------------

/**
 * Throws when `{`/`[` nest deeper than `maxDepth`. A linear scan that skips string contents, run
 * before `JSON.parse` so that hostile nesting never reaches a recursive routine.
 */
function checkNesting(text: string, maxDepth: number): void {
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = endOfString(text, i);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) {
        throw new InputTooLargeError(
          'maxDepth',
          `JSON nests deeper than maxDepth (${maxDepth}) at offset ${i}`,
        );
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
}

/** Index of the quote closing the string opened at `open` (the text length when unterminated). */
function endOfString(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const close = text.indexOf('"', from);
    if (close < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return close;
    from = close + 1;
  }
}

function translateParseError(error: unknown): Error {
  if (isStackOverflow(error)) {
    return new InputTooLargeError(
      'maxDepth',
      'input nests deeper than the runtime stack allows; lower maxDepth',
    );
  }
  if (error instanceof RangeError) {
    return new InputTooLargeError('maxBytes', `input too large for the runtime: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CorruptInputError(`invalid JSON: ${message}`, { cause: error });
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

// ---- JSON value helpers -------------------------------------------------------------------

type JsonObject = { [key: string]: unknown };
type Key = string | number | undefined;
type Convert<T> = (value: unknown, path: string, key: Key) => T;

/** `path` followed by `key` (`.name` for a field, `[i]` for a list element, nothing when absent). */
function describe(path: string, key: Key): string {
  if (key === undefined) return path === '' ? '(top level)' : path;
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function corrupt(path: string, key: Key, message: string): CorruptInputError {
  return new CorruptInputError(`${describe(path, key)}: ${message}`);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}

function wrongType(path: string, key: Key, expected: string, value: unknown): CorruptInputError {
  return corrupt(path, key, `expected ${expected}, got ${typeName(value)}`);
}

const jsonNames = new Map<string, string>();

/** The lowerCamelCase JSON name protoc derives from a proto field name (`is_imds_v2` → `isImdsV2`). */
function jsonName(protoName: string): string {
  let name = jsonNames.get(protoName);
  if (name === undefined) {
    name = protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    jsonNames.set(protoName, name);
  }
  return name;
}

/** The key under which a field is present: its proto name, else its JSON name. */
function keyOf(obj: JsonObject, protoName: string): string | undefined {
  if (Object.hasOwn(obj, protoName)) return protoName;
  const alt = jsonName(protoName);
  return alt !== protoName && Object.hasOwn(obj, alt) ? alt : undefined;
}

/** A field's converted value, `undefined` when absent or `null`. */
function get<T>(obj: JsonObject, path: string, protoName: string, convert: Convert<T>): T | undefined {
  const key = keyOf(obj, protoName);
  if (key === undefined) return undefined;
  const value = obj[key];
  return value === null ? undefined : convert(value, path, key);
}

/** A nested message field with its path, `undefined` when absent or `null`. */
function sub(obj: JsonObject, path: string, protoName: string): [JsonObject, string] | undefined {
  const key = keyOf(obj, protoName);
  if (key === undefined) return undefined;
  const value = obj[key];
  return value === null ? undefined : [asObject(value, path, key), describe(path, key)];
}

/** Calls `visit` with each element of a repeated field and the element's path. */
function forEach(
  obj: JsonObject,
  path: string,
  protoName: string,
  visit: (element: unknown, elementPath: string) => void,
): void {
  const key = keyOf(obj, protoName);
  if (key === undefined) return;
  const value = obj[key];
  if (value === null) return;
  const list = asArray(value, path, key);
  const listPath = describe(path, key);
  for (let i = 0; i < list.length; i++) visit(list[i], `${listPath}[${i}]`);
}

/** Sets `target[key]` only when the value is defined. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function asObject(value: unknown, path: string, key?: Key): JsonObject {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  throw wrongType(path, key, 'an object', value);
}

function asArray(value: unknown, path: string, key: Key): unknown[] {
  if (Array.isArray(value)) return value;
  throw wrongType(path, key, 'an array', value);
}

function asString(value: unknown, path: string, key: Key): string {
  if (typeof value === 'string') return value;
  throw wrongType(path, key, 'a string', value);
}

function asBool(value: unknown, path: string, key: Key): boolean {
  if (typeof value === 'boolean') return value;
  throw wrongType(path, key, 'a boolean', value);
}

function listOf<T>(convert: Convert<T>): Convert<T[]> {
  return (value, path, key) => {
    const list = asArray(value, path, key);
    const listPath = describe(path, key);
    const out = new Array<T>(list.length);
    for (let i = 0; i < list.length; i++) out[i] = convert(list[i], listPath, i);
    return out;
  };
}

const asStringList = listOf(asString);

const SIMPLE_INTEGER = /^-?\d{1,20}$/;
const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const ALL_ZEROS = /^0*$/;

/**
 * The integer written in a string, as protobuf JSON allows (`"42"`, also `"4.2e1"`), or
 * `undefined` when it is not an integer. Long texts are refused before any BigInt work.
 */
function parseIntegerText(text: string): bigint | undefined {
  if (text.length > 64) return undefined;
  if (SIMPLE_INTEGER.test(text)) return BigInt(text);
  const match = NUMBER_TEXT.exec(text);
  if (match === null) return undefined;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  let digits = whole + fraction;
  const exponent = Number(exponentText) - fraction.length;
  if (exponent < 0) {
    const cut = Math.max(0, digits.length + exponent);
    if (!ALL_ZEROS.test(digits.slice(cut))) return undefined;
    digits = digits.slice(0, cut);
  }
  if (ALL_ZEROS.test(digits)) return 0n;
  if (exponent > 40) return undefined; // beyond any 64-bit value
  const magnitude = BigInt(digits) * 10n ** BigInt(Math.max(0, exponent));
  return sign === '-' ? -magnitude : magnitude;
}

function int32Range(min: number, max: number): Convert<number> {
  return (value, path, key) => {
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= min && value <= max) return value;
      throw corrupt(
        path,
        key,
        Number.isInteger(value) ? `${value} is out of range` : `expected an integer, got ${value}`,
      );
    }
    if (typeof value === 'string') {
      const parsed = parseIntegerText(value);
      if (parsed === undefined) throw corrupt(path, key, `expected an integer, got ${JSON.stringify(value)}`);
      if (parsed < BigInt(min) || parsed > BigInt(max)) throw corrupt(path, key, `${value} is out of range`);
      return Number(parsed);
    }
    throw wrongType(path, key, 'an integer', value);
  };
}

function int64Range(min: bigint, max: bigint): Convert<bigint> {
  return (value, path, key) => {
    let parsed: bigint | undefined;
    if (typeof value === 'string') {
      parsed = parseIntegerText(value);
      if (parsed === undefined) throw corrupt(path, key, `expected an integer, got ${JSON.stringify(value)}`);
    } else if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw corrupt(path, key, `expected an integer, got ${value}`);
      if (!Number.isSafeInteger(value)) {
        throw corrupt(
          path,
          key,
          `${value} cannot be read exactly from a JSON number; 64-bit values must be strings`,
        );
      }
      parsed = BigInt(value);
    } else {
      throw wrongType(path, key, 'an integer', value);
    }
    if (parsed < min || parsed > max) throw corrupt(path, key, `${String(value)} is out of range`);
    return parsed;
  };
}

const asU32 = int32Range(0, 0xffff_ffff);
const asI32 = int32Range(-0x8000_0000, 0x7fff_ffff);
const asU64 = int64Range(0n, (1n << 64n) - 1n);
const asI64 = int64Range(-(1n << 63n), (1n << 63n) - 1n);
const asU32List = listOf(asU32);

/** A uint32 wire value the agent's decoder narrows to uint16 (ports, protocols, DNS fields, mode). */
const asU16: Convert<number> = (value, path, key) => asU32(value, path, key) & 0xffff;

function enumOf(names: Readonly<Record<string, number>>): Convert<number | undefined> {
  const byName = new Map(Object.entries(names));
  return (value, path, key) => {
    // Unknown names are ignored, as the agent's decoder (DiscardUnknown) does.
    if (typeof value === 'string') return byName.get(value);
    return asI32(value, path, key);
  };
}

const asGenerationType = enumOf({
  UNKNOWN: GenerationType.Unknown,
  RUNTIME: GenerationType.Runtime,
  SNAPSHOT: GenerationType.Snapshot,
  PROFILE_DRIFT: GenerationType.ProfileDrift,
  WORKLOAD_WARMUP: GenerationType.WorkloadWarmup,
});
const asHashState = enumOf(HashState);

// ---- messages without tree nodes --------------------------------------------------------------

function readMetadata(o: JsonObject, path: string): DumpMetadata {
  const m = emptyMetadata();
  put(m, 'agentVersion', get(o, path, 'agent_version', asString));
  put(m, 'agentCommit', get(o, path, 'agent_commit', asString));
  put(m, 'kernelVersion', get(o, path, 'kernel_version', asString));
  put(m, 'linuxDistribution', get(o, path, 'linux_distribution', asString));
  put(m, 'arch', get(o, path, 'arch', asString));
  put(m, 'name', get(o, path, 'name', asString));
  put(m, 'protobufVersion', get(o, path, 'protobuf_version', asString));
  put(m, 'differentiateArgs', get(o, path, 'differentiate_args', asBool));
  put(m, 'comm', get(o, path, 'comm', asString));
  put(m, 'containerId', get(o, path, 'container_id', asString));
  put(m, 'start', get(o, path, 'start', asU64));
  put(m, 'end', get(o, path, 'end', asU64));
  put(m, 'size', get(o, path, 'size', asU64));
  put(m, 'serialization', get(o, path, 'serialization', asString));
  put(m, 'cgroupId', get(o, path, 'cgroup_id', asString));
  put(m, 'cgroupManager', get(o, path, 'cgroup_manager', asString));
  return m;
}

function readFileInfo(o: JsonObject, path: string): FileInfo {
  const f: FileInfo = { path: get(o, path, 'path', asString) ?? '' };
  put(f, 'basename', get(o, path, 'basename', asString));
  put(f, 'inode', get(o, path, 'inode', asU64));
  put(f, 'mountId', get(o, path, 'mount_id', asU32));
  put(f, 'mode', get(o, path, 'mode', asU16));
  put(f, 'uid', get(o, path, 'uid', asU32));
  put(f, 'gid', get(o, path, 'gid', asU32));
  put(f, 'user', get(o, path, 'user', asString));
  put(f, 'group', get(o, path, 'group', asString));
  put(f, 'ctime', get(o, path, 'ctime', asU64));
  put(f, 'mtime', get(o, path, 'mtime', asU64));
  put(f, 'filesystem', get(o, path, 'filesystem', asString));
  put(f, 'inUpperLayer', get(o, path, 'in_upper_layer', asBool));
  put(f, 'packageName', get(o, path, 'package_name', asString));
  put(f, 'packageVersion', get(o, path, 'package_version', asString));
  put(
    f,
    'packageSrcVersion',
    get(o, path, 'package_src_version', asString) ?? get(o, path, 'package_srcversion', asString),
  );
  put(f, 'packageEpoch', get(o, path, 'package_epoch', asU32));
  put(f, 'packageRelease', get(o, path, 'package_release', asString));
  put(f, 'packageSrcEpoch', get(o, path, 'package_src_epoch', asU32));
  put(f, 'packageSrcRelease', get(o, path, 'package_src_release', asString));
  put(f, 'hashes', get(o, path, 'hashes', asStringList));
  put(f, 'hashState', get(o, path, 'hash_state', asHashState));
  return f;
}

function readCredentials(o: JsonObject, path: string): Credentials {
  const c: Credentials = {};
  put(c, 'uid', get(o, path, 'uid', asU32));
  put(c, 'gid', get(o, path, 'gid', asU32));
  put(c, 'user', get(o, path, 'user', asString));
  put(c, 'group', get(o, path, 'group', asString));
  put(c, 'effectiveUid', get(o, path, 'effective_uid', asU32));
  put(c, 'effectiveGid', get(o, path, 'effective_gid', asU32));
  put(c, 'effectiveUser', get(o, path, 'effective_user', asString));
  put(c, 'effectiveGroup', get(o, path, 'effective_group', asString));
  put(c, 'fsUid', get(o, path, 'fs_uid', asU32));
  put(c, 'fsGid', get(o, path, 'fs_gid', asU32));
  put(c, 'fsUser', get(o, path, 'fs_user', asString));
  put(c, 'fsGroup', get(o, path, 'fs_group', asString));
  put(c, 'capEffective', get(o, path, 'cap_effective', asU64));
  put(c, 'capPermitted', get(o, path, 'cap_permitted', asU64));
  return c;
}

function readProcessInfo(o: JsonObject, path: string): ProcessInfo {
  const file = sub(o, path, 'file');
  const p: ProcessInfo = {
    pid: get(o, path, 'pid', asU32) ?? 0,
    file: file === undefined ? { path: '' } : readFileInfo(file[0], file[1]),
  };
  put(p, 'tid', get(o, path, 'tid', asU32));
  put(p, 'ppid', get(o, path, 'ppid', asU32));
  // cookie64 replaced the 32-bit cookie; old dumps only have the latter.
  const cookie64 = get(o, path, 'cookie64', asU64);
  const cookie32 = get(o, path, 'cookie', asU32);
  if (cookie64 !== undefined && cookie64 !== 0n) p.cookie = cookie64;
  else if (cookie32 !== undefined) p.cookie = BigInt(cookie32);
  else put(p, 'cookie', cookie64);
  put(p, 'isThread', get(o, path, 'is_thread', asBool));
  put(p, 'containerId', get(o, path, 'container_id', asString));
  put(p, 'tty', get(o, path, 'tty', asString));
  put(p, 'comm', get(o, path, 'comm', asString));
  put(p, 'forkTime', get(o, path, 'fork_time', asU64));
  put(p, 'exitTime', get(o, path, 'exit_time', asU64));
  put(p, 'execTime', get(o, path, 'exec_time', asU64));
  const credentials = sub(o, path, 'credentials');
  if (credentials !== undefined) p.credentials = readCredentials(credentials[0], credentials[1]);
  put(p, 'argv0', get(o, path, 'argv0', asString));
  put(p, 'args', get(o, path, 'args', asStringList));
  put(p, 'argsTruncated', get(o, path, 'args_truncated', asBool));
  put(p, 'envs', get(o, path, 'envs', asStringList));
  put(p, 'envsTruncated', get(o, path, 'envs_truncated', asBool));
  put(p, 'isExecExec', get(o, path, 'is_exec_child', asBool));
  // Deprecated span/trace ids have no place in the model: type-checked, then dropped.
  get(o, path, 'span_id', asU64);
  get(o, path, 'trace_id', asU64);
  return p;
}

function readMatchedRule(value: unknown, path: string): MatchedRule {
  const o = asObject(value, path);
  const rule: MatchedRule = { ruleId: get(o, path, 'rule_id', asString) ?? '' };
  put(rule, 'ruleVersion', get(o, path, 'rule_version', asString));
  put(rule, 'policyName', get(o, path, 'policy_name', asString));
  put(rule, 'policyVersion', get(o, path, 'policy_version', asString));
  const tags = sub(o, path, 'rule_tags');
  if (tags !== undefined) {
    const [map, mapPath] = tags;
    // fromEntries defines own properties, so a `__proto__` key stays a plain entry.
    rule.ruleTags = Object.fromEntries(Object.keys(map).map((k) => [k, asString(map[k], mapPath, k)]));
  }
  return rule;
}

/** The node's matched rules (`matched_rules`), kept as read; `undefined` when there are none. */
function readMatchedRules(o: JsonObject, path: string): MatchedRule[] | undefined {
  let rules: MatchedRule[] | undefined;
  forEach(o, path, 'matched_rules', (element, elementPath) => {
    rules ??= [];
    rules.push(readMatchedRule(element, elementPath));
  });
  return rules;
}

/**
 * The node's image tags: `node_base.seen` (and the short-lived node-level `seen` map) with their
 * times, then the legacy `image_tags` list with zero times for tags not already known.
 */
function readImageTags(o: JsonObject, path: string): ImageTagTimes[] | undefined {
  let tags: Map<string, ImageTagTimes> | undefined;
  const nodeBase = sub(o, path, 'node_base');
  if (nodeBase !== undefined) tags = readSeen(sub(nodeBase[0], nodeBase[1], 'seen'), tags);
  tags = readSeen(sub(o, path, 'seen'), tags);
  for (const tag of get(o, path, 'image_tags', asStringList) ?? []) {
    if (tag === '' || tags?.has(tag)) continue;
    tags ??= new Map();
    tags.set(tag, { tag, firstSeen: 0n, lastSeen: 0n });
  }
  return tags === undefined ? undefined : [...tags.values()];
}

/** Adds the entries of a `seen` map (tag → `{first_seen, last_seen}`) not already in `tags`. */
function readSeen(
  seen: [JsonObject, string] | undefined,
  tags: Map<string, ImageTagTimes> | undefined,
): Map<string, ImageTagTimes> | undefined {
  if (seen === undefined) return tags;
  const [map, mapPath] = seen;
  for (const tag of Object.keys(map)) {
    const value = map[tag];
    let firstSeen = 0n;
    let lastSeen = 0n;
    if (value !== null) {
      const times = asObject(value, mapPath, tag);
      const timesPath = describe(mapPath, tag);
      firstSeen = get(times, timesPath, 'first_seen', asU64) ?? 0n;
      lastSeen = get(times, timesPath, 'last_seen', asU64) ?? 0n;
    }
    if (tag === '' || tags?.has(tag)) continue;
    tags ??= new Map();
    tags.set(tag, { tag, firstSeen, lastSeen });
  }
  return tags;
}

function readImdsEvent(o: JsonObject, path: string): ImdsInfo {
  const info: ImdsInfo = { type: get(o, path, 'type', asString) ?? '' };
  put(info, 'cloudProvider', get(o, path, 'cloud_provider', asString));
  put(info, 'url', get(o, path, 'url', asString));
  put(info, 'host', get(o, path, 'host', asString));
  put(info, 'userAgent', get(o, path, 'user_agent', asString));
  put(info, 'server', get(o, path, 'server', asString));
  const aws = sub(o, path, 'aws');
  if (aws !== undefined) {
    const [a, awsPath] = aws;
    info.aws = {};
    put(info.aws, 'isImdsV2', get(a, awsPath, 'is_imds_v2', asBool));
    const creds = sub(a, awsPath, 'security_credentials');
    if (creds !== undefined) {
      const [c, credsPath] = creds;
      const sc: AwsSecurityCredentials = {};
      put(sc, 'code', get(c, credsPath, 'code', asString));
      put(sc, 'type', get(c, credsPath, 'type', asString));
      put(sc, 'accessKeyId', get(c, credsPath, 'access_key_id', asString));
      put(sc, 'lastUpdated', get(c, credsPath, 'last_updated', asString));
      put(sc, 'expirationRaw', get(c, credsPath, 'expiration_raw', asString));
      info.aws.securityCredentials = sc;
    }
  }
  return info;
}

function readIpPort(o: JsonObject, path: string, protoName: string): IpPort {
  const at = sub(o, path, protoName);
  if (at === undefined) return { ip: '', port: 0 };
  const [v, vPath] = at;
  return { ip: get(v, vPath, 'ip', asString) ?? '', port: get(v, vPath, 'port', asU16) ?? 0 };
}

function readFlowStats(o: JsonObject, path: string, protoName: string): FlowStats {
  const at = sub(o, path, protoName);
  if (at === undefined) return { dataSize: 0n, packetCount: 0n };
  const [v, vPath] = at;
  return {
    dataSize: get(v, vPath, 'data_size', asU64) ?? 0n,
    packetCount: get(v, vPath, 'packet_count', asU64) ?? 0n,
  };
}

// ---- tree nodes -------------------------------------------------------------------------------

class JsonDumpReader {
  private nodes = 0;

  constructor(private readonly maxNodes: number) {}

  readDump(root: unknown): ActivityDump {
    const o = asObject(root, '');
    const meta = sub(o, '', 'metadata');
    const metadata = meta === undefined ? undefined : readMetadata(meta[0], meta[1]);
    const dump = new ActivityDump({
      host: get(o, '', 'host', asString) ?? '',
      service: get(o, '', 'service', asString) ?? '',
      source: get(o, '', 'source', asString) ?? '',
      tags: get(o, '', 'tags', asStringList) ?? [],
      metadata,
    });
    if (metadata !== undefined) dump.tree.differentiateArgs = metadata.differentiateArgs;
    forEach(o, '', 'tree', (element, path) => dump.tree.appendRoot(this.readProcessNode(element, path)));
    dump.tree.recountNodes();
    return dump;
  }

  private countNode(path: string): void {
    if (++this.nodes > this.maxNodes) {
      throw new InputTooLargeError(
        'maxNodes',
        `${path}: the dump has more than maxNodes (${this.maxNodes}) nodes`,
      );
    }
  }

  private readProcessNode(value: unknown, path: string): ProcessNode {
    const o = asObject(value, path);
    this.countNode(path);
    const info = sub(o, path, 'process');
    const process = info === undefined ? { pid: 0, file: { path: '' } } : readProcessInfo(info[0], info[1]);
    // July 2023 dumps carried the exec-child flag on the node (field 10) rather than in the process.
    if (process.isExecExec === undefined) put(process, 'isExecExec', get(o, path, 'is_exec_child', asBool));
    const node = new ProcessNode(
      process,
      get(o, path, 'generation_type', asGenerationType) ?? GenerationType.Unknown,
    );
    node.matchedRules = readMatchedRules(o, path);
    node.imageTags = readImageTags(o, path);
    forEach(o, path, 'children', (element, p) => node.appendChild(this.readProcessNode(element, p)));
    forEach(o, path, 'files', (element, p) => node.setFile(this.readFileNode(element, p)));
    forEach(o, path, 'dns_names', (element, p) => {
      const dns = this.readDnsNode(element, p);
      const first = dns.requests[0];
      if (first !== undefined) node.dnsNames.set(first.name, dns);
    });
    forEach(o, path, 'sockets', (element, p) => node.sockets.push(this.readSocketNode(element, p)));
    forEach(o, path, 'imds_events', (element, p) => {
      const imds = this.readImdsNode(element, p);
      node.imdsEvents.set(imdsKey(imds.event), imds);
    });
    forEach(o, path, 'syscall_nodes', (element, p) => node.syscalls.push(this.readSyscallNode(element, p)));
    // Old dumps list syscalls in a packed field: they become Runtime syscall nodes.
    addLegacySyscalls(node, get(o, path, 'syscalls', asU32List));
    forEach(o, path, 'network_devices', (element, p) => {
      const device = this.readNetworkDeviceNode(element, p);
      node.networkDevices.set(deviceKey(device.device), device);
    });
    forEach(o, path, 'capability_nodes', (element, p) =>
      node.capabilities.push(this.readCapabilityNode(element, p)),
    );
    return node;
  }

  private readFileNode(value: unknown, path: string): FileNode {
    const o = asObject(value, path);
    this.countNode(path);
    const file = sub(o, path, 'file');
    const node = new FileNode(
      get(o, path, 'name', asString) ?? '',
      get(o, path, 'generation_type', asGenerationType) ?? GenerationType.Unknown,
      file === undefined ? undefined : readFileInfo(file[0], file[1]),
    );
    // `is_pattern` is derived from the name; the field is only type-checked.
    get(o, path, 'is_pattern', asBool);
    const firstSeen = get(o, path, 'first_seen', asU64);
    if (firstSeen !== undefined && firstSeen !== 0n) node.firstSeen = firstSeen;
    const open = sub(o, path, 'open');
    if (open !== undefined) {
      const [v, openPath] = open;
      node.open = {
        retval: Number(get(v, openPath, 'retval', asI64) ?? 0n),
        flags: get(v, openPath, 'flags', asU32) ?? 0,
        mode: get(v, openPath, 'mode', asU32) ?? 0,
      };
    }
    node.matchedRules = readMatchedRules(o, path);
    node.imageTags = readImageTags(o, path);
    forEach(o, path, 'children', (element, p) => node.setChild(this.readFileNode(element, p)));
    return node;
  }

  private readDnsNode(value: unknown, path: string): DnsNode {
    const o = asObject(value, path);
    this.countNode(path);
    const node = new DnsNode(GenerationType.Unknown);
    node.matchedRules = readMatchedRules(o, path);
    node.imageTags = readImageTags(o, path);
    forEach(o, path, 'requests', (element, p) => {
      const r = asObject(element, p);
      const request: DnsRequest = {
        name: get(r, p, 'name', asString) ?? '',
        type: get(r, p, 'type', asU16) ?? 0,
        class: get(r, p, 'class', asU16) ?? 0,
        size: get(r, p, 'size', asU16) ?? 0,
        count: get(r, p, 'count', asU16) ?? 0,
        ips: [],
        cnames: [],
      };
      node.requests.push(request);
    });
    return node;
  }

  private readSocketNode(value: unknown, path: string): SocketNode {
    const o = asObject(value, path);
    this.countNode(path);
    const socket = new SocketNode(get(o, path, 'family', asString) ?? '', GenerationType.Unknown);
    forEach(o, path, 'bind', (element, p) => {
      const b = asObject(element, p);
      this.countNode(p);
      const bind = new BindNode(
        get(b, p, 'port', asU16) ?? 0,
        get(b, p, 'ip', asString) ?? '',
        get(b, p, 'protocol', asU16) ?? 0,
        GenerationType.Unknown,
      );
      bind.matchedRules = readMatchedRules(b, p);
      bind.imageTags = readImageTags(b, p);
      socket.binds.push(bind);
    });
    return socket;
  }

  private readImdsNode(value: unknown, path: string): ImdsNode {
    const o = asObject(value, path);
    this.countNode(path);
    const event = sub(o, path, 'event');
    const info = event === undefined ? { type: '' } : readImdsEvent(event[0], event[1]);
    const node = new ImdsNode(normalizeImds(info), GenerationType.Unknown);
    node.matchedRules = readMatchedRules(o, path);
    node.imageTags = readImageTags(o, path);
    return node;
  }

  private readSyscallNode(value: unknown, path: string): SyscallNode {
    const o = asObject(value, path);
    this.countNode(path);
    const node = new SyscallNode(get(o, path, 'syscall', asI32) ?? 0, GenerationType.Runtime);
    node.imageTags = readImageTags(o, path);
    return node;
  }

  private readCapabilityNode(value: unknown, path: string): CapabilityNode {
    const o = asObject(value, path);
    this.countNode(path);
    const capability = get(o, path, 'capability', asU64) ?? 0n;
    if (capability > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw corrupt(path, 'capability', `${capability} is out of range`);
    }
    const node = new CapabilityNode(
      Number(capability),
      get(o, path, 'is_capable', asBool) ?? false,
      GenerationType.Runtime,
    );
    node.imageTags = readImageTags(o, path);
    return node;
  }

  private readNetworkDeviceNode(value: unknown, path: string): NetworkDeviceNode {
    const o = asObject(value, path);
    this.countNode(path);
    const device: NetworkDevice = {
      netns: get(o, path, 'netns', asU32) ?? 0,
      ifindex: get(o, path, 'ifindex', asU32) ?? 0,
      ifname: get(o, path, 'ifname', asString) ?? '',
    };
    const node = new NetworkDeviceNode(device, GenerationType.Unknown);
    node.matchedRules = readMatchedRules(o, path);
    forEach(o, path, 'flow_nodes', (element, p) => {
      const f = asObject(element, p);
      this.countNode(p);
      const flow: NetworkFlow = {
        source: readIpPort(f, p, 'source'),
        destination: readIpPort(f, p, 'destination'),
        l3Protocol: get(f, p, 'l3_protocol', asU16) ?? 0,
        l4Protocol: get(f, p, 'l4_protocol', asU16) ?? 0,
        ingress: readFlowStats(f, p, 'ingress'),
        egress: readFlowStats(f, p, 'egress'),
      };
      const imageTags = readImageTags(f, p);
      // The agent keeps the first flow of a 5-tuple.
      const key = flowKey(flow);
      if (node.flows.has(key)) return;
      const flowNode = new FlowNode(flow, GenerationType.Runtime);
      flowNode.imageTags = imageTags;
      node.flows.set(key, flowNode);
    });
    return node;
  }
}
