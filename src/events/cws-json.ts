import { EventParseError } from '../errors.js';
import type {
  ActivityEvent,
  AwsSecurityCredentials,
  EventBase,
  EventType,
  FlowStats,
  ImdsInfo,
  IpPort,
  NetworkFlow,
  NetworkFlowEvent,
} from './activity-event.js';
import {
  CAPABILITY_BITS,
  DNS_QCLASSES,
  DNS_QTYPES,
  HASH_STATES,
  L3_PROTOCOLS,
  L4_PROTOCOLS,
  OPEN_FLAGS,
} from './cws-fields.js';
import { type FileInfo, HashState } from './file-info.js';
import type { MatchedRule } from './matched-rule.js';
import type { Credentials, ProcessContext, ProcessInfo } from './process.js';

type JsonObject = { readonly [key: string]: unknown };

const U16_MAX = 0xffff;
const U32_MAX = 0xffff_ffff;
const I32_MAX = 0x7fff_ffff;
const U64_MAX = (1n << 64n) - 1n;
const NS_PER_SECOND = 1_000_000_000n;

/** `evt.name` values the agent writes → the library's event types. */
const EVENT_NAMES: ReadonlyMap<string, EventType> = new Map([
  ['exec', 'exec'],
  ['fork', 'fork'],
  ['exit', 'exit'],
  ['open', 'open'],
  ['dns', 'dns'],
  ['bind', 'bind'],
  ['imds', 'imds'],
  ['syscalls', 'syscalls'],
  ['capabilities', 'capabilities'],
  ['network_flow_monitor', 'network_flow'],
]);

/**
 * Converts one Datadog CWS event, as serialized to JSON by the Datadog Agent, into an
 * {@link ActivityEvent}.
 *
 * Supported `evt.name` values: `exec`, `fork`, `exit`, `open`, `dns` (flat and `question` shapes),
 * `bind`, `imds`, `syscalls`, `capabilities` and `network_flow_monitor` (→ `network_flow`).
 * Unknown extra fields are ignored and JSON `null` counts as an absent field; the input is never
 * modified. Times become exact nanoseconds since the Unix epoch, Go's zero time becoming `0n`.
 *
 * @param json - The event as JSON text, or as an already-parsed value.
 * @returns The event, with optional fields set only when the JSON carries them.
 * @throws {@link EventParseError} for any input that is not such an event (JSON syntax errors
 *   included); `field` is the JSON path of the offending field, such as `process.ancestors[1].pid`,
 *   or `$` for the whole document.
 */
export function parseCwsEvent(json: unknown): ActivityEvent {
  try {
    return parseEvent(typeof json === 'string' ? parseText(json) : json);
  } catch (err) {
    if (err instanceof EventParseError) throw err;
    // Only exotic pre-parsed values get here (a Proxy or a getter that throws): keep the typed contract.
    throw new EventParseError('$', 'the input cannot be read as JSON data');
  }
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail('', `invalid JSON: ${err instanceof Error ? err.message : 'syntax error'}`);
  }
}

function parseEvent(root: unknown): ActivityEvent {
  if (!isObject(root)) return fail('', `expected a JSON object, got ${describe(root)}`);
  const evt = reqObject(root, 'evt', '');
  const name = reqString(evt, 'name', 'evt');
  const type = EVENT_NAMES.get(name) ?? fail('evt.name', `unsupported event type ${describe(name)}`);
  const outcome = optString(evt, 'outcome', 'evt');
  const base: EventBase = {
    process: parseProcessContext(root),
    timestamp: optTime(root, 'date', ''),
    matchedRules: parseMatchedRules(evt),
  };
  switch (type) {
    case 'exec':
    case 'fork':
      return compact({ type, ...base });
    case 'exit':
      return compact({ type, ...base, exit: parseExit(root) });
    case 'open':
      return compact({ type, ...base, ...parseOpen(root, outcome) });
    case 'dns':
      return compact({ type, ...base, dns: parseDns(reqObject(root, 'dns', '')) });
    case 'bind':
      return compact({ type, ...base, bind: parseBind(root, outcome) });
    case 'imds':
      return compact({ type, ...base, imds: parseImds(reqObject(root, 'imds', '')) });
    case 'syscalls':
      return compact({ type, ...base, syscalls: parseSyscalls(root) });
    case 'capabilities':
      return compact({ type, ...base, ...parseCapabilities(root) });
    case 'network_flow':
      return compact({ type, ...base, ...parseNetworkFlows(reqObject(root, 'network_flow_monitor', '')) });
  }
}

// ---------------------------------------------------------------------------------------------
// Process context

interface ScopeIds {
  containerId?: string | undefined;
  cgroupId?: string | undefined;
  cgroupManager?: string | undefined;
}

function parseProcessContext(root: JsonObject): ProcessContext {
  const p = reqObject(root, 'process', '');
  // The event-level container and cgroup describe the event's own process only.
  const container = optObject(root, 'container', '');
  const cgroup = optObject(root, 'cgroup', '');
  const subject = parseProcess(p, 'process', {
    containerId: container && optString(container, 'id', 'container'),
    cgroupId: cgroup && optString(cgroup, 'id', 'cgroup'),
    cgroupManager: cgroup && optString(cgroup, 'manager', 'cgroup'),
  });
  const parentObject = optObject(p, 'parent', 'process');
  const parent = parentObject && parseProcess(parentObject, 'process.parent');
  const ancestors = mapArray(p, 'ancestors', 'process', (item, path) =>
    parseProcess(asObject(item, path), path),
  );

  let lineage: ProcessInfo[] | undefined;
  if (ancestors !== undefined && ancestors.length > 0) {
    lineage = ancestors;
    // The agent drops the middle of over-long lineages, keeping ceil(n/2) entries before the gap.
    if (optBool(p, 'truncated_ancestors', 'process') === true && ancestors.length > 1) {
      const last = Math.ceil(ancestors.length / 2) - 1;
      lineage[last] = { ...ancestors[last]!, isParentMissing: true };
    }
  } else if (parent !== undefined) {
    // A parent without ancestors means the agent could not walk the lineage any further.
    lineage = [{ ...parent, isParentMissing: true }];
  }
  return compact({ ...subject, ancestors: lineage });
}

function parseProcess(o: JsonObject, base: string, scope: ScopeIds = {}): ProcessInfo {
  const container = optObject(o, 'container', base);
  const cgroup = optObject(o, 'cgroup', base);
  return compact({
    pid: reqInt(o, 'pid', base, 1, U32_MAX),
    tid: optInt(o, 'tid', base, 0, U32_MAX),
    ppid: optInt(o, 'ppid', base, 0, U32_MAX),
    isThread: optBool(o, 'is_thread', base),
    file: parseFile(reqObject(o, 'executable', base), at(base, 'executable')),
    containerId: (container && optString(container, 'id', at(base, 'container'))) ?? scope.containerId,
    cgroupId: (cgroup && optString(cgroup, 'id', at(base, 'cgroup'))) ?? scope.cgroupId,
    cgroupManager: (cgroup && optString(cgroup, 'manager', at(base, 'cgroup'))) ?? scope.cgroupManager,
    tty: optString(o, 'tty', base),
    comm: optString(o, 'comm', base),
    forkTime: optTime(o, 'fork_time', base),
    execTime: optTime(o, 'exec_time', base),
    exitTime: optTime(o, 'exit_time', base),
    credentials: parseCredentials(o, base),
    argv0: optString(o, 'argv0', base),
    args: optStringArray(o, 'args', base),
    argsTruncated: optBool(o, 'args_truncated', base),
    envs: optStringArray(o, 'envs', base),
    envsTruncated: optBool(o, 'envs_truncated', base),
    isExecExec: optBool(o, 'is_exec_child', base),
  });
}

function parseCredentials(process: JsonObject, base: string): Credentials | undefined {
  // Process-level uid/gid/user/group are the agent's legacy copies of the real ids.
  const legacy = compact<Credentials>({
    uid: optInt(process, 'uid', base, 0, U32_MAX),
    gid: optInt(process, 'gid', base, 0, U32_MAX),
    user: optString(process, 'user', base),
    group: optString(process, 'group', base),
  });
  const c = optObject(process, 'credentials', base);
  if (c === undefined) return Object.keys(legacy).length > 0 ? legacy : undefined;
  const path = at(base, 'credentials');
  return compact({
    uid: optInt(c, 'uid', path, 0, U32_MAX) ?? legacy.uid,
    gid: optInt(c, 'gid', path, 0, U32_MAX) ?? legacy.gid,
    user: optString(c, 'user', path) ?? legacy.user,
    group: optString(c, 'group', path) ?? legacy.group,
    effectiveUid: optInt(c, 'euid', path, 0, U32_MAX),
    effectiveGid: optInt(c, 'egid', path, 0, U32_MAX),
    effectiveUser: optString(c, 'euser', path),
    effectiveGroup: optString(c, 'egroup', path),
    fsUid: optInt(c, 'fsuid', path, 0, U32_MAX),
    fsGid: optInt(c, 'fsgid', path, 0, U32_MAX),
    fsUser: optString(c, 'fsuser', path),
    fsGroup: optString(c, 'fsgroup', path),
    capEffective: optCapabilities(c, 'cap_effective', path),
    capPermitted: optCapabilities(c, 'cap_permitted', path),
  });
}

function parseFile(o: JsonObject, base: string): FileInfo {
  const path = reqString(o, 'path', base);
  if (path === '') fail(at(base, 'path'), 'must not be empty');
  return compact({
    path,
    basename: optString(o, 'name', base),
    inode: optU64(o, 'inode', base),
    mountId: optInt(o, 'mount_id', base, 0, U32_MAX),
    mode: optInt(o, 'mode', base, 0, U32_MAX),
    uid: optInt(o, 'uid', base, 0, U32_MAX),
    gid: optInt(o, 'gid', base, 0, U32_MAX),
    user: optString(o, 'user', base),
    group: optString(o, 'group', base),
    ctime: optTime(o, 'change_time', base),
    mtime: optTime(o, 'modification_time', base),
    filesystem: optString(o, 'filesystem', base),
    inUpperLayer: optBool(o, 'in_upper_layer', base),
    packageName: optString(o, 'package_name', base),
    packageVersion: optString(o, 'package_version', base),
    packageSrcVersion: optString(o, 'package_source_version', base),
    packageEpoch: optInt(o, 'package_epoch', base, 0, I32_MAX),
    packageRelease: optString(o, 'package_release', base),
    packageSrcEpoch: optInt(o, 'package_source_epoch', base, 0, I32_MAX),
    packageSrcRelease: optString(o, 'package_source_release', base),
    hashes: optStringArray(o, 'hashes', base),
    hashState: optHashState(o, 'hash_state', base),
  });
}

function optHashState(o: JsonObject, key: string, base: string): number | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  if (typeof v === 'number') return checkInt(v, at(base, key), 0, I32_MAX);
  if (typeof v !== 'string') return fail(at(base, key), `expected a hash state name, got ${describe(v)}`);
  return HASH_STATES.get(v) ?? HashState.UNKNOWN_HASH_ERROR;
}

function parseMatchedRules(evt: JsonObject): MatchedRule[] | undefined {
  return mapArray(evt, 'matched_rules', 'evt', (item, path) => {
    const rule = asObject(item, path);
    const ruleId = reqString(rule, 'id', path);
    if (ruleId === '') fail(at(path, 'id'), 'must not be empty');
    const tags = optStringArray(rule, 'tags', path);
    return compact({
      ruleId,
      ruleVersion: optString(rule, 'version', path),
      policyName: optString(rule, 'policy_name', path),
      policyVersion: optString(rule, 'policy_version', path),
      // The agent flattens the tag map into `name:value` strings.
      ruleTags: tags && Object.fromEntries(tags.map((tag) => splitTag(tag))),
    });
  });
}

function splitTag(tag: string): [string, string] {
  const colon = tag.indexOf(':');
  return colon < 0 ? [tag, ''] : [tag.slice(0, colon), tag.slice(colon + 1)];
}

// ---------------------------------------------------------------------------------------------
// Event payloads

function parseExit(root: JsonObject): { cause?: string; code?: number } | undefined {
  const e = optObject(root, 'exit', '');
  return e && compact({ cause: optString(e, 'cause', 'exit'), code: optInt(e, 'code', 'exit', 0, U32_MAX) });
}

function parseOpen(root: JsonObject, outcome: string | undefined) {
  const f = reqObject(root, 'file', '');
  const destination = optObject(f, 'destination', 'file');
  const syscall = optObject(root, 'syscall', '');
  // `syscall.open` holds the raw syscall arguments when the agent resolved them.
  const args = syscall && optObject(syscall, 'open', 'syscall');
  return {
    file: parseFile(f, 'file'),
    flags: optOpenFlags(f, 'flags', 'file') ?? (args && optInt(args, 'flags', 'syscall.open', 0, U32_MAX)),
    // The agent writes the creation mode as `file.destination.mode`, and only with O_CREAT.
    mode:
      (destination && optInt(destination, 'mode', 'file.destination', 0, U32_MAX)) ??
      (args && optInt(args, 'mode', 'syscall.open', 0, U32_MAX)),
    retval: parseRetval(root, syscall, outcome),
  };
}

/**
 * The syscall return value: `syscall.retval` or `retval` when present. The agent itself writes only
 * `evt.outcome`, so a failed outcome (`Refused`, `Error`) yields -1: a failure of unknown errno.
 */
function parseRetval(root: JsonObject, syscall: JsonObject | undefined, outcome: string | undefined) {
  const safe = Number.MAX_SAFE_INTEGER;
  const explicit =
    (syscall && optInt(syscall, 'retval', 'syscall', -safe, safe)) ?? optInt(root, 'retval', '', -safe, safe);
  if (explicit !== undefined) return explicit;
  return outcome === 'Refused' || outcome === 'Error' ? -1 : undefined;
}

function parseDns(d: JsonObject) {
  const id = optInt(d, 'id', 'dns', 0, U16_MAX);
  const question = optObject(d, 'question', 'dns');
  if (question === undefined) {
    // The older flat shape: qtype/qclass/qdcount next to the name.
    return compact({
      name: reqString(d, 'name', 'dns'),
      type: optDnsCode(d, 'qtype', 'dns', DNS_QTYPES, 'qtype'),
      class: optDnsCode(d, 'qclass', 'dns', DNS_QCLASSES, 'qclass'),
      count: optInt(d, 'qdcount', 'dns', 0, U16_MAX),
      id,
    });
  }
  const q = 'dns.question';
  const response = optObject(d, 'response', 'dns');
  // Type-checked only: the model has no field for the response code.
  if (response !== undefined) optInt(response, 'code', 'dns.response', 0, U16_MAX);
  const isQuery = optBool(d, 'is_query', 'dns');
  return compact({
    name: reqString(question, 'name', q),
    type: optDnsCode(question, 'type', q, DNS_QTYPES, 'qtype'),
    class: optDnsCode(question, 'class', q, DNS_QCLASSES, 'qclass'),
    size: optInt(question, 'size', q, 0, U16_MAX),
    count: optInt(question, 'count', q, 0, U16_MAX),
    id,
    // The agent reports only the response code, not the answers.
    response: response !== undefined || isQuery === false ? {} : undefined,
  });
}

/** A DNS type or class: a name from `table`, the agent's `qtype(N)` fallback spelling, or a number. */
function optDnsCode(
  o: JsonObject,
  key: string,
  base: string,
  table: ReadonlyMap<string, number>,
  fallbackPrefix: string,
): number | undefined {
  const v = get(o, key);
  const path = at(base, key);
  if (v === undefined) return undefined;
  if (typeof v === 'number') return checkInt(v, path, 0, U16_MAX);
  if (typeof v === 'string') {
    const known = table.get(v);
    if (known !== undefined) return known;
    const match = new RegExp(`^${fallbackPrefix}\\((\\d{1,5})\\)$`).exec(v);
    if (match) return checkInt(Number(match[1]), path, 0, U16_MAX);
  }
  return fail(path, `unknown DNS ${fallbackPrefix} ${describe(v)}`);
}

function parseBind(root: JsonObject, outcome: string | undefined) {
  const b = reqObject(root, 'bind', '');
  const addr = reqObject(b, 'addr', 'bind');
  const syscall = optObject(root, 'syscall', '');
  return compact({
    family: reqString(addr, 'family', 'bind.addr'),
    ip: reqString(addr, 'ip', 'bind.addr'),
    port: reqInt(addr, 'port', 'bind.addr', 0, U16_MAX),
    // Current agents write `bind.protocol`; the test schema has it in `bind.addr`.
    protocol:
      optTableCode(b, 'protocol', 'bind', L4_PROTOCOLS, 'IP protocol', 255) ??
      optTableCode(addr, 'protocol', 'bind.addr', L4_PROTOCOLS, 'IP protocol', 255),
    retval: parseRetval(root, syscall, outcome),
  });
}

function parseImds(m: JsonObject): ImdsInfo {
  const cloudProvider = optString(m, 'cloud_provider', 'imds');
  const aws = optObject(m, 'aws', 'imds');
  const credentials = aws && optObject(aws, 'security_credentials', 'imds.aws');
  const path = 'imds.aws.security_credentials';
  const securityCredentials: AwsSecurityCredentials | undefined =
    credentials &&
    compact({
      code: optString(credentials, 'code', path),
      type: optString(credentials, 'type', path),
      accessKeyId: optString(credentials, 'access_key_id', path),
      lastUpdated: optString(credentials, 'last_updated', path),
      expirationRaw: optString(credentials, 'expiration', path),
    });
  const awsInfo = aws && compact({ isImdsV2: optBool(aws, 'is_imds_v2', 'imds.aws'), securityCredentials });
  return compact({
    type: reqString(m, 'type', 'imds'),
    cloudProvider,
    url: optString(m, 'url', 'imds'),
    host: optString(m, 'host', 'imds'),
    userAgent: optString(m, 'user_agent', 'imds'),
    server: optString(m, 'server', 'imds'),
    // Mirrors the agent, which only fills `aws` for AWS requests.
    aws: cloudProvider === 'aws' ? awsInfo : undefined,
  });
}

function parseSyscalls(root: JsonObject): number[] {
  // The agent writes the list both at top level and as `process.syscalls`; either is enough.
  const [o, base] =
    get(root, 'syscalls') !== undefined ? [root, ''] : [reqObject(root, 'process', ''), 'process'];
  const ids = mapArray(o, 'syscalls', base, (item, path) =>
    typeof item === 'number'
      ? checkInt(item, path, 0, U32_MAX)
      : reqInt(asObject(item, path), 'id', path, 0, U32_MAX),
  );
  return ids ?? [];
}

function parseCapabilities(root: JsonObject): { attempted: bigint; used: bigint } {
  // The process serializer carries the same lists; use them when the event-level object is absent.
  const own = optObject(root, 'capabilities', '');
  const [o, base] = own ? [own, 'capabilities'] : [reqObject(root, 'process', ''), 'process'];
  return {
    attempted: optCapabilities(o, 'caps_attempted', base) ?? 0n,
    used: optCapabilities(o, 'caps_used', base) ?? 0n,
  };
}

function parseNetworkFlows(n: JsonObject): Pick<NetworkFlowEvent, 'device' | 'flows'> {
  const base = 'network_flow_monitor';
  const device = reqObject(n, 'device', base);
  const devicePath = `${base}.device`;
  const flows = mapArray(n, 'flows', base, (item, path) => {
    const f = asObject(item, path);
    return compact<NetworkFlow>({
      source: parseIpPort(reqObject(f, 'source', path), at(path, 'source')),
      destination: parseIpPort(reqObject(f, 'destination', path), at(path, 'destination')),
      l3Protocol: optTableCode(f, 'l3_protocol', path, L3_PROTOCOLS, 'L3 protocol', U16_MAX),
      l4Protocol: optTableCode(f, 'l4_protocol', path, L4_PROTOCOLS, 'L4 protocol', 255),
      ingress: parseFlowStats(f, 'ingress', path),
      egress: parseFlowStats(f, 'egress', path),
    });
  });
  return {
    device: {
      netns: reqInt(device, 'netns', devicePath, 0, U32_MAX),
      ifindex: reqInt(device, 'ifindex', devicePath, 0, U32_MAX),
      ifname: reqString(device, 'ifname', devicePath),
    },
    flows: flows ?? [],
  };
}

function parseIpPort(o: JsonObject, base: string): IpPort {
  return { ip: reqString(o, 'ip', base), port: reqInt(o, 'port', base, 0, U16_MAX) };
}

function parseFlowStats(o: JsonObject, key: string, base: string): FlowStats | undefined {
  const s = optObject(o, key, base);
  const path = at(base, key);
  return (
    s && compact({ dataSize: optU64(s, 'data_size', path), packetCount: optU64(s, 'packet_count', path) })
  );
}

// ---------------------------------------------------------------------------------------------
// Enumerations and bit masks

/** A value from `table` by name, or a number up to `max`. */
function optTableCode(
  o: JsonObject,
  key: string,
  base: string,
  table: ReadonlyMap<string, number>,
  what: string,
  max: number,
): number | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  if (typeof v === 'number') return checkInt(v, at(base, key), 0, max);
  return (
    (typeof v === 'string' ? table.get(v) : undefined) ??
    fail(at(base, key), `unknown ${what} ${describe(v)}`)
  );
}

/** `open(2)` flags: a number, or the agent's list of flag names (leftover bits as a decimal string). */
function optOpenFlags(o: JsonObject, key: string, base: string): number | undefined {
  const v = get(o, key);
  if (typeof v === 'number') return checkInt(v, at(base, key), 0, U32_MAX);
  const masks = mapArray(o, key, base, (item, path) => {
    if (typeof item === 'string') {
      const known = OPEN_FLAGS.get(item);
      if (known !== undefined) return known;
      if (/^\d{1,10}$/.test(item)) return checkInt(Number(item), path, 0, U32_MAX);
    }
    return fail(path, `unknown open flag ${describe(item)}`);
  });
  return masks?.reduce((acc, mask) => (acc | mask) >>> 0, 0);
}

/** A capability set from the agent's list of `CAP_*` names (leftover bits as a decimal mask). */
function optCapabilities(o: JsonObject, key: string, base: string): bigint | undefined {
  const masks = mapArray(o, key, base, (item, path) => {
    if (typeof item === 'string') {
      const bit = CAPABILITY_BITS.get(item);
      if (bit !== undefined) return 1n << BigInt(bit);
      if (/^\d{1,20}$/.test(item)) return checkU64(item, path);
    }
    return fail(path, `unknown capability ${describe(item)}`);
  });
  return masks?.reduce((acc, mask) => acc | mask, 0n);
}

// ---------------------------------------------------------------------------------------------
// Times

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Go's zero `time.Time` (0001-01-01T00:00:00Z), which means "no time". */
const GO_ZERO_TIME_NS = BigInt(daysFromCivil(1, 1, 1) * 86_400) * NS_PER_SECOND;

function optTime(o: JsonObject, key: string, base: string): bigint | undefined {
  const text = optString(o, key, base);
  return text === undefined ? undefined : parseTime(text, at(base, key));
}

/** RFC 3339 text → exact nanoseconds since the Unix epoch, in bigint so no digit is lost. */
function parseTime(text: string, path: string): bigint {
  const m = RFC3339.exec(text);
  if (m === null) return fail(path, `not an RFC 3339 time: ${describe(text)}`);
  const num = (group: number) => Number(m[group] ?? 0);
  const [year, month, day, hour, minute, second] = [num(1), num(2), num(3), num(4), num(5), num(6)];
  const [sign, offsetHours, offsetMinutes] = [m[8], num(9), num(10)];
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    return fail(path, `not a valid date and time: ${describe(text)}`);
  }
  const offset = (sign === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
  const ns = BigInt(seconds) * NS_PER_SECOND + BigInt((m[7] ?? '').padEnd(9, '0'));
  if (ns === GO_ZERO_TIME_NS) return 0n;
  if (ns < 0n) return fail(path, `${describe(text)} is before the Unix epoch`);
  if (ns > U64_MAX) return fail(path, `${describe(text)} does not fit in 64-bit nanoseconds`);
  return ns;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// ---------------------------------------------------------------------------------------------
// Typed field access. `base` is the JSON path of the object being read; `''` is the root.

function at(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function fail(path: string, message: string): never {
  throw new EventParseError(path === '' ? '$' : path, message);
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property (never one from the prototype chain); `null` counts as absent, as Go writes nil. */
function get(o: JsonObject, key: string): unknown {
  if (!Object.hasOwn(o, key)) return undefined;
  const v = o[key];
  return v === null ? undefined : v;
}

function asObject(v: unknown, path: string): JsonObject {
  return isObject(v) ? v : fail(path, `expected an object, got ${describe(v)}`);
}

function optObject(o: JsonObject, key: string, base: string): JsonObject | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asObject(v, at(base, key));
}

function reqObject(o: JsonObject, key: string, base: string): JsonObject {
  return optObject(o, key, base) ?? fail(at(base, key), 'missing');
}

function optString(o: JsonObject, key: string, base: string): string | undefined {
  const v = get(o, key);
  if (v === undefined || typeof v === 'string') return v;
  return fail(at(base, key), `expected a string, got ${describe(v)}`);
}

function reqString(o: JsonObject, key: string, base: string): string {
  return optString(o, key, base) ?? fail(at(base, key), 'missing');
}

function optBool(o: JsonObject, key: string, base: string): boolean | undefined {
  const v = get(o, key);
  if (v === undefined || typeof v === 'boolean') return v;
  return fail(at(base, key), `expected a boolean, got ${describe(v)}`);
}

function checkInt(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    return fail(path, `expected an integer, got ${describe(v)}`);
  if (v < min || v > max) return fail(path, `${v} is out of range [${min}, ${max}]`);
  return v === 0 ? 0 : v; // no -0
}

function optInt(o: JsonObject, key: string, base: string, min: number, max: number): number | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : checkInt(v, at(base, key), min, max);
}

function reqInt(o: JsonObject, key: string, base: string, min: number, max: number): number {
  return optInt(o, key, base, min, max) ?? fail(at(base, key), 'missing');
}

/**
 * An unsigned 64-bit integer: a JSON number (JSON.parse already rounded it past 2^53) or a decimal
 * string for callers that kept the exact digits.
 */
function checkU64(v: unknown, path: string): bigint {
  let value: bigint | undefined;
  if (typeof v === 'number' && Number.isInteger(v)) value = BigInt(v);
  else if (typeof v === 'string' && /^\d{1,20}$/.test(v)) value = BigInt(v);
  else return fail(path, `expected an unsigned integer, got ${describe(v)}`);
  if (value < 0n || value > U64_MAX) return fail(path, `${describe(v)} does not fit in 64 bits`);
  return value;
}

function optU64(o: JsonObject, key: string, base: string): bigint | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : checkU64(v, at(base, key));
}

/** Maps an optional array element by element (a loop, so holes and exotic arrays fail cleanly). */
function mapArray<T>(
  o: JsonObject,
  key: string,
  base: string,
  each: (item: unknown, path: string) => T,
): T[] | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  const path = at(base, key);
  if (!Array.isArray(v)) return fail(path, `expected an array, got ${describe(v)}`);
  const out: T[] = [];
  for (let i = 0; i < v.length; i++) out.push(each(v[i], `${path}[${i}]`));
  return out;
}

function optStringArray(o: JsonObject, key: string, base: string): string[] | undefined {
  return mapArray(o, key, base, (item, path) =>
    typeof item === 'string' ? item : fail(path, `expected a string, got ${describe(item)}`),
  );
}

/** Drops the keys whose value is `undefined`, so that output objects only carry what the JSON had. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A short, safe description of a JSON value for error messages. */
function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
