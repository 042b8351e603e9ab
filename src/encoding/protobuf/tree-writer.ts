import type { DumpMetadata } from '../../dump/dump-metadata.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ImdsInfo, IpPort } from '../../events/activity-event.js';
import { basenameOf, type FileInfo } from '../../events/file-info.js';
import type { MatchedRule } from '../../events/matched-rule.js';
import type { Credentials, ProcessInfo } from '../../events/process.js';
import type { ActivityTree } from '../../tree/activity-tree.js';
import type { CapabilityNode } from '../../tree/capability-node.js';
import type { DnsNode } from '../../tree/dns-node.js';
import type { FileNode } from '../../tree/file-node.js';
import type { ImageTagTimes } from '../../tree/image-tags.js';
import type { ImdsNode } from '../../tree/imds-node.js';
import type { FlowCounters, FlowNode, NetworkDeviceNode } from '../../tree/network-device-node.js';
import type { ProcessNode } from '../../tree/process-node.js';
import type { BindNode, SocketNode } from '../../tree/socket-node.js';
import type { SyscallNode } from '../../tree/syscall-node.js';

/*
 * A hand-written writer of the `datadog.cws.dumpsv1` wire format straight from tree nodes, with
 * one `WireWriter` whose fork/join frames the nested messages (a fork reserves one byte for the
 * length; a longer message is moved once when it is joined).
 *
 * It writes what a 2025+ agent writes (reference-activity-tree §11.3): fields in ascending
 * field-number order, current fields only (`cookie64`, `syscall_nodes`, `node_base`; never the
 * deprecated `cookie`, `syscalls`, `image_tags`, span/trace ids), zero scalars and empty strings
 * and lists left out as proto3 does, proto3 `optional` fields written whenever set, 64-bit values
 * exactly, generation types as their number (3 and 4 included), `is_pattern` set when the name
 * contains `*`. Strings are encoded as UTF-8; lone surrogates become U+FFFD (the agent's
 * sanitising of invalid UTF-8). Message fields the agent always sets (process file, IMDS event,
 * flow endpoints and counters) are written even when empty. A process's unset `tid` is written as
 * its pid and a file's unset `basename` as the last component of its path (the model's defaults,
 * which the agent always fills in). The legacy `first_seen` of file nodes of old dumps is written
 * back when set, so such dumps round-trip.
 */

// Wire types.
const VARINT = 0;
const LEN = 2;

const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;
const INITIAL_CAPACITY = 64 * 1024;
const MAX_INITIAL_CAPACITY = 256 * 1024 * 1024;
const scratch = new DataView(new ArrayBuffer(8));
const utf8 = new TextEncoder();

/**
 * A protobuf wire writer with the API of protobuf-es's `BinaryWriter` (`uint32`, `int32`, `bool`,
 * `uint64`, `sint64`, `string`, `fork`/`join`, `finish`), specialised for this encoder: a capacity
 * hint, varints written inline, ASCII strings without `TextEncoder`, 64-bit values without
 * intermediate objects, and values outside their wire type's range refused with an
 * `InvalidArgumentError`. On a 100k-node tree it encodes about 1.5 times as fast as `BinaryWriter`
 * (measured with the same writer functions over both).
 */
export class WireWriter {
  private buf: Uint8Array;
  private pos = 0;
  // Start of each open fork: the byte reserved for its length prefix.
  private readonly forks: number[] = [];

  /** @param capacity Bytes to reserve up front (a good estimate saves regrowing a large buffer). */
  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = new Uint8Array(Math.max(INITIAL_CAPACITY, Math.min(capacity, MAX_INITIAL_CAPACITY)));
  }

  private grow(extra: number): void {
    const needed = this.pos + extra;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private varint32(value: number): void {
    if (this.pos + 5 > this.buf.length) this.grow(5);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  private varint64(lo: number, hi: number): void {
    if (hi === 0) {
      this.varint32(lo);
      return;
    }
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const buf = this.buf;
    let pos = this.pos;
    // 28 low bits, then 4 low + 3 high bits, then the rest of the high word.
    for (let i = 0; i < 4; i++) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    let b = lo | ((hi & 0x07) << 4);
    hi >>>= 3;
    while (hi !== 0) {
      buf[pos++] = b | 0x80;
      b = hi & 0x7f;
      hi >>>= 7;
    }
    buf[pos++] = b;
    this.pos = pos;
  }

  /** Writes a uint32 varint (also used for tags and lengths). */
  uint32(value: number): this {
    if (value >>> 0 !== value) throw new InvalidArgumentError(`invalid uint32: ${value}`);
    if (value < 0x80 && this.pos < this.buf.length) this.buf[this.pos++] = value;
    else this.varint32(value);
    return this;
  }

  /** Writes an int32 varint (negative values take 10 bytes). */
  int32(value: number): this {
    if ((value | 0) !== value) throw new InvalidArgumentError(`invalid int32: ${value}`);
    if (value >= 0) this.varint32(value);
    else this.varint64(value >>> 0, 0xffff_ffff);
    return this;
  }

  bool(value: boolean): this {
    return this.uint32(value ? 1 : 0);
  }

  /** Writes a uint64 varint from a bigint or a safe integer number. */
  uint64(value: bigint | number): this {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value) || value < 0)
        throw new InvalidArgumentError(`invalid uint64: ${value}`);
      if (value <= 0xffff_ffff) return this.uint32(value);
      this.varint64(value >>> 0, Math.floor(value / 0x1_0000_0000));
      return this;
    }
    if (typeof value !== 'bigint' || value < 0n || value > MAX_UINT64) {
      throw new InvalidArgumentError(`invalid uint64: ${String(value)}`);
    }
    if (value <= 0xffff_ffffn) return this.uint32(Number(value));
    scratch.setBigUint64(0, value, true);
    this.varint64(scratch.getUint32(0, true), scratch.getUint32(4, true));
    return this;
  }

  /** Writes a zigzag sint64 varint from a safe integer number. */
  sint64(value: number): this {
    if ((value | 0) === value) return this.uint32(((value << 1) ^ (value >> 31)) >>> 0);
    if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`invalid sint64: ${value}`);
    // zigzag: 2n for n >= 0, -2n - 1 for n < 0; below 2^54, so exact in a double.
    const zz = value >= 0 ? value * 2 : -value * 2 - 1;
    this.varint64(zz >>> 0, Math.floor(zz / 0x1_0000_0000));
    return this;
  }

  /** Writes a length-delimited UTF-8 string; lone surrogates become U+FFFD. */
  string(value: string): this {
    const length = value.length;
    if (this.pos + length * 3 + 5 > this.buf.length) this.grow(length * 3 + 5);
    const buf = this.buf;
    const pos = this.pos;
    if (length < 0x80) {
      // ASCII fast path: a one-byte length prefix, one byte per character.
      const start = pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === length) {
        buf[pos] = length;
        this.pos = start + length;
        return this;
      }
    }
    // Guess the prefix size from the UTF-16 length; move the bytes if the guess was wrong.
    const guess = varintSize(length);
    const { written } = utf8.encodeInto(value, buf.subarray(pos + guess));
    const actual = varintSize(written);
    if (actual !== guess) buf.copyWithin(pos + actual, pos + guess, pos + guess + written);
    this.varint32(written);
    this.pos += written;
    return this;
  }

  /**
   * Writes one `NodeBase.seen` map entry (field 1: `{key: tag, value: {first_seen, last_seen}}`)
   * with its lengths computed up front, the common case of a short ASCII tag. Returns false,
   * having written nothing, for other tags.
   */
  seenEntry(tag: string, firstSeen: bigint, lastSeen: bigint): boolean {
    const tagLength = tag.length;
    if (tagLength > 100) return false;
    for (let i = 0; i < tagLength; i++) if (tag.charCodeAt(i) >= 0x80) return false;
    const firstLo = this.split(firstSeen);
    const firstHi = this.splitHi;
    const lastLo = this.split(lastSeen);
    const lastHi = this.splitHi;
    const firstSize = firstSeen === 0n ? 0 : 1 + varint64Size(firstLo, firstHi);
    const lastSize = lastSeen === 0n ? 0 : 1 + varint64Size(lastLo, lastHi);
    const times = firstSize + lastSize; // < 0x80
    const entry = 2 + tagLength + 2 + times; // < 0x80
    if (this.pos + entry + 2 > this.buf.length) this.grow(entry + 2);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = (1 << 3) | LEN;
    buf[pos++] = entry;
    buf[pos++] = (1 << 3) | LEN;
    buf[pos++] = tagLength;
    for (let i = 0; i < tagLength; i++) buf[pos++] = tag.charCodeAt(i);
    buf[pos++] = (2 << 3) | LEN;
    buf[pos++] = times;
    this.pos = pos;
    if (firstSize !== 0) {
      this.buf[this.pos++] = (1 << 3) | VARINT;
      this.varint64(firstLo, firstHi);
    }
    if (lastSize !== 0) {
      this.buf[this.pos++] = (2 << 3) | VARINT;
      this.varint64(lastLo, lastHi);
    }
    return true;
  }

  // The high half of the last `split`.
  private splitHi = 0;

  /** Splits a uint64 bigint into 32-bit halves: returns the low one, leaves the high one in `splitHi`. */
  private split(value: bigint): number {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_UINT64) {
      throw new InvalidArgumentError(`invalid uint64: ${String(value)}`);
    }
    scratch.setBigUint64(0, value, true);
    this.splitHi = scratch.getUint32(4, true);
    return scratch.getUint32(0, true);
  }

  /** Starts a length-delimited message; end it with {@link join}. */
  fork(): this {
    if (this.pos >= this.buf.length) this.grow(1);
    this.forks.push(this.pos++);
    return this;
  }

  /** Ends the last {@link fork}: writes its length prefix (moving the payload when it needs more than a byte). */
  join(): this {
    const start = this.forks.pop()!;
    const length = this.pos - start - 1;
    if (length < 0x80) {
      this.buf[start] = length;
      return this;
    }
    const size = varintSize(length);
    if (this.pos + size > this.buf.length) this.grow(size);
    this.buf.copyWithin(start + size, start + 1, this.pos);
    this.pos = start;
    this.varint32(length);
    this.pos += length;
    return this;
  }

  /** All bytes written, in an array of their own (no view of a larger buffer is handed out). */
  finish(): Uint8Array {
    const used = this.pos;
    return used === this.buf.length ? this.buf : this.buf.slice(0, used);
  }
}

/** Bytes of the varint of a 64-bit value given as unsigned halves. */
function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return varintSize(lo);
  // 7 bits a byte over 32 low bits and the significant bits of the high half.
  return Math.ceil((64 - Math.clz32(hi)) / 7);
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** Writes a string field unless it is unset or empty. */
function str(w: WireWriter, tag: number, value: string | undefined): void {
  if (value !== undefined && value !== '') w.uint32(tag).string(value);
}

/** Writes a uint32 field unless it is unset or zero. */
function u32(w: WireWriter, tag: number, value: number | undefined): void {
  if (value !== undefined && value !== 0) w.uint32(tag).uint32(value);
}

/** Writes an int32/enum field unless it is unset or zero. */
function i32(w: WireWriter, tag: number, value: number | undefined): void {
  if (value !== undefined && value !== 0) w.uint32(tag).int32(value);
}

/** Writes a uint64 field unless it is unset or zero. */
function u64(w: WireWriter, tag: number, value: bigint | undefined): void {
  if (value === undefined || value === 0n) return;
  w.uint32(tag).uint64(value);
}

/** Writes a sint64 field (from a number) unless it is zero. */
function sint64(w: WireWriter, tag: number, value: number): void {
  if (value === 0) return;
  w.uint32(tag).sint64(value);
}

/** Writes a bool field unless it is unset or false. */
function bool(w: WireWriter, tag: number, value: boolean | undefined): void {
  if (value === true) w.uint32(tag).bool(true);
}

function strings(w: WireWriter, tag: number, values: readonly string[] | undefined): void {
  if (values === undefined) return;
  for (let i = 0; i < values.length; i++) w.uint32(tag).string(values[i]!);
}

/** Writes a `Metadata` message body. */
export function writeMetadata(w: WireWriter, m: DumpMetadata): void {
  str(w, (1 << 3) | LEN, m.agentVersion);
  str(w, (2 << 3) | LEN, m.agentCommit);
  str(w, (3 << 3) | LEN, m.kernelVersion);
  str(w, (4 << 3) | LEN, m.linuxDistribution);
  str(w, (5 << 3) | LEN, m.name);
  str(w, (6 << 3) | LEN, m.protobufVersion);
  bool(w, (7 << 3) | VARINT, m.differentiateArgs);
  str(w, (8 << 3) | LEN, m.comm);
  str(w, (9 << 3) | LEN, m.containerId);
  u64(w, (10 << 3) | VARINT, m.start);
  u64(w, (11 << 3) | VARINT, m.end);
  u64(w, (12 << 3) | VARINT, m.size);
  str(w, (13 << 3) | LEN, m.arch);
  str(w, (14 << 3) | LEN, m.serialization);
  str(w, (15 << 3) | LEN, m.cgroupId);
  str(w, (16 << 3) | LEN, m.cgroupManager);
}

function writeFileInfo(w: WireWriter, f: FileInfo): void {
  u32(w, (1 << 3) | VARINT, f.uid);
  str(w, (2 << 3) | LEN, f.user);
  u32(w, (3 << 3) | VARINT, f.gid);
  str(w, (4 << 3) | LEN, f.group);
  u32(w, (5 << 3) | VARINT, f.mode);
  u64(w, (6 << 3) | VARINT, f.ctime);
  u64(w, (7 << 3) | VARINT, f.mtime);
  u32(w, (8 << 3) | VARINT, f.mountId);
  u64(w, (9 << 3) | VARINT, f.inode);
  bool(w, (10 << 3) | VARINT, f.inUpperLayer);
  str(w, (11 << 3) | LEN, f.path);
  // The model's default basename is the last path component; the agent always has one.
  str(w, (12 << 3) | LEN, f.basename ?? basenameOf(f.path));
  str(w, (13 << 3) | LEN, f.filesystem);
  str(w, (14 << 3) | LEN, f.packageName);
  str(w, (15 << 3) | LEN, f.packageVersion);
  str(w, (16 << 3) | LEN, f.packageSrcVersion);
  strings(w, (17 << 3) | LEN, f.hashes);
  i32(w, (18 << 3) | VARINT, f.hashState);
  // proto3 `optional`: written whenever set, zero included.
  if (f.packageEpoch !== undefined) w.uint32((19 << 3) | VARINT).uint32(f.packageEpoch);
  if (f.packageRelease !== undefined) w.uint32((20 << 3) | LEN).string(f.packageRelease);
  if (f.packageSrcEpoch !== undefined) w.uint32((21 << 3) | VARINT).uint32(f.packageSrcEpoch);
  if (f.packageSrcRelease !== undefined) w.uint32((22 << 3) | LEN).string(f.packageSrcRelease);
}

function writeCredentials(w: WireWriter, c: Credentials): void {
  u32(w, (1 << 3) | VARINT, c.uid);
  u32(w, (2 << 3) | VARINT, c.gid);
  str(w, (3 << 3) | LEN, c.user);
  str(w, (4 << 3) | LEN, c.group);
  u32(w, (5 << 3) | VARINT, c.effectiveUid);
  u32(w, (6 << 3) | VARINT, c.effectiveGid);
  str(w, (7 << 3) | LEN, c.effectiveUser);
  str(w, (8 << 3) | LEN, c.effectiveGroup);
  u32(w, (9 << 3) | VARINT, c.fsUid);
  u32(w, (10 << 3) | VARINT, c.fsGid);
  str(w, (11 << 3) | LEN, c.fsUser);
  str(w, (12 << 3) | LEN, c.fsGroup);
  u64(w, (13 << 3) | VARINT, c.capEffective);
  u64(w, (14 << 3) | VARINT, c.capPermitted);
}

function writeProcessInfo(w: WireWriter, p: ProcessInfo): void {
  u32(w, (1 << 3) | VARINT, p.pid);
  // The model's default tid is the pid; the agent always has one.
  u32(w, (2 << 3) | VARINT, p.tid ?? p.pid);
  u32(w, (3 << 3) | VARINT, p.ppid);
  bool(w, (5 << 3) | VARINT, p.isThread);
  w.uint32((6 << 3) | LEN).fork();
  writeFileInfo(w, p.file);
  w.join();
  str(w, (7 << 3) | LEN, p.containerId);
  str(w, (10 << 3) | LEN, p.tty);
  str(w, (11 << 3) | LEN, p.comm);
  u64(w, (12 << 3) | VARINT, p.forkTime);
  u64(w, (13 << 3) | VARINT, p.exitTime);
  u64(w, (14 << 3) | VARINT, p.execTime);
  if (p.credentials !== undefined) {
    w.uint32((15 << 3) | LEN).fork();
    writeCredentials(w, p.credentials);
    w.join();
  }
  strings(w, (16 << 3) | LEN, p.args);
  str(w, (17 << 3) | LEN, p.argv0);
  bool(w, (18 << 3) | VARINT, p.argsTruncated);
  strings(w, (19 << 3) | LEN, p.envs);
  bool(w, (20 << 3) | VARINT, p.envsTruncated);
  bool(w, (21 << 3) | VARINT, p.isExecExec);
  u64(w, (22 << 3) | VARINT, p.cookie);
}

function writeMatchedRules(w: WireWriter, tag: number, rules: readonly MatchedRule[] | undefined): void {
  if (rules === undefined) return;
  for (const rule of rules) {
    w.uint32(tag).fork();
    str(w, (1 << 3) | LEN, rule.ruleId);
    str(w, (2 << 3) | LEN, rule.ruleVersion);
    str(w, (3 << 3) | LEN, rule.policyName);
    str(w, (4 << 3) | LEN, rule.policyVersion);
    const tags = rule.ruleTags;
    if (tags !== undefined) {
      for (const key of Object.keys(tags)) {
        w.uint32((5 << 3) | LEN).fork();
        w.uint32((1 << 3) | LEN).string(key);
        w.uint32((2 << 3) | LEN).string(tags[key]!);
        w.join();
      }
    }
    w.join();
  }
}

/** Writes a `NodeBase` field (`seen`: image tag → first/last seen) when there are image tags. */
function writeNodeBase(w: WireWriter, tag: number, tags: readonly ImageTagTimes[] | undefined): void {
  if (tags === undefined || tags.length === 0) return;
  w.uint32(tag).fork();
  for (const t of tags) {
    if (w.seenEntry(t.tag, t.firstSeen, t.lastSeen)) continue;
    w.uint32((1 << 3) | LEN).fork();
    w.uint32((1 << 3) | LEN).string(t.tag);
    w.uint32((2 << 3) | LEN).fork();
    u64(w, (1 << 3) | VARINT, t.firstSeen);
    u64(w, (2 << 3) | VARINT, t.lastSeen);
    w.join();
    w.join();
  }
  w.join();
}

function writeFileNode(w: WireWriter, node: FileNode): void {
  const name = node.name;
  str(w, (1 << 3) | LEN, name);
  if (node.hasFile) {
    w.uint32((2 << 3) | LEN).fork();
    writeFileInfo(w, node.file!);
    w.join();
  }
  u64(w, (4 << 3) | VARINT, node.firstSeen);
  const open = node.open;
  if (open !== undefined) {
    w.uint32((5 << 3) | LEN).fork();
    sint64(w, (1 << 3) | VARINT, open.retval);
    u32(w, (2 << 3) | VARINT, open.flags);
    u32(w, (3 << 3) | VARINT, open.mode);
    w.join();
  }
  if (node.childCount > 0) {
    for (const child of node.children) {
      w.uint32((6 << 3) | LEN).fork();
      writeFileNode(w, child);
      w.join();
    }
  }
  if (name.includes('*')) w.uint32((7 << 3) | VARINT).bool(true);
  i32(w, (8 << 3) | VARINT, node.generationType);
  writeMatchedRules(w, (9 << 3) | LEN, node.matchedRules);
  writeNodeBase(w, (11 << 3) | LEN, node.imageTags);
}

function writeDnsNode(w: WireWriter, node: DnsNode): void {
  for (const r of node.requests) {
    w.uint32((1 << 3) | LEN).fork();
    str(w, (1 << 3) | LEN, r.name);
    u32(w, (2 << 3) | VARINT, r.type);
    u32(w, (3 << 3) | VARINT, r.class);
    u32(w, (4 << 3) | VARINT, r.size);
    u32(w, (5 << 3) | VARINT, r.count);
    w.join();
  }
  writeMatchedRules(w, (2 << 3) | LEN, node.matchedRules);
  writeNodeBase(w, (4 << 3) | LEN, node.imageTags);
}

function writeBindNode(w: WireWriter, bind: BindNode): void {
  u32(w, (1 << 3) | VARINT, bind.port);
  str(w, (2 << 3) | LEN, bind.ip);
  writeMatchedRules(w, (3 << 3) | LEN, bind.matchedRules);
  u32(w, (5 << 3) | VARINT, bind.protocol);
  writeNodeBase(w, (6 << 3) | LEN, bind.imageTags);
}

function writeSocketNode(w: WireWriter, socket: SocketNode): void {
  str(w, (1 << 3) | LEN, socket.family);
  for (const bind of socket.binds) {
    w.uint32((2 << 3) | LEN).fork();
    writeBindNode(w, bind);
    w.join();
  }
}

function writeImdsEvent(w: WireWriter, e: ImdsInfo): void {
  str(w, (1 << 3) | LEN, e.type);
  str(w, (2 << 3) | LEN, e.cloudProvider);
  str(w, (3 << 3) | LEN, e.url);
  str(w, (4 << 3) | LEN, e.host);
  str(w, (5 << 3) | LEN, e.userAgent);
  str(w, (6 << 3) | LEN, e.server);
  // The agent writes the AWS section for the `aws` provider only.
  if (e.cloudProvider === 'aws' && e.aws !== undefined) {
    w.uint32((7 << 3) | LEN).fork();
    bool(w, (1 << 3) | VARINT, e.aws.isImdsV2);
    const c = e.aws.securityCredentials;
    if (c !== undefined) {
      w.uint32((2 << 3) | LEN).fork();
      str(w, (1 << 3) | LEN, c.code);
      str(w, (2 << 3) | LEN, c.type);
      str(w, (3 << 3) | LEN, c.accessKeyId);
      str(w, (4 << 3) | LEN, c.lastUpdated);
      str(w, (5 << 3) | LEN, c.expirationRaw);
      w.join();
    }
    w.join();
  }
}

function writeImdsNode(w: WireWriter, node: ImdsNode): void {
  writeMatchedRules(w, (1 << 3) | LEN, node.matchedRules);
  w.uint32((3 << 3) | LEN).fork();
  writeImdsEvent(w, node.event);
  w.join();
  writeNodeBase(w, (4 << 3) | LEN, node.imageTags);
}

function writeSyscallNode(w: WireWriter, node: SyscallNode): void {
  i32(w, (2 << 3) | VARINT, node.syscall);
  writeNodeBase(w, (3 << 3) | LEN, node.imageTags);
}

function writeCapabilityNode(w: WireWriter, node: CapabilityNode): void {
  writeNodeBase(w, (1 << 3) | LEN, node.imageTags);
  if (node.capability !== 0) w.uint32((2 << 3) | VARINT).uint64(node.capability);
  bool(w, (3 << 3) | VARINT, node.capable);
}

function writeIpPort(w: WireWriter, tag: number, value: IpPort): void {
  w.uint32(tag).fork();
  str(w, (1 << 3) | LEN, value.ip);
  u32(w, (2 << 3) | VARINT, value.port);
  w.join();
}

function writeStats(w: WireWriter, tag: number, value: FlowCounters): void {
  w.uint32(tag).fork();
  u64(w, (1 << 3) | VARINT, value.dataSize);
  u64(w, (2 << 3) | VARINT, value.packetCount);
  w.join();
}

function writeFlowNode(w: WireWriter, flow: FlowNode): void {
  writeIpPort(w, (2 << 3) | LEN, flow.source);
  writeIpPort(w, (3 << 3) | LEN, flow.destination);
  u32(w, (4 << 3) | VARINT, flow.l3Protocol);
  u32(w, (5 << 3) | VARINT, flow.l4Protocol);
  writeStats(w, (6 << 3) | LEN, flow.ingress);
  writeStats(w, (7 << 3) | LEN, flow.egress);
  writeNodeBase(w, (8 << 3) | LEN, flow.imageTags);
}

function writeDeviceNode(w: WireWriter, node: NetworkDeviceNode): void {
  writeMatchedRules(w, (1 << 3) | LEN, node.matchedRules);
  u32(w, (2 << 3) | VARINT, node.device.netns);
  u32(w, (3 << 3) | VARINT, node.device.ifindex);
  str(w, (4 << 3) | LEN, node.device.ifname);
  for (const flow of node.flows.values()) {
    w.uint32((5 << 3) | LEN).fork();
    writeFlowNode(w, flow);
    w.join();
  }
}

/** Writes a `ProcessActivityNode` message body (the node and everything under it). */
export function writeProcessNode(w: WireWriter, node: ProcessNode): void {
  w.uint32((1 << 3) | LEN).fork();
  writeProcessInfo(w, node.process);
  w.join();
  for (const child of node.children) {
    w.uint32((3 << 3) | LEN).fork();
    writeProcessNode(w, child);
    w.join();
  }
  for (const file of node.files) {
    w.uint32((4 << 3) | LEN).fork();
    writeFileNode(w, file);
    w.join();
  }
  for (const dns of node.dnsNames.values()) {
    w.uint32((5 << 3) | LEN).fork();
    writeDnsNode(w, dns);
    w.join();
  }
  for (const socket of node.sockets) {
    w.uint32((6 << 3) | LEN).fork();
    writeSocketNode(w, socket);
    w.join();
  }
  i32(w, (8 << 3) | VARINT, node.generationType);
  writeMatchedRules(w, (9 << 3) | LEN, node.matchedRules);
  for (const imds of node.imdsEvents.values()) {
    w.uint32((11 << 3) | LEN).fork();
    writeImdsNode(w, imds);
    w.join();
  }
  for (const syscall of node.syscalls) {
    w.uint32((12 << 3) | LEN).fork();
    writeSyscallNode(w, syscall);
    w.join();
  }
  for (const device of node.networkDevices.values()) {
    w.uint32((13 << 3) | LEN).fork();
    writeDeviceNode(w, device);
    w.join();
  }
  writeNodeBase(w, (14 << 3) | LEN, node.imageTags);
  for (const capability of node.capabilities) {
    w.uint32((15 << 3) | LEN).fork();
    writeCapabilityNode(w, capability);
    w.join();
  }
}

/**
 * About how many bytes a tree encodes to, from its node counts (counts of a tree built by
 * inserts or decoded; 0 for a tree assembled by hand without `recountNodes`).
 */
export function estimateTreeSize(tree: ActivityTree): number {
  const s = tree.stats;
  // A file leaf with its directories, open record and image tag takes about 100 to 130 bytes;
  // a process node with its arguments and environment about 1 KiB.
  return (
    s.processNodes * 1024 +
    s.fileNodes * 128 +
    (s.dnsNodes + s.socketNodes + s.imdsNodes) * 64 +
    (s.syscallNodes + s.capabilityNodes) * 16 +
    s.flowNodes * 96
  );
}

/** Writes the process nodes as a repeated message field. */
export function writeRoots(w: WireWriter, tag: number, roots: readonly ProcessNode[]): void {
  for (const root of roots) {
    w.uint32(tag).fork();
    writeProcessNode(w, root);
    w.join();
  }
}

/** Writes a metadata field when the dump has metadata (empty metadata is still written). */
export function writeMetadataField(w: WireWriter, tag: number, metadata: DumpMetadata | undefined): void {
  if (metadata === undefined) return;
  w.uint32(tag).fork();
  writeMetadata(w, metadata);
  w.join();
}

/** Writes repeated string values (each element, empty ones included). */
export function writeStrings(w: WireWriter, tag: number, values: readonly string[]): void {
  strings(w, tag, values);
}

/** Writes a string field unless it is empty. */
export function writeString(w: WireWriter, tag: number, value: string): void {
  str(w, tag, value);
}

/** Writes a uint64 field unless it is zero. */
export function writeUint64(w: WireWriter, tag: number, value: bigint): void {
  u64(w, tag, value);
}

/** Writes a packed repeated uint32 field unless empty. */
export function writePackedUint32(w: WireWriter, tag: number, values: readonly number[]): void {
  if (values.length === 0) return;
  w.uint32(tag).fork();
  for (const v of values) w.uint32(v);
  w.join();
}

/**
 * Runs `write` on a fresh `WireWriter` of about `capacity` bytes and returns the bytes. A value outside its wire type's
 * range (a negative or fractional uint32, a bigint beyond 64 bits, …) is a caller error and
 * becomes an `InvalidArgumentError`.
 */
export function encodeWith(what: string, capacity: number, write: (w: WireWriter) => void): Uint8Array {
  const w = new WireWriter(capacity);
  try {
    write(w);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new InvalidArgumentError(`${what}: the tree nests deeper than the runtime stack allows`, {
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError(`${what}: a value cannot be encoded: ${message}`, { cause: error });
  }
  return w.finish();
}
