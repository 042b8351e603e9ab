import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonValue,
  ScalarType,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
import { FeatureSet_FieldPresence } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActivityDump } from '../../src/dump/activity-dump.js';
import { emptyMetadata } from '../../src/dump/dump-metadata.js';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import { DEFAULT_DECODE_LIMITS } from '../../src/encoding/decode-limits.js';
import {
  type FileActivityNode,
  SecDumpSchema,
} from '../../src/encoding/gen/datadog/cws/dumpsv1/activity_dump_pb.js';
import { readJsonDump } from '../../src/encoding/json-dump-reader.js';
import { writeJsonDump } from '../../src/encoding/json-dump-writer.js';
import { decodeSecDump } from '../../src/encoding/protobuf/sec-dump-codec.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { ActivityEvent, ImdsInfo, NetworkFlow } from '../../src/events/activity-event.js';
import { basenameOf, HashState } from '../../src/events/file-info.js';
import type { MatchedRule } from '../../src/events/matched-rule.js';
import type { ProcessContext, ProcessInfo } from '../../src/events/process.js';
import { buildLineage, event } from '../../src/testing/event-builders.js';
import { ActivityTree } from '../../src/tree/activity-tree.js';
import { CapabilityNode } from '../../src/tree/capability-node.js';
import { DnsNode } from '../../src/tree/dns-node.js';
import { FileNode } from '../../src/tree/file-node.js';
import { GenerationType } from '../../src/tree/generation-type.js';
import { ImdsNode, imdsKey, normalizeImds } from '../../src/tree/imds-node.js';
import { deviceKey, FlowNode, flowKey, NetworkDeviceNode } from '../../src/tree/network-device-node.js';
import { ProcessNode } from '../../src/tree/process-node.js';
import { BindNode, SocketNode } from '../../src/tree/socket-node.js';
import { SyscallNode } from '../../src/tree/syscall-node.js';
import { canonicalDump } from '../support/canonical-dump.js';
import { DATADOG_FIXTURES, hasDatadogFixtures, MISSING_FIXTURES_REASON } from '../support/fixtures.js';

const SUITE = join(DATADOG_FIXTURES, 'activity-tree-suite');
const ADV1 = join(DATADOG_FIXTURES, 'dumps', 'adv1.protobuf');
const hasSuite = hasDatadogFixtures && existsSync(SUITE);
const LIMITS = { ...DEFAULT_DECODE_LIMITS };
const MAX_U64 = 2n ** 64n - 1n;

const fixtureFiles = hasSuite
  ? readdirSync(SUITE)
      .filter((f) => f.endsWith('_input_tree.json') || f.endsWith('_wanted_tree.json'))
      .sort()
  : [];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function read(text: string): ActivityDump {
  return readJsonDump(text, LIMITS);
}

/** The generated schema's strict reader: unknown keys are errors. */
function strictParse(text: string) {
  return fromJson(SecDumpSchema, JSON.parse(text) as JsonValue);
}

/**
 * Fills what the writer materialises from the model's documented defaults (a process's `tid` is
 * its pid, a file's `basename` the last component of its path), so that a dump compares equal to
 * what reading its JSON gives back.
 */
function withDocumentedDefaults(dump: ActivityDump): ActivityDump {
  for (const node of dump.tree.processNodes()) {
    node.process.tid ??= node.process.pid;
    node.process.file.basename ??= basenameOf(node.process.file.path);
  }
  return dump;
}

/** Writes, reads back, and checks the two dumps are the same and the text is stable. */
function expectRoundTrip(dump: ActivityDump): string {
  const text = writeJsonDump(dump);
  const back = read(text);
  expect(canonicalDump(back)).toEqual(canonicalDump(withDocumentedDefaults(dump)));
  // Writing what was read gives the very same text.
  expect(writeJsonDump(back)).toBe(text);
  return text;
}

// ---- schema checks --------------------------------------------------------------------------

/** The message fields the writer may leave `null`: every other message is always present. */
const NULLABLE = new Set([
  'SecDump.metadata',
  'FileActivityNode.file',
  'FileActivityNode.open',
  'IMDSEvent.aws',
]);

const INT64_TYPES = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

function checkScalar(value: Json, scalar: ScalarType, path: string): void {
  if (scalar === ScalarType.STRING) expect(typeof value, path).toBe('string');
  else if (scalar === ScalarType.BOOL) expect(typeof value, path).toBe('boolean');
  else if (INT64_TYPES.has(scalar)) expect(value, path).toMatch(/^-?(0|[1-9]\d*)$/);
  else expect(Number.isInteger(value), path).toBe(true);
}

function checkEnum(value: Json, path: string): void {
  if (typeof value === 'number') expect(Number.isInteger(value), path).toBe(true);
  else expect(value, path).toMatch(/^[A-Z_]+$/);
}

/**
 * Checks a written message against its descriptor: keys are exactly the fields in declaration
 * order (proto3 `optional` scalars only when set), 64-bit integers are strings, 32-bit ones
 * numbers, and `null` only where {@link NULLABLE} allows it.
 */
function checkShape(value: Json, desc: DescMessage, path: string): void {
  expect(typeof value === 'object' && value !== null && !Array.isArray(value), path).toBe(true);
  const obj = value as { [key: string]: Json };
  const expected = desc.fields
    .filter(
      (f) =>
        !(f.fieldKind === 'scalar' && f.presence === FeatureSet_FieldPresence.EXPLICIT && !(f.name in obj)),
    )
    .map((f) => f.name);
  expect(Object.keys(obj), `keys of ${path} (${desc.name})`).toEqual(expected);
  for (const f of desc.fields) {
    if (!(f.name in obj)) continue;
    const v = obj[f.name]!;
    const at = `${path}.${f.name}`;
    switch (f.fieldKind) {
      case 'scalar':
        checkScalar(v, f.scalar, at);
        break;
      case 'enum':
        checkEnum(v, at);
        break;
      case 'message':
        if (v === null) expect(NULLABLE.has(`${desc.name}.${f.name}`), `${at} is null`).toBe(true);
        else checkShape(v, f.message, at);
        break;
      case 'list': {
        expect(Array.isArray(v), at).toBe(true);
        (v as Json[]).forEach((element, i) => {
          if (f.listKind === 'message') checkShape(element, f.message, `${at}[${i}]`);
          else if (f.listKind === 'enum') checkEnum(element, `${at}[${i}]`);
          else checkScalar(element, f.scalar, `${at}[${i}]`);
        });
        break;
      }
      case 'map': {
        expect(typeof v === 'object' && v !== null && !Array.isArray(v), at).toBe(true);
        for (const [key, element] of Object.entries(v as { [key: string]: Json })) {
          if (f.mapKind === 'message') checkShape(element, f.message, `${at}[${key}]`);
          else if (f.mapKind === 'scalar') checkScalar(element, f.scalar, `${at}[${key}]`);
        }
        break;
      }
    }
  }
}

function withoutNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  const out: { [key: string]: Json } = {};
  for (const [key, v] of Object.entries(value)) if (v !== null) out[key] = withoutNulls(v);
  return out;
}

/**
 * Every check against the generated schema: the strict reader accepts the text, the shape is
 * right, the message encodes to binary, and protobuf-es writing the same message with every
 * implicit field gives the same JSON (same keys, same values) apart from the `null`s it leaves out.
 */
function expectValidSecDumpJson(text: string) {
  const message = strictParse(text);
  const parsed = JSON.parse(text) as Json;
  checkShape(parsed, SecDumpSchema, '');
  const binary = toBinary(SecDumpSchema, message);
  expect(fromBinary(SecDumpSchema, binary)).toEqual(message);
  const reference = toJson(SecDumpSchema, message, { alwaysEmitImplicit: true, useProtoFieldName: true });
  // (protobuf-es orders keys by field number where protojson follows the declaration order, which
  // checkShape checks, so the comparison ignores key order.)
  expect(withoutNulls(parsed)).toEqual(reference);
  return message;
}

// ---- agent fixtures ---------------------------------------------------------------------------

/** Keys a current agent writes that the 2023 fixtures predate, by the object they appear in. */
const NEWER_PROCESS_NODE_KEYS = [
  'image_tags',
  'node_base',
  'imds_events',
  'syscall_nodes',
  'network_devices',
  'capability_nodes',
];
/** Keys renamed since the fixtures were written (FileInfo field 16, 2025-09-17). */
const RENAMED: Record<string, string> = { package_srcversion: 'package_src_version' };

/**
 * Compares the written JSON with the agent's: for every object, the agent's keys (renamed where
 * the schema renamed them) come in the same order among ours, ours adds only newer fields, and
 * every value the agent wrote is the value we wrote. Lists of named file nodes are compared by
 * name (the agent's order is random).
 */
function compareWithAgent(ours: Json, agent: Json, path: string): void {
  if (Array.isArray(agent)) {
    expect(Array.isArray(ours), path).toBe(true);
    const mine = ours as Json[];
    expect(mine.length, path).toBe(agent.length);
    const byName = (list: Json[]) =>
      list.every((e) => typeof e === 'object' && e !== null && 'name' in e)
        ? [...list].sort((a, b) =>
            String((a as { name: Json }).name).localeCompare(String((b as { name: Json }).name)),
          )
        : list;
    const [a, b] = [byName(mine), byName(agent)];
    for (let i = 0; i < b.length; i++) compareWithAgent(a[i]!, b[i]!, `${path}[${i}]`);
    return;
  }
  if (typeof agent === 'object' && agent !== null) {
    expect(typeof ours === 'object' && ours !== null && !Array.isArray(ours), path).toBe(true);
    const mine = ours as { [key: string]: Json };
    const agentKeys = Object.keys(agent).map((k) => RENAMED[k] ?? k);
    const ourKeys = Object.keys(mine);
    expect(
      ourKeys.filter((k) => agentKeys.includes(k)),
      `key order at ${path}`,
    ).toEqual(agentKeys);
    const extra = ourKeys.filter((k) => !agentKeys.includes(k));
    if ('process' in agent) expect(extra, `new keys at ${path}`).toEqual(NEWER_PROCESS_NODE_KEYS);
    else expect(extra, `new keys at ${path}`).toEqual([]);
    for (const [key, value] of Object.entries(agent)) {
      compareWithAgent(mine[RENAMED[key] ?? key]!, value, `${path}.${key}`);
    }
    return;
  }
  expect(ours, path).toEqual(agent);
}

describe('agent fixtures', () => {
  if (!hasSuite) {
    console.warn(MISSING_FIXTURES_REASON);
    it.skip(MISSING_FIXTURES_REASON, () => {});
    return;
  }

  it('finds the fixture trees', () => {
    expect(fixtureFiles.length).toBeGreaterThan(0);
  });

  it.each(fixtureFiles)('round-trips %s', (name) => {
    const source = readFileSync(join(SUITE, name), 'utf8');
    const dump = decodeDump(source, { format: 'json' });
    const text = writeJsonDump(dump);
    const again = decodeDump(text, { format: 'json' });
    expect(canonicalDump(again)).toEqual(canonicalDump(dump));
    expectValidSecDumpJson(text);
  });

  it.each(fixtureFiles)('writes the agent keys and values of %s', (name) => {
    const source = readFileSync(join(SUITE, name), 'utf8');
    const text = writeJsonDump(decodeDump(source, { format: 'json' }));
    compareWithAgent(JSON.parse(text) as Json, JSON.parse(source) as Json, '');
  });

  it('writes the process node keys of the fixtures, then the newer ones, in declaration order', () => {
    const source = readFileSync(join(SUITE, 'exec-01_wanted_tree.json'), 'utf8');
    const node = (JSON.parse(writeJsonDump(decodeDump(source))) as { tree: Json[] }).tree[0] as object;
    const agentNode = (JSON.parse(source) as { tree: Json[] }).tree[0] as object;
    expect(Object.keys(node)).toEqual([...Object.keys(agentNode), ...NEWER_PROCESS_NODE_KEYS]);
    expect(Object.keys(node)).toEqual(
      processNodeFieldNames(), // the generated schema agrees
    );
  });

  it('lays out indented text as JSON.stringify does', () => {
    const source = readFileSync(join(SUITE, 'exec-12_wanted_tree.json'), 'utf8');
    const dump = decodeDump(source);
    const compact = writeJsonDump(dump);
    expect(compact).not.toMatch(/\s/);
    for (const indent of [1, 2, 4]) {
      expect(writeJsonDump(dump, { indent })).toBe(JSON.stringify(JSON.parse(compact), null, indent));
    }
  });
});

function processNodeFieldNames(): string[] {
  const tree = SecDumpSchema.fields.find((f) => f.name === 'tree')!;
  if (tree.fieldKind !== 'list' || tree.listKind !== 'message') throw new Error('unexpected schema');
  return tree.message.fields.map((f) => f.name);
}

// ---- adv1.protobuf ----------------------------------------------------------------------------

describe('adv1.protobuf (2022 agent dump)', () => {
  if (!(hasDatadogFixtures && existsSync(ADV1))) {
    it.skip(MISSING_FIXTURES_REASON, () => {});
    return;
  }

  it('decodes with decodeSecDump, writes JSON the strict schema reader accepts', () => {
    const bytes = readFileSync(ADV1);
    const dump = decodeSecDump(bytes, LIMITS);
    const text = writeJsonDump(dump);
    const message = expectValidSecDumpJson(text);
    const original = fromBinary(SecDumpSchema, bytes);
    expect(message.host).toBe(original.host);
    expect(message.metadata).toEqual(original.metadata);
    const [root] = message.tree;
    const [originalRoot] = original.tree;
    // The legacy 32-bit cookie moves to cookie64 and the packed syscalls to syscall nodes.
    expect(root!.process!.cookie).toBe(0);
    expect(root!.process!.cookie64).toBe(BigInt(originalRoot!.process!.cookie));
    expect(root!.syscalls).toEqual([]);
    expect(root!.syscallNodes.map((s) => s.syscall)).toEqual(originalRoot!.syscalls);
    expect(root!.children[0]!.process!.file!.path).toBe('/usr/bin/dash');
    // Same file tree, sorted by name at every level.
    const names = (files: FileActivityNode[]): unknown[] =>
      files.map((f) => [f.name, f.file?.path ?? null, f.open === undefined, names(f.children)]);
    const sorted = (files: FileActivityNode[]): unknown[] =>
      [...files]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((f) => [f.name, f.file?.path ?? null, f.open === undefined, sorted(f.children)]);
    expect(names(root!.files)).toEqual(sorted(originalRoot!.files));
    expect(text).toContain('"name":"aaaaa*","is_pattern":false,');
    // And it reads back to the same dump.
    expect(canonicalDump(read(text))).toEqual(canonicalDump(withDocumentedDefaults(dump)));
  });
});

// ---- a hand-built dump with every node kind ---------------------------------------------------

const RULE: MatchedRule = {
  ruleId: 'rule_a',
  ruleVersion: '1.2',
  policyName: 'default',
  policyVersion: '42',
  ruleTags: { zeta: 'last', alpha: 'first', '10': 'ten', '9': 'nine', é: 'accent' },
};

function richProcess(pid: number, path: string): ProcessInfo {
  return {
    pid,
    tid: pid + 1,
    ppid: pid - 1,
    cookie: MAX_U64,
    isThread: true,
    file: {
      path,
      basename: basenameOf(path),
      inode: MAX_U64 - 1n,
      mountId: 4294967295,
      mode: 0o100755,
      uid: 1000,
      gid: 1001,
      user: 'alice',
      group: 'staff',
      ctime: 2n ** 63n,
      mtime: 1_700_000_000_123_456_789n,
      filesystem: 'overlay',
      inUpperLayer: true,
      packageName: 'coreutils',
      packageVersion: '9.1',
      packageSrcVersion: '9.1-1',
      packageEpoch: 0,
      packageRelease: '',
      packageSrcEpoch: 7,
      packageSrcRelease: 'r3',
      hashes: ['sha256:abc', 'sha1:def'],
      hashState: HashState.DONE,
    },
    containerId: 'cid',
    tty: 'pts/0',
    comm: 'bash',
    forkTime: MAX_U64 - 2n,
    execTime: 1n,
    exitTime: 0n,
    credentials: {
      uid: 1,
      gid: 2,
      user: 'u',
      group: 'g',
      effectiveUid: 3,
      effectiveGid: 4,
      effectiveUser: 'eu',
      effectiveGroup: 'eg',
      fsUid: 5,
      fsGid: 6,
      fsUser: 'fu',
      fsGroup: 'fg',
      capEffective: MAX_U64,
      capPermitted: 2n ** 40n,
    },
    argv0: 'bash',
    args: ['-c', 'echo "hi"\n'],
    argsTruncated: true,
    envs: ['PATH=/bin', 'HOME'],
    envsTruncated: true,
    isExecExec: true,
  };
}

function tags(...entries: [string, bigint, bigint][]) {
  return entries.map(([tag, firstSeen, lastSeen]) => ({ tag, firstSeen, lastSeen }));
}

function richDump(): ActivityDump {
  const tree = new ActivityTree();
  const root = new ProcessNode(richProcess(10, '/bin/bash'), GenerationType.ProfileDrift);
  root.matchedRules = [RULE, { ruleId: 'rule_b' }];
  root.imageTags = tags(['v2', MAX_U64, MAX_U64], ['v1', 1n, 2n]);

  // Files: a directory opened without file info, a leaf with everything, a pattern leaf, a
  // legacy first_seen, an unknown hash state.
  const etc = new FileNode('etc', GenerationType.Snapshot);
  etc.recordOpen(3, 0o200000, 0);
  etc.firstSeen = 1_600_000_000_000_000_000n;
  const passwd = new FileNode('passwd', GenerationType.WorkloadWarmup, {
    ...richProcess(1, '/etc/passwd').file,
    hashState: 9,
  });
  passwd.recordOpen(-13, 0o2, 0o644);
  passwd.matchedRules = [RULE];
  passwd.imageTags = tags(['v1', 5n, 6n]);
  etc.setChild(passwd);
  etc.setChild(new FileNode('sess-*', GenerationType.Runtime, '/etc/sess-*'));
  root.setFile(etc);
  root.setFile(new FileNode('a', GenerationType.Unknown));

  const dns = new DnsNode(GenerationType.Runtime);
  dns.addRequest({ name: 'example.com', type: 28, class: 1, size: 40, count: 1 });
  dns.addRequest({ name: 'example.com', type: 1 });
  dns.matchedRules = [RULE];
  dns.imageTags = tags(['v1', 7n, 8n]);
  root.dnsNames.set('example.com', dns);
  const other = new DnsNode(GenerationType.Runtime);
  other.addRequest({ name: 'a.example.org' });
  root.dnsNames.set('a.example.org', other);

  const socket = new SocketNode('AF_INET6', GenerationType.Runtime);
  const bind = new BindNode(65535, '::1', 17, GenerationType.Runtime);
  bind.matchedRules = [RULE];
  bind.imageTags = tags(['v1', 9n, 10n]);
  socket.binds.push(bind, new BindNode(0, '0.0.0.0', 0, GenerationType.Runtime));
  root.sockets.push(socket, new SocketNode('AF_INET', GenerationType.Runtime));

  const aws: ImdsInfo = normalizeImds({
    type: 'response',
    cloudProvider: 'aws',
    url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/role',
    host: '169.254.169.254',
    userAgent: 'curl/8',
    server: 'EC2ws',
    aws: {
      isImdsV2: true,
      securityCredentials: {
        code: 'Success',
        type: 'AWS-HMAC',
        accessKeyId: 'AKIAEXAMPLE',
        lastUpdated: '2024-05-02T10:00:00Z',
        expirationRaw: '2024-05-02T16:00:00Z',
      },
    },
  });
  const gcp: ImdsInfo = normalizeImds({ type: 'request', cloudProvider: 'gcp', url: '/computeMetadata/v1/' });
  for (const info of [aws, gcp]) {
    const node = new ImdsNode(info, GenerationType.Runtime);
    node.matchedRules = [RULE];
    node.imageTags = tags(['v1', 11n, 12n]);
    root.imdsEvents.set(imdsKey(info), node);
  }

  const syscall = new SyscallNode(59, GenerationType.Runtime);
  syscall.imageTags = tags(['v1', 13n, 14n]);
  root.syscalls.push(syscall, new SyscallNode(2147483647, GenerationType.Runtime), new SyscallNode(0, 1));
  const capability = new CapabilityNode(21, true, GenerationType.Runtime);
  capability.imageTags = tags(['v1', 15n, 16n]);
  root.capabilities.push(capability, new CapabilityNode(40, false, GenerationType.Runtime));

  const device = new NetworkDeviceNode({ netns: 4026531840, ifindex: 2, ifname: 'eth0' }, 1);
  device.matchedRules = [RULE];
  const flows: NetworkFlow[] = [
    {
      source: { ip: '10.0.0.2', port: 51000 },
      destination: { ip: '1.1.1.1', port: 443 },
      l3Protocol: 0x0800,
      l4Protocol: 6,
      ingress: { dataSize: MAX_U64, packetCount: 1n },
      egress: { dataSize: 0n, packetCount: MAX_U64 },
    },
    { source: { ip: '::', port: 0 }, destination: { ip: 'fe80::1', port: 53 }, l4Protocol: 17 },
  ];
  for (const flow of flows) {
    const node = new FlowNode(flow, GenerationType.Runtime);
    node.imageTags = tags(['v1', 17n, 18n]);
    device.flows.set(flowKey(flow), node);
  }
  root.networkDevices.set(deviceKey(device.device), device);
  root.networkDevices.set('0|1|lo', new NetworkDeviceNode({ netns: 0, ifindex: 1, ifname: 'lo' }, 1));

  const child = new ProcessNode(richProcess(11, '/usr/bin/curl'), GenerationType.WorkloadWarmup);
  root.appendChild(child);
  child.appendChild(
    new ProcessNode({ pid: 12, tid: 12, file: { path: '/bin/true' } }, GenerationType.Snapshot),
  );
  tree.appendRoot(root);
  tree.appendRoot(new ProcessNode({ pid: 1, tid: 1, file: { path: '/sbin/init' } }, GenerationType.Runtime));
  tree.recountNodes();
  return new ActivityDump({
    host: 'h1',
    service: 'svc',
    source: 'runtime-security-agent',
    tags: ['host:h1', 'image_tag:v1'],
    metadata: emptyMetadata({
      agentVersion: '7.70.0',
      agentCommit: 'abcdef',
      kernelVersion: '6.8.0',
      linuxDistribution: 'ubuntu',
      arch: 'x64',
      name: 'activity-dump-abcdefghij',
      protobufVersion: 'v1',
      differentiateArgs: true,
      containerId: 'cid',
      start: MAX_U64 - 10n,
      end: MAX_U64,
      size: 123n,
      serialization: 'json',
      cgroupId: 'cg',
      cgroupManager: 'docker',
    }),
    tree,
  });
}

describe('a dump with every node kind', () => {
  const text = writeJsonDump(richDump());

  it('reads back to the same dump', () => {
    expectRoundTrip(richDump());
  });

  it('is valid SecDump JSON for the strict schema reader, and encodes to binary', () => {
    const message = expectValidSecDumpJson(text);
    expect(message.tree[0]!.process!.cookie64).toBe(MAX_U64);
    expect(message.tree[0]!.children[0]!.generationType).toBe(4);
    expect(message.tree[0]!.nodeBase!.seen.v2!.firstSeen).toBe(MAX_U64);
  });

  it('writes 64-bit integers as strings and 32-bit ones as numbers', () => {
    expect(text).toContain('"cookie":0,');
    expect(text).toContain('"cookie64":"18446744073709551615"}');
    expect(text).toContain('"span_id":"0","trace_id":"0"');
    expect(text).toContain('"inode":"18446744073709551614"');
    expect(text).toContain('"mount_id":4294967295,');
    expect(text).toContain('"ctime":"9223372036854775808"');
    expect(text).toContain('"cap_effective":"18446744073709551615","cap_permitted":"1099511627776"');
    expect(text).toContain('"open":{"retval":"-13","flags":2,"mode":420}');
    expect(text).toContain('"syscall":2147483647}');
    expect(text).toContain('"capability":"21","is_capable":true}');
    expect(text).toContain(
      '"ingress":{"data_size":"18446744073709551615","packet_count":"1"},"egress":{"data_size":"0","packet_count":"18446744073709551615"}',
    );
    expect(text).toContain('"start":"18446744073709551605","end":"18446744073709551615","size":"123"');
  });

  it('writes enum names, and bare numbers for values without a name', () => {
    const types = [...text.matchAll(/"generation_type":("?\w+"?)/g)].map((m) => m[1]);
    expect(new Set(types)).toEqual(new Set(['3', '4', '"SNAPSHOT"', '"RUNTIME"', '"UNKNOWN"']));
    expect(text).toContain('"hash_state":"DONE"');
    expect(text).toContain('"hash_state":9}');
    expect(text).toContain('"hash_state":"NO_HASH"}');
  });

  it('writes proto3 optional fields only when set', () => {
    expect(text).toContain(
      '"package_version":"9.1","package_epoch":0,"package_release":"","package_src_version":"9.1-1","package_src_epoch":7,"package_src_release":"r3","hashes":["sha256:abc","sha1:def"]',
    );
    expect(text).toContain(
      '"path":"/bin/true","basename":"true","filesystem":"","package_name":"","package_version":"","package_src_version":"","hashes":[]',
    );
  });

  it('writes null for absent messages, and every node_base', () => {
    const parsed = JSON.parse(text) as Json;
    const json = parsed as {
      tree: { files: { name: string; file: Json; open: Json; children: Json[] }[] }[];
    };
    const [a, etc] = json.tree[0]!.files;
    expect(a!.name).toBe('a');
    expect([a!.file, a!.open]).toEqual([null, null]);
    expect(etc!.file).toBeNull();
    expect(etc!.open).toEqual({ retval: '3', flags: 0o200000, mode: 0 });
    expect(text).toContain('"first_seen":"1600000000000000000"');
    expect(text).toContain('"node_base":{"seen":{}}');
    expect(text).not.toContain('"node_base":null');
    expect(text).toContain('"aws":null}');
    expect(text).toContain(
      '"aws":{"is_imds_v2":true,"security_credentials":{"code":"Success","type":"AWS-HMAC","access_key_id":"AKIAEXAMPLE","last_updated":"2024-05-02T10:00:00Z","expiration_raw":"2024-05-02T16:00:00Z"}}',
    );
  });

  it('writes map fields with sorted keys', () => {
    expect(text).toContain('"rule_tags":{"10":"ten","9":"nine","alpha":"first","zeta":"last","é":"accent"}');
    expect(text).toContain(
      '"node_base":{"seen":{"v1":{"first_seen":"1","last_seen":"2"},"v2":{"first_seen":"18446744073709551615","last_seen":"18446744073709551615"}}}',
    );
  });

  it('writes map-derived collections sorted by key, lists in their order', () => {
    const root = (JSON.parse(text) as { tree: Record<string, Json[]>[] }).tree[0]!;
    const field = (list: Json[] | undefined, pick: (e: Record<string, Json>) => unknown) =>
      (list ?? []).map((e) => pick(e as Record<string, Json>));
    expect(field(root.files, (f) => f.name)).toEqual(['a', 'etc']);
    expect(field(root.dns_names, (d) => (d.requests as { name: string }[])[0]!.name)).toEqual([
      'a.example.org',
      'example.com',
    ]);
    expect(field(root.dns_names, (d) => (d.requests as { type: number }[]).map((r) => r.type))).toEqual([
      [1],
      [28, 1],
    ]);
    // IMDS keys start with the event type: the request before the response.
    expect(field(root.imds_events, (d) => (d.event as { cloud_provider: string }).cloud_provider)).toEqual([
      'gcp',
      'aws',
    ]);
    expect(field(root.network_devices, (d) => d.ifname)).toEqual(['lo', 'eth0']);
    expect(
      field(root.network_devices, (d) =>
        (d.flow_nodes as { destination: { ip: string } }[]).map((f) => f.destination.ip),
      )[1],
    ).toEqual(['1.1.1.1', 'fe80::1']);
    expect(field(root.sockets, (s) => s.family)).toEqual(['AF_INET6', 'AF_INET']);
    expect(field(root.syscall_nodes, (s) => s.syscall)).toEqual([59, 2147483647, 0]);
    expect(field(root.capability_nodes, (c) => c.capability)).toEqual(['21', '40']);
    expect(field(root.matched_rules, (r) => r.rule_id)).toEqual(['rule_a', 'rule_b']);
  });

  it('is deterministic whatever order the maps were filled in', () => {
    const reversed = richDump();
    const root = reversed.tree.roots[0]!;
    for (const map of [root.dnsNames, root.imdsEvents, root.networkDevices] as Map<string, unknown>[]) {
      const entries = [...map.entries()].reverse();
      map.clear();
      for (const [k, v] of entries) map.set(k, v);
    }
    expect(writeJsonDump(reversed)).toBe(text);
    expect(writeJsonDump(richDump())).toBe(text);
  });

  it('lays out indented text, keeping the key order', () => {
    const indented = writeJsonDump(richDump(), { indent: 2 });
    expect(JSON.parse(indented)).toEqual(JSON.parse(text));
    expect(indented).toContain(
      '\n          "rule_tags": {\n            "10": "ten",\n            "9": "nine",\n',
    );
    expect(indented).toMatch(/"node_base": \{\n( +) {2}"seen": \{\}\n\1\},/);
    expect(indented).toContain('"matched_rules": [],');
    expect(indented.replace(/\n */g, '').replace(/": /g, '":')).toBe(text);
  });

  it('does not write DNS answers, which the schema has no field for', () => {
    const dump = richDump();
    const request = dump.tree.roots[0]!.dnsNames.get('example.com')!.requests[0]!;
    request.ips.push('93.184.216.34');
    request.cnames.push('edge.example.net');
    const written = writeJsonDump(dump);
    expect(written).toBe(text);
    expect(read(written).tree.roots[0]!.dnsNames.get('example.com')!.requests[0]).toMatchObject({
      ips: [],
      cnames: [],
    });
  });
});

describe('defaults and edge cases', () => {
  it('writes an empty dump with null metadata', () => {
    const text = writeJsonDump(new ActivityDump());
    expect(text).toBe('{"host":"","service":"","source":"","metadata":null,"tags":[],"tree":[]}');
    expectValidSecDumpJson(text);
    expect(writeJsonDump(new ActivityDump(), { indent: 2 })).toBe(
      '{\n  "host": "",\n  "service": "",\n  "source": "",\n  "metadata": null,\n  "tags": [],\n  "tree": []\n}',
    );
  });

  it('writes a bare process with zero fields, tid from the pid and basename from the path', () => {
    const tree = new ActivityTree();
    tree.appendRoot(new ProcessNode({ pid: 7, file: { path: '/usr/bin/env' } }, GenerationType.Runtime));
    const text = writeJsonDump(new ActivityDump({ tree }));
    expectValidSecDumpJson(text);
    expect(text).toContain(
      '{"process":{"pid":7,"tid":7,"ppid":0,"cookie":0,"is_thread":false,"file":{"uid":0,"user":"","gid":0,"group":"","mode":0,"ctime":"0","mtime":"0","mount_id":0,"inode":"0","in_upper_layer":false,"path":"/usr/bin/env","basename":"env",',
    );
    expect(text).toContain(
      '"credentials":{"uid":0,"gid":0,"user":"","group":"","effective_uid":0,"effective_gid":0,"effective_user":"","effective_group":"","fs_uid":0,"fs_gid":0,"fs_user":"","fs_group":"","cap_effective":"0","cap_permitted":"0"},"args":[],"argv0":"","args_truncated":false,"envs":[],"envs_truncated":false,"is_exec_child":false,"cookie64":"0"},"generation_type":"RUNTIME","matched_rules":[],"children":[],"files":[],"dns_names":[],"sockets":[],"syscalls":[],"image_tags":[],"node_base":{"seen":{}},"imds_events":[],"syscall_nodes":[],"network_devices":[],"capability_nodes":[]}',
    );
  });

  it('sorts map keys by code point (UTF-8 byte order), not UTF-16 unit', () => {
    const tree = new ActivityTree();
    const node = new ProcessNode({ pid: 1, file: { path: '/x' } }, 1);
    node.matchedRules = [{ ruleId: 'r', ruleTags: { '\u{10000}': '3', '\uffff': '2', a: '1' } }];
    for (const name of ['\u{1f600}', '\ufb01', 'z']) node.setFile(new FileNode(name, 1, `/${name}`));
    tree.appendRoot(node);
    const text = writeJsonDump(new ActivityDump({ tree }));
    expect(text).toContain('"rule_tags":{"a":"1","\uffff":"2","\u{10000}":"3"}');
    const names = [...text.matchAll(/"name":"([^"]*)"/g)].map((m) => m[1]);
    expect(names).toEqual(['z', '\ufb01', '\u{1f600}']);
  });

  it('never repeats a map key: duplicate image tags keep the first, keys equal once sanitised merge', () => {
    const tree = new ActivityTree();
    const node = new ProcessNode({ pid: 1, file: { path: '/x' } }, 1);
    node.imageTags = tags(['a', 1n, 2n], ['a', 3n, 4n]);
    node.matchedRules = [{ ruleId: 'r', ruleTags: { '\ud800': 'x', '\udc00': 'y' } }];
    tree.appendRoot(node);
    const text = writeJsonDump(new ActivityDump({ tree }));
    expect(text).toContain('"node_base":{"seen":{"a":{"first_seen":"1","last_seen":"2"}}}');
    expect(text).toContain('"rule_tags":{"\ufffd":"x"}');
    expectValidSecDumpJson(text);
  });

  it('escapes strings as protojson does and replaces lone surrogates', () => {
    const tree = new ActivityTree();
    const weird = 'q"b\\s\b\f\n\r\t\u0000\u001f\u007f\u2028é😀\ufffd\ud800x\udc00';
    tree.appendRoot(new ProcessNode({ pid: 1, file: { path: '/x' }, argv0: weird }, 1));
    const text = writeJsonDump(new ActivityDump({ tree }));
    expect(text).toContain(
      '"argv0":"q\\"b\\\\s\\b\\f\\n\\r\\t\\u0000\\u001f\u007f\u2028é😀\ufffd\ufffdx\ufffd",',
    );
    expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
  });

  it('does not use the call stack for deep trees', () => {
    const tree = new ActivityTree();
    const depth = 20_000;
    let node = new ProcessNode({ pid: 1, file: { path: '/p' } }, 1);
    tree.appendRoot(node);
    for (let i = 2; i <= depth; i++) {
      const child = new ProcessNode({ pid: i, file: { path: '/p' } }, 1);
      node.appendChild(child);
      node = child;
    }
    let dir = new FileNode('d', 1);
    node.setFile(dir);
    for (let i = 0; i < depth; i++) {
      const sub = new FileNode('d', 1);
      dir.setChild(sub);
      dir = sub;
    }
    const text = writeJsonDump(new ActivityDump({ tree }));
    let parsed = (JSON.parse(text) as { tree: Json[] }).tree[0] as { children: Json[]; files: Json[] };
    let processes = 1;
    while (parsed.children.length > 0) {
      parsed = parsed.children[0] as typeof parsed;
      processes++;
    }
    expect(processes).toBe(depth);
    expect(parsed.files).toHaveLength(1);
  });

  it('rejects what is not a dump, and bad options', () => {
    expect(() => writeJsonDump({} as ActivityDump)).toThrow(InvalidArgumentError);
    for (const indent of [-1, 1.5, 11, Number.NaN, '2' as unknown as number]) {
      expect(() => writeJsonDump(new ActivityDump(), { indent })).toThrow(InvalidArgumentError);
    }
  });

  it.each([
    ['ProcessInfo.pid', (p: ProcessNode) => (p.process.pid = -1)],
    ['ProcessInfo.tid', (p: ProcessNode) => (p.process.tid = 2 ** 32)],
    ['ProcessInfo.cookie', (p: ProcessNode) => (p.process.cookie = 2n ** 64n)],
    ['ProcessInfo.forkTime', (p: ProcessNode) => (p.process.forkTime = -1n)],
    ['ProcessInfo.argv0', (p: ProcessNode) => (p.process.argv0 = 42 as unknown as string)],
    ['ProcessInfo.args', (p: ProcessNode) => (p.process.args = 'x' as unknown as string[])],
    ['FileInfo.mode', (p: ProcessNode) => (p.process.file.mode = 1.5)],
    ['ProcessNode.generationType', (p: ProcessNode) => (p.generationType = 2 ** 31)],
    ['SyscallNode.syscall', (p: ProcessNode) => p.syscalls.push(new SyscallNode(2 ** 31, 1))],
    ['CapabilityNode.capability', (p: ProcessNode) => p.capabilities.push(new CapabilityNode(-1, true, 1))],
    [
      'OpenNode.retval',
      (p: ProcessNode) =>
        p.setFile(Object.assign(new FileNode('f', 1), { open: { retval: 0.5, flags: 0, mode: 0 } })),
    ],
    ['ImageTagTimes.firstSeen', (p: ProcessNode) => (p.imageTags = tags(['t', -5n, 0n]))],
  ])('names the field of an out-of-range value (%s)', (field, spoil) => {
    const tree = new ActivityTree();
    const node = new ProcessNode({ pid: 1, file: { path: '/x' } }, 1);
    spoil(node);
    tree.appendRoot(node);
    const write = () => writeJsonDump(new ActivityDump({ tree }));
    expect(write).toThrow(InvalidArgumentError);
    expect(write).toThrow(`writeJsonDump: ${field} must be`);
  });
});

// ---- properties -------------------------------------------------------------------------------

// Characters that exercise the escaper and the path splitter: quotes, backslashes, controls,
// DEL, line separators, non-ASCII, astral, the replacement character, JSON punctuation.
const CHARS = ['a', 'b', 'z', '0', '.', '-', '*', ' ', '"', '\\', '\n', '\t', '\u0001', '\u001f', '\u007f'];
CHARS.push('\u2028', 'é', '\ufffd', '😀', '{', '}', '[', ':', ',');
const char = fc.constantFrom(...CHARS);
const text = (maxLength = 6) => fc.array(char, { maxLength }).map((a) => a.join(''));
const segment = fc.array(char, { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
const filePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
const binary = fc.constantFrom('/bin/bash', '/usr/bin/curl', '/opt/"odd"\\dir/é😀', '/usr/bin/py\n');
// Tag keys are never integer-like, so JSON.parse keeps their order (checked by the indent property).
const tagKey = fc.constantFrom('team', 'a b', 'é', '"q"', 'k\\');
const rules = fc.option(
  fc.array(
    fc.record(
      {
        ruleId: fc.constantFrom('r1', 'r2', 'r"3'),
        ruleVersion: text(),
        policyName: text(),
        policyVersion: text(),
        ruleTags: fc.dictionary(tagKey, text(), { maxKeys: 3 }),
      },
      { requiredKeys: ['ruleId'] },
    ),
    { maxLength: 2 },
  ),
  { nil: undefined },
);
const lineage = fc
  .record({
    steps: fc.array(
      fc.record({ path: binary, args: fc.array(text(), { maxLength: 2 }), comm: text(4), tty: text(3) }),
      { minLength: 1, maxLength: 3 },
    ),
    containerId: fc.constantFrom('', 'c1'),
  })
  .map(({ steps, containerId }) => buildLineage(steps, { containerId }));
const u64 = fc.bigInt({ min: 0n, max: MAX_U64 });
const ip = fc.constantFrom('10.0.0.1', '::1', '192.168.1.20', 'fe80::2');

function eventArbitrary(process: fc.Arbitrary<ProcessContext>): fc.Arbitrary<ActivityEvent> {
  const base = fc.record({ process, matchedRules: rules, timestamp: u64 });
  return fc.oneof(
    base.map((b) => event('exec', b.process, b)),
    fc
      .record({
        b: base,
        path: filePath,
        flags: fc.nat(),
        mode: fc.nat(0o7777),
        retval: fc.integer({ min: -200, max: 200 }),
      })
      .map(({ b, path, ...rest }) => event('open', b.process, { ...b, file: { path }, ...rest })),
    fc
      .record({ b: base, name: text(8), type: fc.constantFrom(1, 28, 5) })
      .map(({ b, name, type }) => event('dns', b.process, { ...b, dns: { name: `${name}.example`, type } })),
    fc
      .record({
        b: base,
        family: fc.constantFrom('AF_INET', 'AF_INET6'),
        ip,
        port: fc.nat(65535),
        protocol: fc.constantFrom(0, 6, 17),
      })
      .map(({ b, ...bind }) => event('bind', b.process, { ...b, bind })),
    fc
      .record({
        b: base,
        provider: fc.constantFrom('aws', 'gcp', 'azure'),
        url: text(),
        host: text(3),
        userAgent: text(3),
        v2: fc.boolean(),
        key: text(4),
      })
      .map(({ b, provider, url, host, userAgent, v2, key }) =>
        event('imds', b.process, {
          ...b,
          imds: {
            type: 'request',
            cloudProvider: provider,
            url: `/latest/${url}`,
            host,
            userAgent,
            aws: { isImdsV2: v2, securityCredentials: { accessKeyId: key, expirationRaw: key } },
          },
        }),
      ),
    fc
      .record({ b: base, syscalls: fc.array(fc.nat(450), { maxLength: 5 }) })
      .map(({ b, syscalls }) => event('syscalls', b.process, { ...b, syscalls })),
    fc
      .record({
        b: base,
        attempted: fc.bigInt({ min: 0n, max: 2n ** 41n - 1n }),
        mask: fc.bigInt({ min: 0n, max: 2n ** 41n - 1n }),
      })
      .map(({ b, attempted, mask }) =>
        event('capabilities', b.process, { ...b, attempted, used: attempted & mask }),
      ),
    fc
      .record({
        b: base,
        device: fc.record({
          netns: fc.nat(),
          ifindex: fc.nat(8),
          ifname: fc.constantFrom('eth0', 'lo', 'wg"0'),
        }),
        flows: fc.array(
          fc.record({
            source: fc.record({ ip, port: fc.nat(65535) }),
            destination: fc.record({ ip, port: fc.nat(65535) }),
            l3Protocol: fc.constantFrom(0x0800, 0x86dd),
            l4Protocol: fc.constantFrom(6, 17),
            ingress: fc.record({ dataSize: u64, packetCount: u64 }),
            egress: fc.record({ dataSize: u64, packetCount: u64 }),
          }),
          { maxLength: 3 },
        ),
      })
      .map(({ b, device, flows }) => event('network_flow', b.process, { ...b, device, flows })),
  );
}

const insertOptions = fc.record({
  generationType: fc.integer({ min: 1, max: 4 }),
  imageTag: fc.constantFrom('', 'v1', 'v2', 'img"tag\\'),
});

const dumpArbitrary = fc
  .record({
    processes: fc.array(lineage, { minLength: 1, maxLength: 4 }),
    options: fc.array(insertOptions, { maxLength: 30 }),
    differentiateArgs: fc.boolean(),
    host: text(),
    tags: fc.array(text(), { maxLength: 2 }),
    metadata: fc.option(
      fc.record({ name: text(), start: u64, end: u64, arch: fc.constantFrom('x64', 'arm64') }),
      {
        nil: undefined,
      },
    ),
  })
  .chain((spec) =>
    fc
      .array(eventArbitrary(fc.constantFrom(...spec.processes)), {
        minLength: spec.options.length,
        maxLength: spec.options.length,
      })
      .map((events) => {
        const tree = new ActivityTree({ differentiateArgs: spec.differentiateArgs });
        for (let i = 0; i < events.length; i++) tree.insert(events[i]!, spec.options[i]);
        return new ActivityDump({
          host: spec.host,
          tags: spec.tags,
          metadata:
            spec.metadata === undefined
              ? undefined
              : emptyMetadata({ ...spec.metadata, differentiateArgs: spec.differentiateArgs }),
          tree,
        });
      }),
  );

describe('properties', () => {
  it('random trees write valid SecDump JSON that reads back to the same dump', () => {
    fc.assert(
      fc.property(dumpArbitrary, (dump) => {
        const text = expectRoundTrip(dump);
        expectValidSecDumpJson(text);
        // Indented text is JSON.stringify's layout of the same document.
        expect(writeJsonDump(dump, { indent: 2 })).toBe(JSON.stringify(JSON.parse(text), null, 2));
      }),
      { numRuns: 150 },
    );
  });

  it('any UTF-16 string is escaped as protojson escapes its UTF-8 sanitised form', () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(anyUnit, char), maxLength: 12 }), (s) => {
        const tree = new ActivityTree();
        const node = new ProcessNode({ pid: 1, file: { path: `/d/${s}` }, argv0: s, args: [s, s] }, 1);
        node.matchedRules = [{ ruleId: s, ruleTags: { [s]: s } }];
        node.imageTags = tags([`t${s}`, 1n, 1n]);
        node.setFile(new FileNode(s, 1, `/${s}`));
        tree.appendRoot(node);
        const text = writeJsonDump(new ActivityDump({ host: s, tree }));
        const clean = sanitise(s);
        expect(text).toContain(`"argv0":${goQuote(clean)},`);
        expect(text).toContain(`"rule_tags":{${goQuote(clean)}:${goQuote(clean)}}`);
        expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text); // no lone surrogates left
        const parsed = JSON.parse(text) as { host: string };
        expect(parsed.host).toBe(clean);
        strictParse(text);
        expect(JSON.parse(writeJsonDump(new ActivityDump({ host: s, tree }), { indent: 3 }))).toEqual(parsed);
      }),
      { numRuns: 500 },
    );
  });
});

/** Lone surrogates replaced by U+FFFD, as a UTF-8 encoder with replacement does. */
function sanitise(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else {
        out += '\ufffd';
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\ufffd';
    } else {
      out += s[i];
    }
  }
  return out;
}

/** Go's protojson string escaping (internal/encoding/json appendString), for well-formed text. */
function goQuote(s: string): string {
  const short: Record<string, string> = {
    '"': '\\"',
    '\\': '\\\\',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
  };
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (short[ch] !== undefined) out += short[ch];
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
