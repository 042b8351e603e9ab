import { type DumpMetadata, emptyMetadata } from '../../dump/dump-metadata.js';
import { CorruptInputError, InputTooLargeError, InvalidArgumentError } from '../../errors.js';
import type { AwsSecurityCredentials, ImdsInfo, IpPort, NetworkFlow } from '../../events/activity-event.js';
import type { FileInfo } from '../../events/file-info.js';
import type { MatchedRule } from '../../events/matched-rule.js';
import type { Credentials, ProcessInfo } from '../../events/process.js';
import { CapabilityNode } from '../../tree/capability-node.js';
import { DnsNode, type DnsRequest } from '../../tree/dns-node.js';
import { FileNode } from '../../tree/file-node.js';
import { GenerationType } from '../../tree/generation-type.js';
import type { ImageTagTimes } from '../../tree/image-tags.js';
import { ImdsNode, imdsKey, normalizeImds } from '../../tree/imds-node.js';
import { deviceKey, FlowNode, flowKey, NetworkDeviceNode } from '../../tree/network-device-node.js';
import { internOpen, type OpenNode } from '../../tree/open-node.js';
import { ProcessNode } from '../../tree/process-node.js';
import { BindNode, SocketNode } from '../../tree/socket-node.js';
import { SyscallNode } from '../../tree/syscall-node.js';
import { checkDecodeLimits, type DecodeLimits } from '../decode-limits.js';

/*
 * A hand-written reader of the `datadog.cws.dumpsv1` wire format that builds tree nodes directly,
 * without intermediate message objects. It has its own cursor rather than protobuf-es's
 * `BinaryReader`, which reads length prefixes as 32-bit values (a prefix of 2^63 reads as 0),
 * allocates a tuple per tag and throws untyped errors.
 *
 * Robustness: every read is bounded by the end of the enclosing message, length prefixes are
 * checked against the bytes actually left before anything is sliced or allocated (a 64-bit prefix
 * is never truncated to 32 bits), varints longer than 10 bytes and the wire types 6 and 7 are
 * refused, groups are skipped without recursion, nesting is capped by `maxDepth` and created
 * nodes by `maxNodes`. Errors carry the field path and byte offset where they were found.
 *
 * Compatibility: unknown fields are skipped; a known field number with an unexpected wire type
 * is skipped like an unknown field (as protobuf-go does), which is how the short-lived wire
 * shapes of old dumps are told apart (`ProcessActivityNode` field 10 as a varint is the July 2023
 * `is_exec_child`, as a string the later `image_tags`; fields 14/15 as varints were
 * `first_seen`/`last_seen` for a few days in 2025 and are ignored). Repeated scalars are read
 * packed or unpacked.
 */

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const SGROUP = 3;
const EGROUP = 4;
const I32 = 5;

/** A wire-level problem; turned into a `CorruptInputError` with its field path by {@link readMessage}. */
class WireError extends Error {
  /** Path segments, innermost first. */
  readonly path: string[] = [];

  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

// Field names per message, indexed by field number; a `[]` suffix marks repeated fields.
type FieldNames = readonly (string | undefined)[];

function names(entries: Record<number, string>): FieldNames {
  const out: (string | undefined)[] = [];
  for (const [k, v] of Object.entries(entries)) out[Number(k)] = v;
  return out;
}

const PROCESS_NODE_FIELDS = names({
  1: 'process',
  3: 'children[]',
  4: 'files[]',
  5: 'dns_names[]',
  6: 'sockets[]',
  7: 'syscalls',
  8: 'generation_type',
  9: 'matched_rules[]',
  10: 'image_tags[]',
  11: 'imds_events[]',
  12: 'syscall_nodes[]',
  13: 'network_devices[]',
  14: 'node_base',
  15: 'capability_nodes[]',
});
const PROCESS_INFO_FIELDS = names({
  1: 'pid',
  2: 'tid',
  3: 'ppid',
  4: 'cookie',
  5: 'is_thread',
  6: 'file',
  7: 'container_id',
  8: 'span_id',
  9: 'trace_id',
  10: 'tty',
  11: 'comm',
  12: 'fork_time',
  13: 'exit_time',
  14: 'exec_time',
  15: 'credentials',
  16: 'args[]',
  17: 'argv0',
  18: 'args_truncated',
  19: 'envs[]',
  20: 'envs_truncated',
  21: 'is_exec_child',
  22: 'cookie64',
});
const FILE_INFO_FIELDS = names({
  1: 'uid',
  2: 'user',
  3: 'gid',
  4: 'group',
  5: 'mode',
  6: 'ctime',
  7: 'mtime',
  8: 'mount_id',
  9: 'inode',
  10: 'in_upper_layer',
  11: 'path',
  12: 'basename',
  13: 'filesystem',
  14: 'package_name',
  15: 'package_version',
  16: 'package_src_version',
  17: 'hashes[]',
  18: 'hash_state',
  19: 'package_epoch',
  20: 'package_release',
  21: 'package_src_epoch',
  22: 'package_src_release',
});
const CREDENTIALS_FIELDS = names({
  1: 'uid',
  2: 'gid',
  3: 'user',
  4: 'group',
  5: 'effective_uid',
  6: 'effective_gid',
  7: 'effective_user',
  8: 'effective_group',
  9: 'fs_uid',
  10: 'fs_gid',
  11: 'fs_user',
  12: 'fs_group',
  13: 'cap_effective',
  14: 'cap_permitted',
});
const FILE_NODE_FIELDS = names({
  1: 'name',
  2: 'file',
  4: 'first_seen',
  5: 'open',
  6: 'children[]',
  7: 'is_pattern',
  8: 'generation_type',
  9: 'matched_rules[]',
  10: 'image_tags[]',
  11: 'node_base',
});
const OPEN_FIELDS = names({ 1: 'retval', 2: 'flags', 3: 'mode' });
const DNS_NODE_FIELDS = names({ 1: 'requests[]', 2: 'matched_rules[]', 3: 'image_tags[]', 4: 'node_base' });
const DNS_INFO_FIELDS = names({ 1: 'name', 2: 'type', 3: 'class', 4: 'size', 5: 'count' });
const SOCKET_FIELDS = names({ 1: 'family', 2: 'bind[]' });
const BIND_FIELDS = names({
  1: 'port',
  2: 'ip',
  3: 'matched_rules[]',
  4: 'image_tags[]',
  5: 'protocol',
  6: 'node_base',
});
const IMDS_NODE_FIELDS = names({ 1: 'matched_rules[]', 2: 'image_tags[]', 3: 'event', 4: 'node_base' });
const IMDS_EVENT_FIELDS = names({
  1: 'type',
  2: 'cloud_provider',
  3: 'url',
  4: 'host',
  5: 'user_agent',
  6: 'server',
  7: 'aws',
});
const AWS_FIELDS = names({ 1: 'is_imds_v2', 2: 'security_credentials' });
const AWS_CREDS_FIELDS = names({
  1: 'code',
  2: 'type',
  3: 'access_key_id',
  4: 'last_updated',
  5: 'expiration_raw',
});
const SYSCALL_FIELDS = names({ 1: 'image_tags[]', 2: 'syscall', 3: 'node_base' });
const CAPABILITY_FIELDS = names({ 1: 'node_base', 2: 'capability', 3: 'is_capable' });
const DEVICE_FIELDS = names({
  1: 'matched_rules[]',
  2: 'netns',
  3: 'ifindex',
  4: 'ifname',
  5: 'flow_nodes[]',
});
const FLOW_FIELDS = names({
  1: 'image_tags[]',
  2: 'source',
  3: 'destination',
  4: 'l3_protocol',
  5: 'l4_protocol',
  6: 'ingress',
  7: 'egress',
  8: 'node_base',
});
const IP_PORT_FIELDS = names({ 1: 'ip', 2: 'port' });
const STATS_FIELDS = names({ 1: 'data_size', 2: 'packet_count' });
const RULE_FIELDS = names({
  1: 'rule_id',
  2: 'rule_version',
  3: 'policy_name',
  4: 'policy_version',
  5: 'rule_tags[]',
});
const MAP_ENTRY_FIELDS = names({ 1: 'key', 2: 'value' });
const NODE_BASE_FIELDS = names({ 1: 'seen[]' });
const TIMES_FIELDS = names({ 1: 'first_seen', 2: 'last_seen' });
const METADATA_FIELDS = names({
  1: 'agent_version',
  2: 'agent_commit',
  3: 'kernel_version',
  4: 'linux_distribution',
  5: 'name',
  6: 'protobuf_version',
  7: 'differentiate_args',
  8: 'comm',
  9: 'container_id',
  10: 'start',
  11: 'end',
  12: 'size',
  13: 'arch',
  14: 'serialization',
  15: 'cgroup_id',
  16: 'cgroup_manager',
});

const FILE_PATH = (11 << 3) | LEN;
const FILE_BASENAME = (12 << 3) | LEN;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const scratch = new DataView(new ArrayBuffer(8));
const TWO_POW_32 = 4294967296;
// Below 13 characters V8 builds flat strings from concatenation; longer ones go to TextDecoder.
const SHORT_STRING = 12;

/**
 * A cursor over protobuf bytes. Every read stays within `end`, the end of the message being read,
 * and throws a `WireError` (or `InputTooLargeError` for limits) when the bytes do not allow it.
 */
export class WireReader {
  pos = 0;
  /** End of the message being read (exclusive). */
  end: number;
  private depth = 0;
  private nodes = 0;
  // The last varint read, as unsigned 32-bit halves.
  private lo = 0;
  private hi = 0;
  /** The path and basename read by {@link plainFile}. */
  plainPath = '';
  plainBasename = '';
  // The name of the file node being read (its bytes at `nameStart`), which a leaf's basename
  // usually repeats: the basename then shares the name's string.
  private nameStart = 0;
  private nameLength = -1;
  private name = '';
  // The last image tag read, which most nodes share.
  private tagStart = 0;
  private tagLength = -1;
  private tagText = '';
  // The last open record built, which many leaves share.
  private openRetval = 0;
  private openFlags = 0;
  private openMode = 0;
  private openNode: OpenNode | undefined;

  constructor(
    readonly buf: Uint8Array,
    private readonly maxDepth: number,
    private readonly maxNodes: number,
  ) {
    this.end = buf.length;
  }

  /** A wire error at the current position. */
  fail(message: string, offset = this.pos): WireError {
    return new WireError(message, offset);
  }

  /** Counts one created tree node against `maxNodes`. */
  countNode(): void {
    if (++this.nodes > this.maxNodes) {
      throw new InputTooLargeError(
        'maxNodes',
        `the dump has more than maxNodes (${this.maxNodes}) nodes (at byte ${this.pos})`,
      );
    }
  }

  /** Reads a length prefix and enters the message it delimits; returns the end to restore. */
  enter(): number {
    const len = this.length();
    if (++this.depth > this.maxDepth) {
      throw new InputTooLargeError(
        'maxDepth',
        `messages nest deeper than maxDepth (${this.maxDepth}) (at byte ${this.pos})`,
      );
    }
    const saved = this.end;
    this.end = this.pos + len;
    return saved;
  }

  /** Leaves the message entered by {@link enter}. */
  leave(saved: number): void {
    this.end = saved;
    this.depth--;
  }

  /**
   * Reads a field tag. Returns the raw tag (`field << 3 | wireType`) so callers can switch on
   * both at once; field 0 and wire types 6 and 7 are refused.
   */
  tag(): number {
    const start = this.pos;
    const tag = this.varint32();
    if (this.hi !== 0 || tag >>> 3 === 0 || (tag & 7) > 5) {
      throw this.fail(`invalid tag ${this.hi !== 0 ? 'beyond 32 bits' : tag}`, start);
    }
    return tag;
  }

  /** A varint's low 32 bits as an unsigned number (uint32 fields; also sets `hi`). */
  varint32(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        this.lo = b;
        this.hi = 0;
        return b;
      }
    }
    this.varint();
    return this.lo;
  }

  /** A varint's low 32 bits as a signed number (int32 and enum fields). */
  int32(): number {
    return this.varint32() | 0;
  }

  bool(): boolean {
    return this.varint32() !== 0 || this.hi !== 0;
  }

  uint64(): bigint {
    this.varint32();
    const lo = this.lo;
    const hi = this.hi;
    if (hi === 0) return BigInt(lo);
    if (hi < 0x200000) return BigInt(hi * TWO_POW_32 + lo);
    scratch.setUint32(0, lo, true);
    scratch.setUint32(4, hi, true);
    return scratch.getBigUint64(0, true);
  }

  /** A zigzag-encoded 64-bit value as a number (precision is lost beyond 2^53). */
  sint64(): number {
    this.varint32();
    const lo = this.lo;
    const hi = this.hi;
    // zigzag: (n >>> 1) ^ -(n & 1) on 64 bits
    const negative = (lo & 1) === 1;
    const mlo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    const mhi = hi >>> 1;
    const magnitude = mhi * TWO_POW_32 + mlo;
    return negative ? -magnitude - 1 : magnitude;
  }

  /** Reads a full varint into `lo`/`hi` (unsigned halves). */
  private varint(): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    const start = pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw this.truncatedVarint(start);
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.setVarint(lo, 0, pos);
        return;
      }
    }
    if (pos >= end) throw this.truncatedVarint(start);
    b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >>> 4;
    if (b < 0x80) {
      this.setVarint(lo, hi, pos);
      return;
    }
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) throw this.truncatedVarint(start);
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.setVarint(lo, hi, pos);
        return;
      }
    }
    throw this.fail('varint longer than 10 bytes', start);
  }

  private setVarint(lo: number, hi: number, pos: number): void {
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    this.pos = pos;
  }

  private truncatedVarint(start: number): WireError {
    return this.fail(
      this.end < this.buf.length ? 'varint runs past the end of its message' : 'truncated varint',
      start,
    );
  }

  /** A length prefix, checked against the bytes left in the current message. */
  length(): number {
    const start = this.pos;
    const len = this.varint32();
    const left = this.end - this.pos;
    if (this.hi !== 0 || len > left) {
      const value = this.hi === 0 ? String(len) : String((BigInt(this.hi) << 32n) | BigInt(this.lo));
      throw this.fail(`length prefix ${value} exceeds the ${left} bytes left`, start);
    }
    return len;
  }

  /** A length-delimited string; invalid UTF-8 becomes U+FFFD. */
  string(): string {
    return this.stringOf(this.length());
  }

  // Decodes the next `len` bytes (already checked against the message end).
  private stringOf(len: number): string {
    const buf = this.buf;
    const start = this.pos;
    const stop = start + len;
    this.pos = stop;
    if (len <= SHORT_STRING) {
      let s = '';
      for (let i = start; i < stop; i++) {
        const c = buf[i]!;
        if (c >= 0x80) return utf8.decode(buf.subarray(start, stop));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(buf.subarray(start, stop));
  }

  /**
   * Reads a `FileInfo` that holds nothing but a path and a basename (most leaves of trees built
   * from bare paths) into `plainPath`/`plainBasename` without building an object. Returns false,
   * with the position unchanged, at the first other field.
   */
  plainFile(): boolean {
    const start = this.pos;
    const saved = this.enter();
    let path = '';
    let basename = '';
    let field = 0;
    try {
      while (this.pos < this.end) {
        field = 0;
        const tag = this.tag();
        field = tag >>> 3;
        if (tag === FILE_PATH) path = this.string();
        else if (tag === FILE_BASENAME) basename = this.basename();
        else {
          this.leave(saved);
          this.pos = start;
          return false;
        }
      }
    } catch (error) {
      throw this.at(error, FILE_INFO_FIELDS, field, 0);
    }
    this.leave(saved);
    this.plainPath = path;
    this.plainBasename = basename;
    return true;
  }

  /** Reads a file node's name and remembers it for {@link basename}. */
  fileName(): string {
    const len = this.length();
    const start = this.pos;
    const name = this.stringOf(len);
    this.nameStart = start;
    this.nameLength = len;
    this.name = name;
    return name;
  }

  /** A string equal to the file node name being read when the bytes match, else a new one. */
  basename(): string {
    const len = this.length();
    const start = this.pos;
    if (len === this.nameLength && this.sameBytes(start, this.nameStart, len)) {
      this.pos = start + len;
      return this.name;
    }
    return this.stringOf(len);
  }

  /** A string the last call returned when the bytes match (image tags repeat on every node). */
  imageTag(): string {
    const len = this.length();
    const start = this.pos;
    if (len === this.tagLength && this.sameBytes(start, this.tagStart, len)) {
      this.pos = start + len;
      return this.tagText;
    }
    const text = this.stringOf(len);
    this.tagStart = start;
    this.tagLength = len;
    this.tagText = text;
    return text;
  }

  private sameBytes(a: number, b: number, len: number): boolean {
    const buf = this.buf;
    for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
    return true;
  }

  /** The shared open record of these values (the last one is remembered). */
  open(retval: number, flags: number, mode: number): OpenNode {
    const last = this.openNode;
    if (
      last !== undefined &&
      retval === this.openRetval &&
      flags === this.openFlags &&
      mode === this.openMode
    ) {
      return last;
    }
    const open = internOpen(retval, flags, mode);
    this.openRetval = retval;
    this.openFlags = flags;
    this.openMode = mode;
    this.openNode = open;
    return open;
  }

  /** Skips a field's value of the given wire type. Groups are skipped iteratively. */
  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint32();
        return;
      case I64:
        this.skipBytes(8);
        return;
      case LEN: {
        const len = this.length();
        this.pos += len;
        return;
      }
      case I32:
        this.skipBytes(4);
        return;
      case SGROUP:
        this.skipGroup();
        return;
      default:
        throw this.fail(`unexpected wire type ${wireType}`);
    }
  }

  private skipBytes(n: number): void {
    if (this.end - this.pos < n) throw this.fail(`truncated ${n}-byte value`);
    this.pos += n;
  }

  // Skips to the end-group tag matching the start-group tag just read.
  private skipGroup(): void {
    let open = 1;
    while (open > 0) {
      if (this.pos >= this.end) throw this.fail('unterminated group');
      const tag = this.tag();
      const wireType = tag & 7;
      if (wireType === SGROUP) {
        if (++open + this.depth > this.maxDepth) {
          throw new InputTooLargeError(
            'maxDepth',
            `groups nest deeper than maxDepth (${this.maxDepth}) (at byte ${this.pos})`,
          );
        }
      } else if (wireType === EGROUP) open--;
      else this.skip(wireType);
    }
  }

  /** Reads a packed or unpacked repeated uint32 field element(s) into `out`. */
  uint32s(wireType: number, out: (value: number) => void): void {
    if (wireType === VARINT) {
      out(this.varint32());
      return;
    }
    const len = this.length();
    const saved = this.end;
    this.end = this.pos + len;
    while (this.pos < this.end) out(this.varint32());
    this.end = saved;
  }

  /**
   * Adds a path segment to a wire error passing through the reader of one message (`field` is
   * the field being read, 0 between fields; `index` its position among repeated elements).
   */
  at(error: unknown, fields: FieldNames, field: number, index: number): unknown {
    if (error instanceof WireError && field !== 0) {
      const name = fields[field] ?? `field ${field}`;
      error.path.push(name.endsWith('[]') ? `${name.slice(0, -2)}[${index}]` : name);
    }
    return error;
  }
}

// ---- entry point ---------------------------------------------------------------------------------

/**
 * Runs `read` over `bytes` with the limits enforced, turning wire errors into
 * `CorruptInputError` (with the field path and byte offset) and runtime exhaustion into
 * `InputTooLargeError`.
 */
export function readMessage<T>(
  bytes: Uint8Array,
  limits: DecodeLimits,
  what: string,
  read: (r: WireReader) => T,
): T {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`${what}: input must be a Uint8Array`);
  checkDecodeLimits(limits);
  if (bytes.length > limits.maxBytes) {
    throw new InputTooLargeError(
      'maxBytes',
      `input is ${bytes.length} bytes, more than maxBytes (${limits.maxBytes})`,
    );
  }
  const r = new WireReader(bytes, limits.maxDepth, limits.maxNodes);
  try {
    return read(r);
  } catch (error) {
    if (error instanceof WireError) {
      const path = error.path.length === 0 ? '(top level)' : error.path.reverse().join('.');
      throw new CorruptInputError(`${path}: ${error.message} (at byte ${error.offset})`);
    }
    if (error instanceof RangeError) {
      if (/call stack/i.test(error.message)) {
        throw new InputTooLargeError(
          'maxDepth',
          'input nests deeper than the runtime stack allows; lower maxDepth',
        );
      }
      throw new InputTooLargeError('maxBytes', `input too large for the runtime: ${error.message}`);
    }
    throw error;
  }
}

// ---- plain messages ------------------------------------------------------------------------------

/** Reads a `Metadata` message (the length prefix is next). */
export function readMetadata(r: WireReader): DumpMetadata {
  const saved = r.enter();
  const m = emptyMetadata();
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      switch (tag) {
        case (1 << 3) | LEN:
          m.agentVersion = r.string();
          break;
        case (2 << 3) | LEN:
          m.agentCommit = r.string();
          break;
        case (3 << 3) | LEN:
          m.kernelVersion = r.string();
          break;
        case (4 << 3) | LEN:
          m.linuxDistribution = r.string();
          break;
        case (5 << 3) | LEN:
          m.name = r.string();
          break;
        case (6 << 3) | LEN:
          m.protobufVersion = r.string();
          break;
        case (7 << 3) | VARINT:
          m.differentiateArgs = r.bool();
          break;
        case (8 << 3) | LEN:
          m.comm = r.string();
          break;
        case (9 << 3) | LEN:
          m.containerId = r.string();
          break;
        case (10 << 3) | VARINT:
          m.start = r.uint64();
          break;
        case (11 << 3) | VARINT:
          m.end = r.uint64();
          break;
        case (12 << 3) | VARINT:
          m.size = r.uint64();
          break;
        case (13 << 3) | LEN:
          m.arch = r.string();
          break;
        case (14 << 3) | LEN:
          m.serialization = r.string();
          break;
        case (15 << 3) | LEN:
          m.cgroupId = r.string();
          break;
        case (16 << 3) | LEN:
          m.cgroupManager = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, METADATA_FIELDS, field, 0);
  }
  r.leave(saved);
  return m;
}

function readFileInfo(r: WireReader): FileInfo {
  const saved = r.enter();
  const f: FileInfo = { path: '', basename: '' };
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
        case (1 << 3) | VARINT:
          f.uid = r.varint32();
          break;
        case (2 << 3) | LEN:
          f.user = r.string();
          break;
        case (3 << 3) | VARINT:
          f.gid = r.varint32();
          break;
        case (4 << 3) | LEN:
          f.group = r.string();
          break;
        case (5 << 3) | VARINT:
          // The agent keeps a 16-bit mode.
          f.mode = r.varint32() & 0xffff;
          break;
        case (6 << 3) | VARINT:
          f.ctime = r.uint64();
          break;
        case (7 << 3) | VARINT:
          f.mtime = r.uint64();
          break;
        case (8 << 3) | VARINT:
          f.mountId = r.varint32();
          break;
        case (9 << 3) | VARINT:
          f.inode = r.uint64();
          break;
        case (10 << 3) | VARINT:
          f.inUpperLayer = r.bool();
          break;
        case (11 << 3) | LEN:
          f.path = r.string();
          break;
        case (12 << 3) | LEN:
          f.basename = r.basename();
          break;
        case (13 << 3) | LEN:
          f.filesystem = r.string();
          break;
        case (14 << 3) | LEN:
          f.packageName = r.string();
          break;
        case (15 << 3) | LEN:
          f.packageVersion = r.string();
          break;
        case (16 << 3) | LEN:
          f.packageSrcVersion = r.string();
          break;
        case (17 << 3) | LEN:
          f.hashes = append(f.hashes, r.string());
          break;
        case (18 << 3) | VARINT:
          f.hashState = r.int32();
          break;
        case (19 << 3) | VARINT:
          f.packageEpoch = r.varint32();
          break;
        case (20 << 3) | LEN:
          f.packageRelease = r.string();
          break;
        case (21 << 3) | VARINT:
          f.packageSrcEpoch = r.varint32();
          break;
        case (22 << 3) | LEN:
          f.packageSrcRelease = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, FILE_INFO_FIELDS, field, index);
  }
  r.leave(saved);
  return f;
}

function readCredentials(r: WireReader): Credentials {
  const saved = r.enter();
  const c: Credentials = {};
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      switch (tag) {
        case (1 << 3) | VARINT:
          c.uid = r.varint32();
          break;
        case (2 << 3) | VARINT:
          c.gid = r.varint32();
          break;
        case (3 << 3) | LEN:
          c.user = r.string();
          break;
        case (4 << 3) | LEN:
          c.group = r.string();
          break;
        case (5 << 3) | VARINT:
          c.effectiveUid = r.varint32();
          break;
        case (6 << 3) | VARINT:
          c.effectiveGid = r.varint32();
          break;
        case (7 << 3) | LEN:
          c.effectiveUser = r.string();
          break;
        case (8 << 3) | LEN:
          c.effectiveGroup = r.string();
          break;
        case (9 << 3) | VARINT:
          c.fsUid = r.varint32();
          break;
        case (10 << 3) | VARINT:
          c.fsGid = r.varint32();
          break;
        case (11 << 3) | LEN:
          c.fsUser = r.string();
          break;
        case (12 << 3) | LEN:
          c.fsGroup = r.string();
          break;
        case (13 << 3) | VARINT:
          c.capEffective = r.uint64();
          break;
        case (14 << 3) | VARINT:
          c.capPermitted = r.uint64();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, CREDENTIALS_FIELDS, field, 0);
  }
  r.leave(saved);
  return c;
}

function readProcessInfo(r: WireReader): ProcessInfo {
  const saved = r.enter();
  // proto3 leaves zero values out: an absent tid or basename is 0 or '', not the model's default.
  const p: ProcessInfo = { pid: 0, tid: 0, file: { path: '', basename: '' } };
  let cookie32: number | undefined;
  let cookie64: bigint | undefined;
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
        case (1 << 3) | VARINT:
          p.pid = r.varint32();
          break;
        case (2 << 3) | VARINT:
          p.tid = r.varint32();
          break;
        case (3 << 3) | VARINT:
          p.ppid = r.varint32();
          break;
        case (4 << 3) | VARINT:
          cookie32 = r.varint32();
          break;
        case (5 << 3) | VARINT:
          p.isThread = r.bool();
          break;
        case (6 << 3) | LEN:
          p.file = readFileInfo(r);
          break;
        case (7 << 3) | LEN:
          p.containerId = r.string();
          break;
        case (10 << 3) | LEN:
          p.tty = r.string();
          break;
        case (11 << 3) | LEN:
          p.comm = r.string();
          break;
        case (12 << 3) | VARINT:
          p.forkTime = r.uint64();
          break;
        case (13 << 3) | VARINT:
          p.exitTime = r.uint64();
          break;
        case (14 << 3) | VARINT:
          p.execTime = r.uint64();
          break;
        case (15 << 3) | LEN:
          p.credentials = readCredentials(r);
          break;
        case (16 << 3) | LEN:
          p.args = append(p.args, r.string());
          break;
        case (17 << 3) | LEN:
          p.argv0 = r.string();
          break;
        case (18 << 3) | VARINT:
          p.argsTruncated = r.bool();
          break;
        case (19 << 3) | LEN:
          p.envs = append(p.envs, r.string());
          break;
        case (20 << 3) | VARINT:
          p.envsTruncated = r.bool();
          break;
        case (21 << 3) | VARINT:
          p.isExecExec = r.bool();
          break;
        case (22 << 3) | VARINT:
          cookie64 = r.uint64();
          break;
        default:
          // Includes the deprecated span_id (8) and trace_id (9), which the model does not keep.
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, PROCESS_INFO_FIELDS, field, index);
  }
  r.leave(saved);
  // cookie64 replaced the 32-bit cookie; old dumps only have the latter.
  if (cookie64 !== undefined && cookie64 !== 0n) p.cookie = cookie64;
  else if (cookie32 !== undefined) p.cookie = BigInt(cookie32);
  else if (cookie64 !== undefined) p.cookie = cookie64;
  return p;
}

function readMatchedRule(r: WireReader): MatchedRule {
  const saved = r.enter();
  const rule: MatchedRule = { ruleId: '' };
  let tags: [string, string][] | undefined;
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
        case (1 << 3) | LEN:
          rule.ruleId = r.string();
          break;
        case (2 << 3) | LEN:
          rule.ruleVersion = r.string();
          break;
        case (3 << 3) | LEN:
          rule.policyName = r.string();
          break;
        case (4 << 3) | LEN:
          rule.policyVersion = r.string();
          break;
        case (5 << 3) | LEN:
          tags = append(tags, readStringMapEntry(r));
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, RULE_FIELDS, field, index);
  }
  r.leave(saved);
  // fromEntries defines own properties (a `__proto__` key stays a plain entry); last key wins.
  if (tags !== undefined) rule.ruleTags = Object.fromEntries(tags);
  return rule;
}

function readStringMapEntry(r: WireReader): [string, string] {
  const saved = r.enter();
  let key = '';
  let value = '';
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((1 << 3) | LEN)) key = r.string();
      else if (tag === ((2 << 3) | LEN)) value = r.string();
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, MAP_ENTRY_FIELDS, field, 0);
  }
  r.leave(saved);
  return [key, value];
}

/** Appends `item` to `list`, creating the list on first use. */
function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}

/** Reads a `NodeBase`, appending its `seen` entries (tag, times) to `seen`. */
function readNodeBase(r: WireReader, seen: ImageTagTimes[] | undefined): ImageTagTimes[] {
  const out = seen ?? [];
  const saved = r.enter();
  let field = 0;
  let index = -1;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((1 << 3) | LEN)) {
        index++;
        out.push(readSeenEntry(r));
      } else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, NODE_BASE_FIELDS, field, index);
  }
  r.leave(saved);
  return out;
}

function readSeenEntry(r: WireReader): ImageTagTimes {
  const saved = r.enter();
  let tag = '';
  let firstSeen = 0n;
  let lastSeen = 0n;
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const t = r.tag();
      field = t >>> 3;
      if (t === ((1 << 3) | LEN)) tag = r.imageTag();
      else if (t === ((2 << 3) | LEN)) {
        const inner = r.enter();
        let timesField = 0;
        try {
          while (r.pos < r.end) {
            timesField = 0;
            const tt = r.tag();
            timesField = tt >>> 3;
            if (tt === ((1 << 3) | VARINT)) firstSeen = r.uint64();
            else if (tt === ((2 << 3) | VARINT)) lastSeen = r.uint64();
            else r.skip(tt & 7);
          }
        } catch (error) {
          throw r.at(error, TIMES_FIELDS, timesField, 0);
        }
        r.leave(inner);
      } else r.skip(t & 7);
    }
  } catch (error) {
    throw r.at(error, MAP_ENTRY_FIELDS, field, 0);
  }
  r.leave(saved);
  return { tag, firstSeen, lastSeen };
}

const SMALL_TAG_LIST = 16;

/**
 * A node's image tags: the `node_base.seen` entries (a map: the last entry of a tag wins), then
 * the legacy `image_tags` not already known, with zero times. Empty tags are dropped.
 */
function imageTags(
  seen: ImageTagTimes[] | undefined,
  legacy: string[] | undefined,
): ImageTagTimes[] | undefined {
  if (legacy === undefined) {
    if (seen === undefined) return undefined;
    if (seen.length === 1) return seen[0]!.tag === '' ? undefined : seen;
  }
  const total = (seen?.length ?? 0) + (legacy?.length ?? 0);
  if (total <= SMALL_TAG_LIST) {
    const out: ImageTagTimes[] = [];
    if (seen !== undefined) {
      for (const entry of seen) {
        if (entry.tag === '') continue;
        const i = out.findIndex((e) => e.tag === entry.tag);
        if (i < 0) out.push(entry);
        else out[i] = entry;
      }
    }
    if (legacy !== undefined) {
      for (const tag of legacy) {
        if (tag !== '' && !out.some((e) => e.tag === tag)) out.push({ tag, firstSeen: 0n, lastSeen: 0n });
      }
    }
    return out.length === 0 ? undefined : out;
  }
  const map = new Map<string, ImageTagTimes>();
  if (seen !== undefined) for (const entry of seen) if (entry.tag !== '') map.set(entry.tag, entry);
  if (legacy !== undefined) {
    for (const tag of legacy) {
      if (tag !== '' && !map.has(tag)) map.set(tag, { tag, firstSeen: 0n, lastSeen: 0n });
    }
  }
  return map.size === 0 ? undefined : [...map.values()];
}

function readImdsEvent(r: WireReader): ImdsInfo {
  const saved = r.enter();
  const info: ImdsInfo = { type: '' };
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      switch (tag) {
        case (1 << 3) | LEN:
          info.type = r.string();
          break;
        case (2 << 3) | LEN:
          info.cloudProvider = r.string();
          break;
        case (3 << 3) | LEN:
          info.url = r.string();
          break;
        case (4 << 3) | LEN:
          info.host = r.string();
          break;
        case (5 << 3) | LEN:
          info.userAgent = r.string();
          break;
        case (6 << 3) | LEN:
          info.server = r.string();
          break;
        case (7 << 3) | LEN:
          info.aws = readAwsEvent(r);
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, IMDS_EVENT_FIELDS, field, 0);
  }
  r.leave(saved);
  return info;
}

function readAwsEvent(r: WireReader): NonNullable<ImdsInfo['aws']> {
  const saved = r.enter();
  const aws: NonNullable<ImdsInfo['aws']> = {};
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((1 << 3) | VARINT)) aws.isImdsV2 = r.bool();
      else if (tag === ((2 << 3) | LEN)) aws.securityCredentials = readAwsCredentials(r);
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, AWS_FIELDS, field, 0);
  }
  r.leave(saved);
  return aws;
}

function readAwsCredentials(r: WireReader): AwsSecurityCredentials {
  const saved = r.enter();
  const c: AwsSecurityCredentials = {};
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      switch (tag) {
        case (1 << 3) | LEN:
          c.code = r.string();
          break;
        case (2 << 3) | LEN:
          c.type = r.string();
          break;
        case (3 << 3) | LEN:
          c.accessKeyId = r.string();
          break;
        case (4 << 3) | LEN:
          c.lastUpdated = r.string();
          break;
        case (5 << 3) | LEN:
          c.expirationRaw = r.string();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, AWS_CREDS_FIELDS, field, 0);
  }
  r.leave(saved);
  return c;
}

function readIpPort(r: WireReader): IpPort {
  const saved = r.enter();
  const out: IpPort = { ip: '', port: 0 };
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((1 << 3) | LEN)) out.ip = r.string();
      else if (tag === ((2 << 3) | VARINT)) out.port = r.varint32() & 0xffff;
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, IP_PORT_FIELDS, field, 0);
  }
  r.leave(saved);
  return out;
}

function readStats(r: WireReader): { dataSize: bigint; packetCount: bigint } {
  const saved = r.enter();
  const out = { dataSize: 0n, packetCount: 0n };
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((1 << 3) | VARINT)) out.dataSize = r.uint64();
      else if (tag === ((2 << 3) | VARINT)) out.packetCount = r.uint64();
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, STATS_FIELDS, field, 0);
  }
  r.leave(saved);
  return out;
}

// ---- tree nodes ----------------------------------------------------------------------------------

/**
 * Reads a `ProcessActivityNode` (the length prefix is next) and everything under it, as the
 * agent's decoder rebuilds it: files keyed by name (last wins), DNS nodes by their first
 * request's name (nodes without requests dropped), IMDS nodes by their normalised event, devices
 * by (netns, ifindex, ifname) (last wins), flows by 5-tuple (first wins); legacy packed syscalls
 * become Runtime syscall nodes, the legacy cookie is used when `cookie64` is unset, and legacy
 * `image_tags` are merged into the image tags with zero times.
 */
export function readProcessNode(r: WireReader): ProcessNode {
  const saved = r.enter();
  r.countNode();
  const node = new ProcessNode({ pid: 0, file: { path: '' } }, GenerationType.Unknown);
  let seen: ImageTagTimes[] | undefined;
  let legacyTags: string[] | undefined;
  let legacySyscalls: Set<number> | undefined;
  let legacyExecChild: boolean | undefined;
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
        case (1 << 3) | LEN:
          node.process = readProcessInfo(r);
          break;
        case (3 << 3) | LEN:
          node.appendChild(readProcessNode(r));
          break;
        case (4 << 3) | LEN:
          node.setFile(readFileNode(r));
          break;
        case (5 << 3) | LEN: {
          const dns = readDnsNode(r);
          const first = dns.requests[0];
          if (first !== undefined) node.dnsNames.set(first.name, dns);
          break;
        }
        case (6 << 3) | LEN:
          node.sockets.push(readSocketNode(r));
          break;
        case (7 << 3) | VARINT:
        case (7 << 3) | LEN: {
          // Old dumps list syscalls in a packed field: each distinct number becomes a node.
          legacySyscalls ??= new Set();
          const set = legacySyscalls;
          r.uint32s(tag & 7, (nr) => {
            if (!set.has(nr)) {
              r.countNode();
              set.add(nr);
            }
          });
          break;
        }
        case (8 << 3) | VARINT:
          node.generationType = r.int32();
          break;
        case (9 << 3) | LEN:
          node.matchedRules = append(node.matchedRules, readMatchedRule(r));
          break;
        case (10 << 3) | VARINT:
          // July 2023 dumps carried the exec-child flag here, before it moved into the process.
          legacyExecChild = r.bool();
          break;
        case (10 << 3) | LEN:
          legacyTags = append(legacyTags, r.string());
          break;
        case (11 << 3) | LEN: {
          const imds = readImdsNode(r);
          node.imdsEvents.set(imdsKey(imds.event), imds);
          break;
        }
        case (12 << 3) | LEN:
          node.syscalls.push(readSyscallNode(r));
          break;
        case (13 << 3) | LEN: {
          const device = readDeviceNode(r);
          node.networkDevices.set(deviceKey(device.device), device);
          break;
        }
        case (14 << 3) | LEN:
          seen = readNodeBase(r, seen);
          break;
        case (15 << 3) | LEN:
          node.capabilities.push(readCapabilityNode(r));
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, PROCESS_NODE_FIELDS, field, index);
  }
  r.leave(saved);
  if (legacyExecChild !== undefined && node.process.isExecExec === undefined) {
    node.process.isExecExec = legacyExecChild;
  }
  node.imageTags = imageTags(seen, legacyTags);
  if (legacySyscalls !== undefined) addLegacySyscallSet(node, legacySyscalls);
  return node;
}

/**
 * Appends a Runtime syscall node for each legacy syscall number the node does not have yet, in
 * first-seen order (what `addLegacySyscalls` does, with a set so that long lists stay linear).
 */
function addLegacySyscallSet(node: ProcessNode, legacy: Set<number>): void {
  const known = new Set<number>();
  for (const s of node.syscalls) known.add(s.syscall);
  for (const nr of legacy) {
    if (!known.has(nr)) node.syscalls.push(new SyscallNode(nr, GenerationType.Runtime));
  }
}

function readFileNode(r: WireReader): FileNode {
  const saved = r.enter();
  r.countNode();
  let name = '';
  let generationType: number = GenerationType.Unknown;
  // A file of only a path and a basename is held as its path until the end of the node.
  let file: FileInfo | string | undefined;
  let plainBasename = '';
  let firstSeen = 0n;
  let retval = 0;
  let flags = 0;
  let mode = 0;
  let hasOpen = false;
  let rules: MatchedRule[] | undefined;
  let seen: ImageTagTimes[] | undefined;
  let legacyTags: string[] | undefined;
  let children: FileNode[] | undefined;
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
        case (1 << 3) | LEN:
          name = r.fileName();
          break;
        case (2 << 3) | LEN:
          if (r.plainFile()) {
            file = r.plainPath;
            plainBasename = r.plainBasename;
          } else {
            file = readFileInfo(r);
          }
          break;
        case (4 << 3) | VARINT:
          firstSeen = r.uint64();
          break;
        case (5 << 3) | LEN: {
          hasOpen = true;
          const inner = r.enter();
          let openField = 0;
          try {
            while (r.pos < r.end) {
              openField = 0;
              const t = r.tag();
              openField = t >>> 3;
              if (t === ((1 << 3) | VARINT)) retval = r.sint64();
              else if (t === ((2 << 3) | VARINT)) flags = r.varint32();
              else if (t === ((3 << 3) | VARINT)) mode = r.varint32();
              else r.skip(t & 7);
            }
          } catch (error) {
            throw r.at(error, OPEN_FIELDS, openField, 0);
          }
          r.leave(inner);
          break;
        }
        case (6 << 3) | LEN:
          children = append(children, readFileNode(r));
          break;
        case (8 << 3) | VARINT:
          generationType = r.int32();
          break;
        case (9 << 3) | LEN:
          rules = append(rules, readMatchedRule(r));
          break;
        case (10 << 3) | LEN:
          legacyTags = append(legacyTags, r.string());
          break;
        case (11 << 3) | LEN:
          seen = readNodeBase(r, seen);
          break;
        default:
          // `is_pattern` (7) is derived from the name, as the agent's decoders do.
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, FILE_NODE_FIELDS, field, index);
  }
  r.leave(saved);
  // The tree's compact form of a leaf (its path alone) reads back with the node name as
  // basename: use it when that is the basename.
  if (typeof file === 'string' && plainBasename !== name) file = { path: file, basename: plainBasename };
  const node = new FileNode(name, generationType, file);
  if (hasOpen) node.open = r.open(retval, flags, mode);
  if (firstSeen !== 0n) node.firstSeen = firstSeen;
  if (rules !== undefined) node.matchedRules = rules;
  node.imageTags = imageTags(seen, legacyTags);
  if (children !== undefined) for (const child of children) node.setChild(child);
  return node;
}

function readDnsNode(r: WireReader): DnsNode {
  const saved = r.enter();
  r.countNode();
  const node = new DnsNode(GenerationType.Unknown);
  let seen: ImageTagTimes[] | undefined;
  let legacyTags: string[] | undefined;
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
        case (1 << 3) | LEN:
          node.requests.push(readDnsRequest(r));
          break;
        case (2 << 3) | LEN:
          node.matchedRules = append(node.matchedRules, readMatchedRule(r));
          break;
        case (3 << 3) | LEN:
          legacyTags = append(legacyTags, r.string());
          break;
        case (4 << 3) | LEN:
          seen = readNodeBase(r, seen);
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, DNS_NODE_FIELDS, field, index);
  }
  r.leave(saved);
  node.imageTags = imageTags(seen, legacyTags);
  return node;
}

function readDnsRequest(r: WireReader): DnsRequest {
  const saved = r.enter();
  const request: DnsRequest = { name: '', type: 0, class: 0, size: 0, count: 0, ips: [], cnames: [] };
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      switch (tag) {
        case (1 << 3) | LEN:
          request.name = r.string();
          break;
        // The agent narrows these to 16 bits.
        case (2 << 3) | VARINT:
          request.type = r.varint32() & 0xffff;
          break;
        case (3 << 3) | VARINT:
          request.class = r.varint32() & 0xffff;
          break;
        case (4 << 3) | VARINT:
          request.size = r.varint32() & 0xffff;
          break;
        case (5 << 3) | VARINT:
          request.count = r.varint32() & 0xffff;
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, DNS_INFO_FIELDS, field, 0);
  }
  r.leave(saved);
  return request;
}

function readSocketNode(r: WireReader): SocketNode {
  const saved = r.enter();
  r.countNode();
  let family = '';
  const binds: BindNode[] = [];
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
      if (tag === ((1 << 3) | LEN)) family = r.string();
      else if (tag === ((2 << 3) | LEN)) binds.push(readBindNode(r));
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, SOCKET_FIELDS, field, index);
  }
  r.leave(saved);
  const socket = new SocketNode(family, GenerationType.Unknown);
  for (const bind of binds) socket.binds.push(bind);
  return socket;
}

function readBindNode(r: WireReader): BindNode {
  const saved = r.enter();
  r.countNode();
  let port = 0;
  let ip = '';
  let protocol = 0;
  let rules: MatchedRule[] | undefined;
  let seen: ImageTagTimes[] | undefined;
  let legacyTags: string[] | undefined;
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
        case (1 << 3) | VARINT:
          port = r.varint32() & 0xffff;
          break;
        case (2 << 3) | LEN:
          ip = r.string();
          break;
        case (3 << 3) | LEN:
          rules = append(rules, readMatchedRule(r));
          break;
        case (4 << 3) | LEN:
          legacyTags = append(legacyTags, r.string());
          break;
        case (5 << 3) | VARINT:
          protocol = r.varint32() & 0xffff;
          break;
        case (6 << 3) | LEN:
          seen = readNodeBase(r, seen);
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, BIND_FIELDS, field, index);
  }
  r.leave(saved);
  const bind = new BindNode(port, ip, protocol, GenerationType.Unknown);
  bind.matchedRules = rules;
  bind.imageTags = imageTags(seen, legacyTags);
  return bind;
}

function readImdsNode(r: WireReader): ImdsNode {
  const saved = r.enter();
  r.countNode();
  let event: ImdsInfo = { type: '' };
  let rules: MatchedRule[] | undefined;
  let seen: ImageTagTimes[] | undefined;
  let legacyTags: string[] | undefined;
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
        case (1 << 3) | LEN:
          rules = append(rules, readMatchedRule(r));
          break;
        case (2 << 3) | LEN:
          legacyTags = append(legacyTags, r.string());
          break;
        case (3 << 3) | LEN:
          event = readImdsEvent(r);
          break;
        case (4 << 3) | LEN:
          seen = readNodeBase(r, seen);
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, IMDS_NODE_FIELDS, field, index);
  }
  r.leave(saved);
  const node = new ImdsNode(normalizeImds(event), GenerationType.Unknown);
  node.matchedRules = rules;
  node.imageTags = imageTags(seen, legacyTags);
  return node;
}

function readSyscallNode(r: WireReader): SyscallNode {
  const saved = r.enter();
  r.countNode();
  let syscall = 0;
  let seen: ImageTagTimes[] | undefined;
  let legacyTags: string[] | undefined;
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
      if (tag === ((1 << 3) | LEN)) legacyTags = append(legacyTags, r.string());
      else if (tag === ((2 << 3) | VARINT)) syscall = r.int32();
      else if (tag === ((3 << 3) | LEN)) seen = readNodeBase(r, seen);
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, SYSCALL_FIELDS, field, index);
  }
  r.leave(saved);
  const node = new SyscallNode(syscall, GenerationType.Runtime);
  node.imageTags = imageTags(seen, legacyTags);
  return node;
}

function readCapabilityNode(r: WireReader): CapabilityNode {
  const saved = r.enter();
  r.countNode();
  let capability = 0;
  let capable = false;
  let seen: ImageTagTimes[] | undefined;
  let field = 0;
  try {
    while (r.pos < r.end) {
      field = 0;
      const tag = r.tag();
      field = tag >>> 3;
      if (tag === ((1 << 3) | LEN)) seen = readNodeBase(r, seen);
      else if (tag === ((2 << 3) | VARINT)) {
        const start = r.pos;
        const value = r.uint64();
        if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw r.fail(`${value} is out of range`, start);
        capability = Number(value);
      } else if (tag === ((3 << 3) | VARINT)) capable = r.bool();
      else r.skip(tag & 7);
    }
  } catch (error) {
    throw r.at(error, CAPABILITY_FIELDS, field, 0);
  }
  r.leave(saved);
  const node = new CapabilityNode(capability, capable, GenerationType.Runtime);
  node.imageTags = imageTags(seen, undefined);
  return node;
}

function readDeviceNode(r: WireReader): NetworkDeviceNode {
  const saved = r.enter();
  r.countNode();
  let rules: MatchedRule[] | undefined;
  let netns = 0;
  let ifindex = 0;
  let ifname = '';
  let flows: [NetworkFlow, ImageTagTimes[] | undefined][] | undefined;
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
        case (1 << 3) | LEN:
          rules = append(rules, readMatchedRule(r));
          break;
        case (2 << 3) | VARINT:
          netns = r.varint32();
          break;
        case (3 << 3) | VARINT:
          ifindex = r.varint32();
          break;
        case (4 << 3) | LEN:
          ifname = r.string();
          break;
        case (5 << 3) | LEN:
          flows = append(flows, readFlowNode(r));
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, DEVICE_FIELDS, field, index);
  }
  r.leave(saved);
  const node = new NetworkDeviceNode({ netns, ifindex, ifname }, GenerationType.Unknown);
  node.matchedRules = rules;
  if (flows !== undefined) {
    for (const [flow, tags] of flows) {
      // The agent keeps the first flow of a 5-tuple.
      const key = flowKey(flow);
      if (node.flows.has(key)) continue;
      const flowNode = new FlowNode(flow, GenerationType.Runtime);
      flowNode.imageTags = tags;
      node.flows.set(key, flowNode);
    }
  }
  return node;
}

function readFlowNode(r: WireReader): [NetworkFlow, ImageTagTimes[] | undefined] {
  const saved = r.enter();
  r.countNode();
  const flow: NetworkFlow = {
    source: { ip: '', port: 0 },
    destination: { ip: '', port: 0 },
    l3Protocol: 0,
    l4Protocol: 0,
  };
  let seen: ImageTagTimes[] | undefined;
  let legacyTags: string[] | undefined;
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
        case (1 << 3) | LEN:
          legacyTags = append(legacyTags, r.string());
          break;
        case (2 << 3) | LEN:
          flow.source = readIpPort(r);
          break;
        case (3 << 3) | LEN:
          flow.destination = readIpPort(r);
          break;
        case (4 << 3) | VARINT:
          flow.l3Protocol = r.varint32() & 0xffff;
          break;
        case (5 << 3) | VARINT:
          flow.l4Protocol = r.varint32() & 0xffff;
          break;
        case (6 << 3) | LEN:
          flow.ingress = readStats(r);
          break;
        case (7 << 3) | LEN:
          flow.egress = readStats(r);
          break;
        case (8 << 3) | LEN:
          seen = readNodeBase(r, seen);
          break;
        default:
          r.skip(tag & 7);
      }
    }
  } catch (error) {
    throw r.at(error, FLOW_FIELDS, field, index);
  }
  r.leave(saved);
  return [flow, imageTags(seen, legacyTags)];
}
