import { ActivityDump } from '../dump/activity-dump.js';
import type { DumpMetadata } from '../dump/dump-metadata.js';
import { InvalidArgumentError } from '../errors.js';
import type { ImdsInfo } from '../events/activity-event.js';
import { basenameOf, type FileInfo } from '../events/file-info.js';
import type { MatchedRule } from '../events/matched-rule.js';
import type { Credentials, ProcessInfo } from '../events/process.js';
import type { CapabilityNode } from '../tree/capability-node.js';
import type { DnsNode } from '../tree/dns-node.js';
import type { FileNode } from '../tree/file-node.js';
import type { ImageTagTimes } from '../tree/image-tags.js';
import type { ImdsNode } from '../tree/imds-node.js';
import type { NetworkDeviceNode } from '../tree/network-device-node.js';
import type { OpenNode } from '../tree/open-node.js';
import type { ProcessNode } from '../tree/process-node.js';
import type { SocketNode } from '../tree/socket-node.js';
import type { SyscallNode } from '../tree/syscall-node.js';

/** Options of {@link writeJsonDump}. */
export interface WriteJsonDumpOptions {
  /**
   * Spaces per nesting level (0–10). 0 writes the whole dump on one line, as the agent stores
   * it; more lays it out like the agent's `diff` command (`"key": value`, one entry a line).
   * @default 0
   */
  indent?: number;
}

/**
 * Writes a dump as the Datadog Agent writes `.json` dumps: the protobuf-JSON form of its `SecDump`
 * message, as Go's `protojson` emits it with `EmitUnpopulated` and `UseProtoNames`.
 *
 * - Keys are the snake_case proto field names, in `.proto` declaration order, and every field is
 *   present: `""`, `0`, `false`, `[]`, `{}` for maps, `null` for an absent message (the dump's
 *   `metadata`, a file node's `file` on directories and its `open` when never opened, the IMDS
 *   `aws` section for other providers). Proto3 `optional` fields (package epoch and release) are
 *   left out when unset.
 * - 64-bit integers (times, inode, cookie64, capability masks, flow counters, open `retval`) are
 *   decimal strings; 32-bit integers are numbers. Enums are names (`"RUNTIME"`, `"NO_HASH"`);
 *   numbers without a name (generation types 3 and 4) are bare numbers.
 * - What the current agent writes and our model has no place for is written as the agent does:
 *   every `node_base` is present (`{"seen":{}}` without image tags), deprecated fields hold their
 *   zero value (`cookie`, `span_id`, `trace_id`, the legacy `syscalls` and `image_tags` lists,
 *   `first_seen` unless the node came from an old dump) and `is_pattern` is `false` (readers
 *   derive it from the name). A process's `file` and `credentials` are always messages.
 * - Unset model fields with a documented non-zero default are written with that default: a
 *   process's `tid` defaults to its pid and a file's `basename` to the last component of its path.
 * - Collections the agent keeps in Go maps (files, DNS names, IMDS events, network devices, flows)
 *   are written sorted by their key, where the agent's order is random; map fields (`rule_tags`,
 *   `node_base.seen`) are sorted by key as protojson does. Children, sockets, binds, syscalls,
 *   capabilities, rules and requests keep their order.
 * - Strings are escaped as protojson does (`\"`, `\\`, `\b\f\n\r\t`, other controls as `\u00XX`;
 *   everything else verbatim); lone UTF-16 surrogates, which have no UTF-8 form, become U+FFFD as
 *   in the agent's UTF-8 sanitising.
 * - DNS answers (resolved addresses, CNAMEs) are not written: the published schema has no field
 *   for them.
 *
 * The text is built directly, without an intermediate object graph, and deep trees do not use the
 * call stack. It is deterministic: the same dump always gives the same text.
 *
 * @param dump The dump to write.
 * @param options Layout.
 * @returns The JSON text (no trailing newline).
 * @throws {InvalidArgumentError} when `dump` is not an {@link ActivityDump}, `indent` is not an
 *   integer from 0 to 10, or a value does not fit its protobuf field (a negative or fractional
 *   32-bit count, a 64-bit value outside its range, a non-string string…); the message names the field.
 * @throws {RangeError} when the text would exceed the runtime's maximum string length (about
 *   512 MiB of text on 64-bit V8).
 */
export function writeJsonDump(dump: ActivityDump, options: WriteJsonDumpOptions = {}): string {
  if (!(dump instanceof ActivityDump)) {
    throw new InvalidArgumentError('writeJsonDump: dump must be an ActivityDump');
  }
  const indent = options.indent ?? 0;
  if (!Number.isInteger(indent) || indent < 0 || indent > 10) {
    throw new InvalidArgumentError(
      `writeJsonDump: indent must be an integer from 0 to 10, got ${String(indent)}`,
    );
  }
  const compact = new JsonDumpWriter().write(dump);
  return indent === 0 ? compact : reindent(compact, indent);
}

// ---- scalars ----------------------------------------------------------------------------------

const MAX_U64 = 0xffff_ffff_ffff_ffffn;

function invalid(field: string, expected: string, value: unknown): InvalidArgumentError {
  const shown =
    typeof value === 'bigint'
      ? `${value}n`
      : typeof value === 'string'
        ? JSON.stringify(value)
        : String(value);
  return new InvalidArgumentError(`writeJsonDump: ${field} must be ${expected}, got ${shown}`);
}

/** A uint32 field: a JSON number. */
function u32(value: number | undefined, field: string): number {
  if (value === undefined || value === null) return 0;
  if (value >>> 0 !== value) throw invalid(field, 'an integer from 0 to 4294967295', value);
  return value;
}

/** An int32 field: a JSON number. */
function i32(value: number, field: string): number {
  if ((value | 0) !== value) throw invalid(field, 'an integer from -2147483648 to 2147483647', value);
  return value;
}

/** A uint64 field: a decimal string. Safe-integer numbers are accepted too. */
function u64(value: bigint | number | undefined, field: string): string {
  if (value === undefined || value === null || value === 0n) return '"0"';
  if (typeof value === 'bigint') {
    if (value > 0n && value <= MAX_U64) return `"${value}"`;
  } else if (Number.isSafeInteger(value) && value >= 0) {
    return `"${value}"`;
  }
  throw invalid(field, 'an integer from 0 to 2^64-1', value);
}

/** A sint64 field holding a JS number: a decimal string. */
function s64(value: number, field: string): string {
  if (!Number.isSafeInteger(value)) throw invalid(field, 'a safe integer', value);
  return `"${value}"`;
}

function bool(value: boolean | undefined): string {
  return value === true ? 'true' : 'false';
}

const GENERATION_TYPE_NAMES = ['"UNKNOWN"', '"RUNTIME"', '"SNAPSHOT"'];
const HASH_STATE_NAMES = [
  '"NO_HASH"',
  '"DONE"',
  '"FILE_NOT_FOUND"',
  '"PATHNAME_RESOLUTION_ERROR"',
  '"FILE_TOO_BIG"',
  '"EVENT_TYPE_NOT_CONFIGURED"',
  '"HASH_WAS_RATE_LIMITED"',
  '"UNKNOWN_HASH_ERROR"',
];

/** An enum: its quoted name, or the bare number when the enum has no name for it. */
function enumValue(names: readonly string[], value: number | undefined, field: string): string {
  const n = value ?? 0;
  const name = names[n];
  if (name !== undefined) return name;
  return String(i32(n, field));
}

// Characters protojson escapes (", \, C0 controls) and UTF-16 surrogates (checked for pairing).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be escaped
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;
const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every lone surrogate replaced by U+FFFD. */
function toWellFormed(text: string): string {
  return SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\ufffd') : text;
}

/**
 * A JSON string literal as protojson writes it. For well-formed text `JSON.stringify` escapes
 * exactly the same characters the same way (`\"`, `\\`, `\b\f\n\r\t`, other C0 controls as
 * lowercase `\u00XX`); lone surrogates are replaced first.
 */
function quote(text: string): string {
  return NEEDS_CARE.test(text) ? JSON.stringify(toWellFormed(text)) : `"${text}"`;
}

/** A string field: a JSON string; `undefined` is `""`. */
function str(value: string | undefined, field: string): string {
  if (value === undefined || value === null || value === '') return '""';
  if (typeof value !== 'string') throw invalid(field, 'a string', value);
  return quote(value);
}

/** A repeated string field. */
function strList(values: readonly string[] | undefined, field: string): string {
  if (values === undefined || values === null || values.length === 0) return '[]';
  if (!Array.isArray(values)) throw invalid(field, 'an array of strings', values);
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += str(values[i], field);
  }
  return `${out}]`;
}

/**
 * Orders strings by code point, which is the UTF-8 byte order Go sorts map keys in (plain `<`
 * compares UTF-16 code units, which puts U+10000 and above before U+E000–U+FFFF).
 */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

/** UTF-16 order, which is code point order when neither string has a unit from U+D800 up. */
function compareUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Units from which UTF-16 order and code point order can differ.
const HIGH_UNIT = /[\ud800-\uffff]/;

// Surrogates (0xd800–0xdfff) lead code points above 0xffff, so they rank after 0xe000–0xffff.
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Sorted `[key, item]` pairs of a map-like collection, keys as written (lone surrogates
 * replaced). When two keys become equal that way, the first in the collection's order stays,
 * so the text never repeats a key.
 */
function sortedEntries<T>(entries: Iterable<[string, T]>): [string, T][] {
  const out: [string, T][] = [];
  let high = false;
  for (const [key, item] of entries) {
    const clean = toWellFormed(key);
    high ||= HIGH_UNIT.test(clean);
    out.push([clean, item]);
  }
  if (out.length < 2) return out;
  out.sort(high ? (a, b) => compareCodePoints(a[0], b[0]) : (a, b) => compareUnits(a[0], b[0]));
  let kept = 1;
  for (let i = 1; i < out.length; i++) if (out[i]![0] !== out[kept - 1]![0]) out[kept++] = out[i]!;
  out.length = kept;
  return out;
}

// ---- messages -----------------------------------------------------------------------------

const ZERO_CREDENTIALS =
  '{"uid":0,"gid":0,"user":"","group":"","effective_uid":0,"effective_gid":0,"effective_user":"",' +
  '"effective_group":"","fs_uid":0,"fs_gid":0,"fs_user":"","fs_group":"","cap_effective":"0",' +
  '"cap_permitted":"0"}';
const EMPTY_NODE_BASE = '{"seen":{}}';
const EMPTY_FILE: FileInfo = { path: '' };

function metadataJson(m: DumpMetadata): string {
  return (
    `{"agent_version":${str(m.agentVersion, 'metadata.agentVersion')}` +
    `,"agent_commit":${str(m.agentCommit, 'metadata.agentCommit')}` +
    `,"kernel_version":${str(m.kernelVersion, 'metadata.kernelVersion')}` +
    `,"linux_distribution":${str(m.linuxDistribution, 'metadata.linuxDistribution')}` +
    `,"arch":${str(m.arch, 'metadata.arch')}` +
    `,"name":${str(m.name, 'metadata.name')}` +
    `,"protobuf_version":${str(m.protobufVersion, 'metadata.protobufVersion')}` +
    `,"differentiate_args":${bool(m.differentiateArgs)}` +
    `,"comm":${str(m.comm, 'metadata.comm')}` +
    `,"container_id":${str(m.containerId, 'metadata.containerId')}` +
    `,"start":${u64(m.start, 'metadata.start')}` +
    `,"end":${u64(m.end, 'metadata.end')}` +
    `,"size":${u64(m.size, 'metadata.size')}` +
    `,"serialization":${str(m.serialization, 'metadata.serialization')}` +
    `,"cgroup_id":${str(m.cgroupId, 'metadata.cgroupId')}` +
    `,"cgroup_manager":${str(m.cgroupManager, 'metadata.cgroupManager')}}`
  );
}

function fileInfoJson(f: FileInfo): string {
  let out =
    `{"uid":${u32(f.uid, 'FileInfo.uid')}` +
    `,"user":${str(f.user, 'FileInfo.user')}` +
    `,"gid":${u32(f.gid, 'FileInfo.gid')}` +
    `,"group":${str(f.group, 'FileInfo.group')}` +
    `,"mode":${u32(f.mode, 'FileInfo.mode')}` +
    `,"ctime":${u64(f.ctime, 'FileInfo.ctime')}` +
    `,"mtime":${u64(f.mtime, 'FileInfo.mtime')}` +
    `,"mount_id":${u32(f.mountId, 'FileInfo.mountId')}` +
    `,"inode":${u64(f.inode, 'FileInfo.inode')}` +
    `,"in_upper_layer":${bool(f.inUpperLayer)}` +
    `,"path":${str(f.path, 'FileInfo.path')}` +
    `,"basename":${str(f.basename ?? basenameOf(f.path ?? ''), 'FileInfo.basename')}` +
    `,"filesystem":${str(f.filesystem, 'FileInfo.filesystem')}` +
    `,"package_name":${str(f.packageName, 'FileInfo.packageName')}` +
    `,"package_version":${str(f.packageVersion, 'FileInfo.packageVersion')}`;
  // proto3 `optional`: present only when set.
  if (f.packageEpoch !== undefined && f.packageEpoch !== null) {
    out += `,"package_epoch":${u32(f.packageEpoch, 'FileInfo.packageEpoch')}`;
  }
  if (f.packageRelease !== undefined && f.packageRelease !== null) {
    out += `,"package_release":${str(f.packageRelease, 'FileInfo.packageRelease')}`;
  }
  out += `,"package_src_version":${str(f.packageSrcVersion, 'FileInfo.packageSrcVersion')}`;
  if (f.packageSrcEpoch !== undefined && f.packageSrcEpoch !== null) {
    out += `,"package_src_epoch":${u32(f.packageSrcEpoch, 'FileInfo.packageSrcEpoch')}`;
  }
  if (f.packageSrcRelease !== undefined && f.packageSrcRelease !== null) {
    out += `,"package_src_release":${str(f.packageSrcRelease, 'FileInfo.packageSrcRelease')}`;
  }
  return (
    `${out},"hashes":${strList(f.hashes, 'FileInfo.hashes')}` +
    `,"hash_state":${enumValue(HASH_STATE_NAMES, f.hashState, 'FileInfo.hashState')}}`
  );
}

function credentialsJson(c: Credentials | undefined): string {
  if (c === undefined || c === null) return ZERO_CREDENTIALS;
  return (
    `{"uid":${u32(c.uid, 'Credentials.uid')}` +
    `,"gid":${u32(c.gid, 'Credentials.gid')}` +
    `,"user":${str(c.user, 'Credentials.user')}` +
    `,"group":${str(c.group, 'Credentials.group')}` +
    `,"effective_uid":${u32(c.effectiveUid, 'Credentials.effectiveUid')}` +
    `,"effective_gid":${u32(c.effectiveGid, 'Credentials.effectiveGid')}` +
    `,"effective_user":${str(c.effectiveUser, 'Credentials.effectiveUser')}` +
    `,"effective_group":${str(c.effectiveGroup, 'Credentials.effectiveGroup')}` +
    `,"fs_uid":${u32(c.fsUid, 'Credentials.fsUid')}` +
    `,"fs_gid":${u32(c.fsGid, 'Credentials.fsGid')}` +
    `,"fs_user":${str(c.fsUser, 'Credentials.fsUser')}` +
    `,"fs_group":${str(c.fsGroup, 'Credentials.fsGroup')}` +
    `,"cap_effective":${u64(c.capEffective, 'Credentials.capEffective')}` +
    `,"cap_permitted":${u64(c.capPermitted, 'Credentials.capPermitted')}}`
  );
}

function processInfoJson(p: ProcessInfo): string {
  // The agent always has a tid; the model's default is the pid.
  const tid = p.tid ?? p.pid;
  return (
    `{"pid":${u32(p.pid, 'ProcessInfo.pid')}` +
    `,"tid":${u32(tid, 'ProcessInfo.tid')}` +
    `,"ppid":${u32(p.ppid, 'ProcessInfo.ppid')}` +
    ',"cookie":0' + // deprecated 32-bit cookie: current agents write cookie64 only
    `,"is_thread":${bool(p.isThread)}` +
    `,"file":${fileInfoJson(p.file ?? EMPTY_FILE)}` +
    `,"container_id":${str(p.containerId, 'ProcessInfo.containerId')}` +
    ',"span_id":"0","trace_id":"0"' + // deprecated, no longer set by the agent
    `,"tty":${str(p.tty, 'ProcessInfo.tty')}` +
    `,"comm":${str(p.comm, 'ProcessInfo.comm')}` +
    `,"fork_time":${u64(p.forkTime, 'ProcessInfo.forkTime')}` +
    `,"exit_time":${u64(p.exitTime, 'ProcessInfo.exitTime')}` +
    `,"exec_time":${u64(p.execTime, 'ProcessInfo.execTime')}` +
    `,"credentials":${credentialsJson(p.credentials)}` +
    `,"args":${strList(p.args, 'ProcessInfo.args')}` +
    `,"argv0":${str(p.argv0, 'ProcessInfo.argv0')}` +
    `,"args_truncated":${bool(p.argsTruncated)}` +
    `,"envs":${strList(p.envs, 'ProcessInfo.envs')}` +
    `,"envs_truncated":${bool(p.envsTruncated)}` +
    `,"is_exec_child":${bool(p.isExecExec)}` +
    `,"cookie64":${u64(p.cookie, 'ProcessInfo.cookie')}}`
  );
}

function matchedRulesJson(rules: readonly MatchedRule[] | undefined): string {
  if (rules === undefined || rules === null || rules.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (i > 0) out += ',';
    out +=
      `{"rule_id":${str(r.ruleId, 'MatchedRule.ruleId')}` +
      `,"rule_version":${str(r.ruleVersion, 'MatchedRule.ruleVersion')}` +
      `,"policy_name":${str(r.policyName, 'MatchedRule.policyName')}` +
      `,"policy_version":${str(r.policyVersion, 'MatchedRule.policyVersion')}` +
      `,"rule_tags":${ruleTagsJson(r.ruleTags)}}`;
  }
  return `${out}]`;
}

function ruleTagsJson(tags: Record<string, string> | undefined): string {
  if (tags === undefined || tags === null) return '{}';
  const entries = sortedEntries(Object.entries(tags));
  let out = '{';
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i]!;
    if (i > 0) out += ',';
    out += `${quote(key)}:${str(value, 'MatchedRule.ruleTags')}`;
  }
  return `${out}}`;
}

/** `node_base`: the image tags and their times; `{"seen":{}}` without tags, as the agent writes. */
function nodeBaseJson(tags: readonly ImageTagTimes[] | undefined): string {
  if (tags === undefined || tags === null || tags.length === 0) return EMPTY_NODE_BASE;
  const entries =
    tags.length === 1
      ? [[toWellFormed(tags[0]!.tag), tags[0]!] as const]
      : sortedEntries(tags.map((t) => [t.tag, t]));
  let out = '{"seen":{';
  for (let i = 0; i < entries.length; i++) {
    const [tag, times] = entries[i]!;
    if (i > 0) out += ',';
    out +=
      `${quote(tag)}:{"first_seen":${u64(times.firstSeen, 'ImageTagTimes.firstSeen')}` +
      `,"last_seen":${u64(times.lastSeen, 'ImageTagTimes.lastSeen')}}`;
  }
  return `${out}}}`;
}

function openJson(open: OpenNode | undefined): string {
  if (open === undefined || open === null) return 'null';
  return (
    `{"retval":${s64(open.retval, 'OpenNode.retval')}` +
    `,"flags":${u32(open.flags, 'OpenNode.flags')}` +
    `,"mode":${u32(open.mode, 'OpenNode.mode')}}`
  );
}

function dnsNodeJson(node: DnsNode): string {
  let out =
    `{"matched_rules":${matchedRulesJson(node.matchedRules)}` +
    `,"image_tags":[],"node_base":${nodeBaseJson(node.imageTags)},"requests":[`;
  const requests = node.requests;
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i]!;
    if (i > 0) out += ',';
    out +=
      `{"name":${str(r.name, 'DNSInfo.name')}` +
      `,"type":${u32(r.type, 'DNSInfo.type')}` +
      `,"class":${u32(r.class, 'DNSInfo.class')}` +
      `,"size":${u32(r.size, 'DNSInfo.size')}` +
      `,"count":${u32(r.count, 'DNSInfo.count')}}`;
  }
  return `${out}]}`;
}

function socketJson(socket: SocketNode): string {
  let out = `{"family":${str(socket.family, 'SocketNode.family')},"bind":[`;
  const binds = socket.binds;
  for (let i = 0; i < binds.length; i++) {
    const b = binds[i]!;
    if (i > 0) out += ',';
    out +=
      `{"matched_rules":${matchedRulesJson(b.matchedRules)}` +
      `,"image_tags":[],"node_base":${nodeBaseJson(b.imageTags)}` +
      `,"port":${u32(b.port, 'BindNode.port')}` +
      `,"ip":${str(b.ip, 'BindNode.ip')}` +
      `,"protocol":${u32(b.protocol, 'BindNode.protocol')}}`;
  }
  return `${out}]}`;
}

function imdsEventJson(e: ImdsInfo): string {
  let aws = 'null';
  // As the agent: the AWS section exists exactly for the `aws` provider, credentials included.
  if (e.cloudProvider === 'aws') {
    const c = e.aws?.securityCredentials;
    aws =
      `{"is_imds_v2":${bool(e.aws?.isImdsV2)}` +
      `,"security_credentials":{"code":${str(c?.code, 'AWSSecurityCredentials.code')}` +
      `,"type":${str(c?.type, 'AWSSecurityCredentials.type')}` +
      `,"access_key_id":${str(c?.accessKeyId, 'AWSSecurityCredentials.accessKeyId')}` +
      `,"last_updated":${str(c?.lastUpdated, 'AWSSecurityCredentials.lastUpdated')}` +
      `,"expiration_raw":${str(c?.expirationRaw, 'AWSSecurityCredentials.expirationRaw')}}}`;
  }
  return (
    `{"type":${str(e.type, 'IMDSEvent.type')}` +
    `,"cloud_provider":${str(e.cloudProvider, 'IMDSEvent.cloudProvider')}` +
    `,"url":${str(e.url, 'IMDSEvent.url')}` +
    `,"host":${str(e.host, 'IMDSEvent.host')}` +
    `,"user_agent":${str(e.userAgent, 'IMDSEvent.userAgent')}` +
    `,"server":${str(e.server, 'IMDSEvent.server')}` +
    `,"aws":${aws}}`
  );
}

function imdsNodeJson(node: ImdsNode): string {
  return (
    `{"matched_rules":${matchedRulesJson(node.matchedRules)}` +
    `,"image_tags":[],"node_base":${nodeBaseJson(node.imageTags)}` +
    `,"event":${imdsEventJson(node.event)}}`
  );
}

function syscallNodeJson(node: SyscallNode): string {
  return `{"image_tags":[],"node_base":${nodeBaseJson(node.imageTags)},"syscall":${i32(node.syscall, 'SyscallNode.syscall')}}`;
}

function capabilityNodeJson(node: CapabilityNode): string {
  return (
    `{"node_base":${nodeBaseJson(node.imageTags)}` +
    `,"capability":${u64(node.capability, 'CapabilityNode.capability')}` +
    `,"is_capable":${bool(node.capable)}}`
  );
}

function networkDeviceJson(node: NetworkDeviceNode): string {
  const d = node.device;
  let out =
    `{"matched_rules":${matchedRulesJson(node.matchedRules)}` +
    `,"netns":${u32(d.netns, 'NetworkDeviceNode.netns')}` +
    `,"ifindex":${u32(d.ifindex, 'NetworkDeviceNode.ifindex')}` +
    `,"ifname":${str(d.ifname, 'NetworkDeviceNode.ifname')},"flow_nodes":[`;
  const flows = sortedEntries(node.flows);
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i]![1];
    if (i > 0) out += ',';
    out +=
      `{"image_tags":[],"node_base":${nodeBaseJson(f.imageTags)}` +
      `,"source":{"ip":${str(f.source.ip, 'IPPortContext.ip')},"port":${u32(f.source.port, 'IPPortContext.port')}}` +
      `,"destination":{"ip":${str(f.destination.ip, 'IPPortContext.ip')}` +
      `,"port":${u32(f.destination.port, 'IPPortContext.port')}}` +
      `,"l3_protocol":${u32(f.l3Protocol, 'FlowNode.l3Protocol')}` +
      `,"l4_protocol":${u32(f.l4Protocol, 'FlowNode.l4Protocol')}` +
      `,"ingress":{"data_size":${u64(f.ingress.dataSize, 'NetworkStats.dataSize')}` +
      `,"packet_count":${u64(f.ingress.packetCount, 'NetworkStats.packetCount')}}` +
      `,"egress":{"data_size":${u64(f.egress.dataSize, 'NetworkStats.dataSize')}` +
      `,"packet_count":${u64(f.egress.packetCount, 'NetworkStats.packetCount')}}}`;
  }
  return `${out}]}`;
}

/** A process node's fields after `files`, from `dns_names` to `capability_nodes`. */
function processTailJson(node: ProcessNode): string {
  let out = '"dns_names":[';
  const dns = sortedEntries(node.dnsNames);
  for (let i = 0; i < dns.length; i++) {
    if (i > 0) out += ',';
    out += dnsNodeJson(dns[i]![1]);
  }
  out += '],"sockets":[';
  const sockets = node.sockets;
  for (let i = 0; i < sockets.length; i++) {
    if (i > 0) out += ',';
    out += socketJson(sockets[i]!);
  }
  out += `],"syscalls":[],"image_tags":[],"node_base":${nodeBaseJson(node.imageTags)},"imds_events":[`;
  const imds = sortedEntries(node.imdsEvents);
  for (let i = 0; i < imds.length; i++) {
    if (i > 0) out += ',';
    out += imdsNodeJson(imds[i]![1]);
  }
  out += '],"syscall_nodes":[';
  const syscalls = node.syscalls;
  for (let i = 0; i < syscalls.length; i++) {
    if (i > 0) out += ',';
    out += syscallNodeJson(syscalls[i]!);
  }
  out += '],"network_devices":[';
  const devices = sortedEntries(node.networkDevices);
  for (let i = 0; i < devices.length; i++) {
    if (i > 0) out += ',';
    out += networkDeviceJson(devices[i]![1]);
  }
  out += '],"capability_nodes":[';
  const capabilities = node.capabilities;
  for (let i = 0; i < capabilities.length; i++) {
    if (i > 0) out += ',';
    out += capabilityNodeJson(capabilities[i]!);
  }
  return `${out}]`;
}

function byName(a: FileNode, b: FileNode): number {
  return compareCodePoints(a.name, b.name);
}

function byNameUnits(a: FileNode, b: FileNode): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** File nodes sorted by name in code point order (a copy: the node's own list is kept as is). */
function sortedFiles(files: readonly FileNode[]): FileNode[] {
  const out = files.slice();
  if (out.length < 2) return out;
  let high = false;
  for (let i = 0; i < out.length && !high; i++) high = HIGH_UNIT.test(out[i]!.name);
  out.sort(high ? byName : byNameUnits);
  return out;
}

// ---- the tree walk ------------------------------------------------------------------------

const PROCESS_CHILDREN = 0;
const PROCESS_FILES = 1;
const FILE_CHILDREN = 2;

/** An open JSON array of child nodes: which node it belongs to, its items and the next one. */
interface Frame {
  kind: typeof PROCESS_CHILDREN | typeof PROCESS_FILES | typeof FILE_CHILDREN;
  process: ProcessNode | undefined;
  items: readonly ProcessNode[] | readonly FileNode[];
  next: number;
}

// Text is gathered in a string until it is this long, then flattened and set aside: a single
// ever-growing concatenation would keep millions of small rope pieces alive until the end.
const CHUNK_LENGTH = 1 << 14;

class JsonDumpWriter {
  private out = '';
  private readonly chunks: string[] = [];
  private readonly stack: Frame[] = [];

  write(dump: ActivityDump): string {
    this.out =
      `{"host":${str(dump.host, 'host')}` +
      `,"service":${str(dump.service, 'service')}` +
      `,"source":${str(dump.source, 'source')}` +
      `,"metadata":${dump.metadata === undefined || dump.metadata === null ? 'null' : metadataJson(dump.metadata)}` +
      `,"tags":${strList(dump.tags, 'tags')},"tree":[`;
    const roots = dump.tree.roots;
    for (let i = 0; i < roots.length; i++) {
      if (i > 0) this.out += ',';
      this.writeProcessTree(roots[i]!);
    }
    this.chunks.push(`${this.out}]}`);
    this.out = '';
    const text = this.chunks.join('');
    this.chunks.length = 0;
    return text;
  }

  /** Sets the gathered text aside once it is long enough. */
  private flushIfLong(): void {
    const out = this.out;
    if (out.length < CHUNK_LENGTH) return;
    out.charCodeAt(0); // flattens the rope, so its pieces can be collected young
    this.chunks.push(out);
    this.out = '';
  }

  /** Writes a process node and everything below it, with an explicit stack instead of recursion. */
  private writeProcessTree(root: ProcessNode): void {
    const stack = this.stack;
    this.openProcess(root);
    while (stack.length > 0) {
      this.flushIfLong();
      const frame = stack[stack.length - 1]!;
      if (frame.next < frame.items.length) {
        const item = frame.items[frame.next++]!;
        if (frame.next > 1) this.out += ',';
        if (frame.kind === PROCESS_CHILDREN) this.openProcess(item as ProcessNode);
        else this.openFile(item as FileNode);
        continue;
      }
      stack.pop();
      if (frame.kind === FILE_CHILDREN) {
        this.out += ']}';
      } else if (frame.kind === PROCESS_CHILDREN) {
        const process = frame.process!;
        this.out += '],"files":[';
        stack.push({ kind: PROCESS_FILES, process, items: sortedFiles(process.files), next: 0 });
      } else {
        this.out += `],${processTailJson(frame.process!)}}`;
      }
    }
  }

  /** Writes a process node up to its open `children` array and pushes that array. */
  private openProcess(node: ProcessNode): void {
    this.out +=
      `{"process":${processInfoJson(node.process)}` +
      `,"generation_type":${enumValue(GENERATION_TYPE_NAMES, node.generationType, 'ProcessNode.generationType')}` +
      `,"matched_rules":${matchedRulesJson(node.matchedRules)},"children":[`;
    this.stack.push({ kind: PROCESS_CHILDREN, process: node, items: node.children, next: 0 });
  }

  /** Writes a file node; when it has children, up to its open `children` array, pushed. */
  private openFile(node: FileNode): void {
    this.out +=
      `{"matched_rules":${matchedRulesJson(node.matchedRules)}` +
      `,"image_tags":[],"node_base":${nodeBaseJson(node.imageTags)}` +
      `,"name":${str(node.name, 'FileNode.name')},"is_pattern":false` +
      `,"file":${node.hasFile ? fileInfoJson(node.file!) : 'null'}` +
      `,"generation_type":${enumValue(GENERATION_TYPE_NAMES, node.generationType, 'FileNode.generationType')}` +
      `,"first_seen":${u64(node.firstSeen, 'FileNode.firstSeen')}` +
      `,"open":${openJson(node.open)},"children":[`;
    if (node.childCount === 0) {
      this.out += ']}';
      return;
    }
    this.stack.push({ kind: FILE_CHILDREN, process: undefined, items: sortedFiles(node.children), next: 0 });
  }
}

// ---- layout -------------------------------------------------------------------------------

/**
 * Lays out compact JSON (no whitespace outside strings, as {@link JsonDumpWriter} writes it) with
 * `indent` spaces per level: `"key": value`, one member or element a line, `{}`/`[]` when empty.
 */
function reindent(text: string, indent: number): string {
  const pads = [''];
  const pad = (depth: number): string => {
    while (pads.length <= depth) pads.push(' '.repeat(indent * pads.length));
    return pads[depth]!;
  };
  const chunks: string[] = [];
  let out = '';
  let depth = 0;
  let from = 0; // start of the run of text not yet copied
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x22 /* " */:
        {
          // Skip the string: its closing quote is the first one not escaped.
          let j = i + 1;
          for (;;) {
            const q = text.indexOf('"', j);
            let backslashes = 0;
            while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
            if (backslashes % 2 === 0) {
              i = q;
              break;
            }
            j = q + 1;
          }
          continue;
        }
      case 0x7b /* { */:
      case 0x5b /* [ */:
        {
          const next = text.charCodeAt(i + 1);
          if (next === 0x7d /* } */ || next === 0x5d /* ] */) {
            i++;
            continue;
          }
          out += `${text.slice(from, i + 1)}\n${pad(++depth)}`;
          from = i + 1;
          break;
        }
      case 0x7d /* } */:
      case 0x5d /* ] */:
        out += `${text.slice(from, i)}\n${pad(--depth)}`;
        from = i;
        break;
      case 0x2c /* , */:
        out += `${text.slice(from, i)},\n${pad(depth)}`;
        from = i + 1;
        break;
      case 0x3a /* : */:
        out += `${text.slice(from, i)}: `;
        from = i + 1;
        break;
      default:
        continue;
    }
    if (out.length >= CHUNK_LENGTH) {
      out.charCodeAt(0); // flatten, as in JsonDumpWriter
      chunks.push(out);
      out = '';
    }
  }
  chunks.push(out + text.slice(from));
  return chunks.join('');
}
