import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActivityDump } from '../../src/dump/activity-dump.js';
import { emptyMetadata } from '../../src/dump/dump-metadata.js';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/encoding/decode-limits.js';
import {
  SecDumpSchema,
  SecurityProfileSchema,
} from '../../src/encoding/gen/datadog/cws/dumpsv1/activity_dump_pb.js';
import {
  decodeSecurityProfile,
  encodeSecurityProfile,
  NO_SELECTOR_MESSAGE,
} from '../../src/encoding/protobuf/profile-codec.js';
import { decodeSecDump, encodeSecDump } from '../../src/encoding/protobuf/sec-dump-codec.js';
import { CorruptInputError, InputTooLargeError, InvalidArgumentError } from '../../src/errors.js';
import type { ImdsInfo, NetworkFlow } from '../../src/events/activity-event.js';
import { HashState } from '../../src/events/file-info.js';
import type { ProcessInfo } from '../../src/events/process.js';
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

const LIMITS: DecodeLimits = { ...DEFAULT_DECODE_LIMITS };
const ADV1 = join(DATADOG_FIXTURES, 'dumps', 'adv1.protobuf');
const hasAdv1 = existsSync(ADV1);
const ADV1_MISSING = hasDatadogFixtures ? `${ADV1} not found; skipping adv1 tests` : MISSING_FIXTURES_REASON;
const SUITE = join(DATADOG_FIXTURES, 'activity-tree-suite');
const hasSuite = existsSync(SUITE);
const SUITE_MISSING = hasDatadogFixtures
  ? `${SUITE} not found; skipping suite tests`
  : MISSING_FIXTURES_REASON;

const U64_MAX = (1n << 64n) - 1n;

function decode(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): ActivityDump {
  return decodeSecDump(bytes, { ...LIMITS, ...limits });
}

function roundTrip(dump: ActivityDump): ActivityDump {
  return decode(encodeSecDump(dump));
}

function readAdv1(): Uint8Array {
  return new Uint8Array(readFileSync(ADV1));
}

/** Every file node under a process node (all of them, not only the leaves the stats count). */
function fileNodes(node: ProcessNode): FileNode[] {
  const out: FileNode[] = [];
  const stack = [...node.files];
  while (stack.length > 0) {
    const f = stack.pop()!;
    out.push(f);
    stack.push(...f.children);
  }
  return out;
}

function allFileNodes(dump: ActivityDump): FileNode[] {
  return [...dump.tree.processNodes()].flatMap(fileNodes);
}

type Outcome = 'ok' | CorruptInputError | InputTooLargeError;

/** Runs a decode; returns 'ok' or the library error, and fails on any other error or a slow decode. */
function outcome(run: () => unknown, maxMs = 1000): Outcome {
  const start = performance.now();
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof CorruptInputError) {
      expect(error.code).toBe('AD_ERR_CORRUPT_INPUT');
      return error;
    }
    if (error instanceof InputTooLargeError) {
      expect(error.code).toBe('AD_ERR_INPUT_TOO_LARGE');
      return error;
    }
    throw new Error(`unexpected error: ${String(error)}`, { cause: error });
  } finally {
    expect(performance.now() - start).toBeLessThan(maxMs);
  }
}

function corrupt(run: () => unknown): CorruptInputError {
  const result = outcome(run);
  if (!(result instanceof CorruptInputError))
    throw new Error(`expected CorruptInputError, got ${String(result)}`);
  return result;
}

function tooLarge(run: () => unknown, maxMs = 1000): InputTooLargeError {
  const result = outcome(run, maxMs);
  if (!(result instanceof InputTooLargeError))
    throw new Error(`expected InputTooLargeError, got ${String(result)}`);
  return result;
}

// ---- raw wire helpers (for crafted inputs) --------------------------------------------------------

function varint(value: bigint | number): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function key(field: number, wireType: number): number[] {
  return varint((field << 3) | wireType);
}

function lenField(field: number, payload: number[]): number[] {
  return [...key(field, 2), ...varint(payload.length), ...payload];
}

function strField(field: number, text: string): number[] {
  return lenField(field, [...new TextEncoder().encode(text)]);
}

function varintField(field: number, value: bigint | number): number[] {
  return [...key(field, 0), ...varint(value)];
}

function bytes(...parts: number[][]): Uint8Array {
  return new Uint8Array(parts.flat());
}

/** A process node (SecDump.tree element payload) for `/bin/<name>`. */
function processPayload(name: string, ...extra: number[][]): number[] {
  return [
    ...lenField(1, [...varintField(1, 42), ...lenField(6, strField(11, `/bin/${name}`))]),
    ...extra.flat(),
  ];
}

// ---- a hand-built dump with every node kind --------------------------------------------------------

function rich(): ActivityDump {
  const info: ProcessInfo = {
    pid: 4_294_967_295,
    tid: 12,
    ppid: 1,
    cookie: U64_MAX,
    isThread: true,
    file: {
      path: '/usr/bin/ünïcode-app',
      basename: 'ünïcode-app',
      inode: U64_MAX - 1n,
      mountId: 7,
      mode: 0o100755,
      uid: 1000,
      gid: 1001,
      user: 'app',
      group: 'app',
      ctime: 1_700_000_000_123_456_789n,
      mtime: U64_MAX,
      filesystem: 'overlay',
      inUpperLayer: true,
      packageName: 'app',
      packageVersion: '1.2.3',
      packageSrcVersion: '1.2',
      packageEpoch: 0,
      packageRelease: '',
      packageSrcEpoch: 4_294_967_295,
      packageSrcRelease: 'r1',
      hashes: ['sha256:abc', 'sha1:def'],
      hashState: HashState.DONE,
    },
    containerId: 'c'.repeat(64),
    tty: 'pts/0',
    comm: 'app',
    forkTime: 1n,
    execTime: U64_MAX - 2n,
    exitTime: 1_800_000_000_000_000_000n,
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
      capEffective: U64_MAX,
      capPermitted: 0x1ff_ffff_ffffn,
    },
    argv0: 'app',
    args: ['--flag', '', 'emoji 🎉', 'x'.repeat(300)],
    argsTruncated: true,
    envs: ['PATH=/bin', 'HOME'],
    envsTruncated: true,
    isExecExec: true,
  };
  const tags = (tag: string, first: bigint, last: bigint) => [
    { tag, firstSeen: first, lastSeen: last },
    { tag: `${tag}-2`, firstSeen: 0n, lastSeen: U64_MAX },
  ];
  const rule = {
    ruleId: 'rule_1',
    ruleVersion: '1.0',
    policyName: 'default',
    policyVersion: '42',
    ruleTags: { severity: 'high', team: '' },
  };
  // A `__proto__` rule tag must stay a plain key (object literals would treat it as the prototype).
  Object.defineProperty(rule.ruleTags, '__proto__', {
    value: 'plain key',
    enumerable: true,
    writable: true,
    configurable: true,
  });

  const root = new ProcessNode(info, GenerationType.ProfileDrift);
  root.matchedRules = [rule, { ruleId: 'rule_2' }];
  root.imageTags = tags('v1', 10n, U64_MAX);

  const etc = new FileNode('etc', GenerationType.WorkloadWarmup);
  const passwd = new FileNode('passwd', GenerationType.Runtime, '/etc/passwd');
  passwd.open = { retval: -13, flags: 0x80000, mode: 0o644 };
  passwd.matchedRules = [rule];
  passwd.imageTags = tags('v1', 1n, 2n);
  const pattern = new FileNode('sess-*', GenerationType.Snapshot, {
    path: '/etc/sess-*',
    basename: 'sess-*',
    inode: 99n,
    mode: 0o100600,
  });
  pattern.open = { retval: 2 ** 40, flags: 0xffff_ffff, mode: 0 };
  pattern.firstSeen = 1_660_751_842_502_407_424n;
  const bare = new FileNode('no-basename', GenerationType.Runtime, { path: '/etc/no-basename' });
  const dir = new FileNode('opened-dir', GenerationType.Runtime);
  dir.open = { retval: 0, flags: 0, mode: 0 };
  etc.setChild(passwd);
  etc.setChild(pattern);
  etc.setChild(bare);
  etc.setChild(dir);
  root.setFile(etc);
  root.setFile(new FileNode('lone', GenerationType.Unknown, '/lone'));

  const dns = new DnsNode(GenerationType.Runtime);
  dns.requests.push(
    { name: 'example.com', type: 1, class: 1, size: 29, count: 1, ips: [], cnames: [] },
    { name: 'example.com', type: 28, class: 1, size: 65535, count: 2, ips: [], cnames: [] },
  );
  dns.matchedRules = [rule];
  dns.imageTags = tags('v1', 5n, 6n);
  root.dnsNames.set('example.com', dns);

  const inet = new SocketNode('AF_INET', GenerationType.Runtime);
  const bind = new BindNode(8080, '0.0.0.0', 6, GenerationType.Runtime);
  bind.matchedRules = [rule];
  bind.imageTags = tags('v1', 7n, 8n);
  inet.binds.push(bind, new BindNode(0, '', 0, GenerationType.Runtime));
  root.sockets.push(inet, new SocketNode('AF_INET6', GenerationType.Runtime));

  const aws: ImdsInfo = {
    type: 'response',
    cloudProvider: 'aws',
    url: '/latest/meta-data/iam/security-credentials/role',
    host: '169.254.169.254',
    userAgent: 'curl/8',
    server: 'EC2ws',
    aws: {
      isImdsV2: true,
      securityCredentials: {
        code: 'Success',
        type: 'AWS-HMAC',
        accessKeyId: 'ASIAEXAMPLE',
        lastUpdated: '2024-05-02T10:00:00Z',
        expirationRaw: '2024-05-02T16:00:00Z',
      },
    },
  };
  const gcp: ImdsInfo = { type: 'request', cloudProvider: 'gcp', url: '/computeMetadata/v1/' };
  for (const event of [aws, gcp]) {
    const imds = new ImdsNode(normalizeImds(event), GenerationType.Runtime);
    imds.matchedRules = [rule];
    imds.imageTags = tags('v1', 9n, 10n);
    root.imdsEvents.set(imdsKey(imds.event), imds);
  }

  for (const nr of [0, 59, 322, -1]) {
    const s = new SyscallNode(nr, GenerationType.Runtime);
    if (nr === 59) s.imageTags = tags('v1', 11n, 12n);
    root.syscalls.push(s);
  }
  const cap = new CapabilityNode(21, true, GenerationType.Runtime);
  cap.imageTags = tags('v1', 13n, 14n);
  root.capabilities.push(cap, new CapabilityNode(0, false, GenerationType.Runtime));

  const device = new NetworkDeviceNode(
    { netns: 4_026_531_840, ifindex: 2, ifname: 'eth0' },
    GenerationType.Runtime,
  );
  device.matchedRules = [rule];
  const flows: NetworkFlow[] = [
    {
      source: { ip: '10.0.0.1', port: 443 },
      destination: { ip: '10.0.0.2', port: 55_000 },
      l3Protocol: 0x0800,
      l4Protocol: 6,
      ingress: { dataSize: U64_MAX, packetCount: 1n },
      egress: { dataSize: 0n, packetCount: U64_MAX },
    },
    { source: { ip: '::1', port: 53 }, destination: { ip: '::1', port: 0 }, l4Protocol: 17 },
  ];
  for (const flow of flows) {
    const node = new FlowNode(flow, GenerationType.Runtime);
    node.imageTags = tags('v1', 15n, 16n);
    device.flows.set(flowKey(flow), node);
  }
  root.networkDevices.set(deviceKey(device.device), device);
  root.networkDevices.set(
    '0|0|',
    new NetworkDeviceNode({ netns: 0, ifindex: 0, ifname: '' }, GenerationType.Runtime),
  );

  const child = new ProcessNode({ pid: 43, file: { path: '/bin/sh' } }, GenerationType.WorkloadWarmup);
  const grandchild = new ProcessNode({ pid: 0, file: { path: '' } }, GenerationType.Unknown);
  child.appendChild(grandchild);
  root.appendChild(child);
  const second = new ProcessNode({ pid: 7, file: { path: '/bin/second' }, cookie: 0n }, 100);

  const tree = new ActivityTree({ differentiateArgs: true });
  tree.appendRoot(root);
  tree.appendRoot(second);
  tree.recountNodes();
  return new ActivityDump({
    host: 'host-1',
    service: 'svc',
    source: 'runtime-security-agent',
    tags: ['image_name:app', 'image_tag:v1', 'host:host-1', 'service:svc', 'source:runtime-security-agent'],
    metadata: emptyMetadata({
      agentVersion: '7.60.0',
      agentCommit: 'abc',
      kernelVersion: '6.1',
      linuxDistribution: 'Debian',
      arch: 'x64',
      name: 'activity-dump-AbCdEfGhIj',
      protobufVersion: 'v1',
      differentiateArgs: true,
      comm: 'app',
      containerId: 'c'.repeat(64),
      start: 1_700_000_000_000_000_000n,
      end: U64_MAX,
      size: 123n,
      serialization: 'protobuf',
      cgroupId: '/sys/fs/cgroup/x',
      cgroupManager: 'docker',
    }),
    tree,
  });
}

// ---- adv1.protobuf ---------------------------------------------------------------------------------

describe.skipIf(!hasAdv1)('adv1.protobuf (agent 7.39 dump)', () => {
  if (!hasAdv1) console.warn(ADV1_MISSING);

  it('decodes the tree, legacy fields included', () => {
    const dump = decode(readAdv1());
    expect(dump.host).toBe('ubuntu-paulcacheux-vm');
    expect(dump.source).toBe('runtime-security-agent');
    expect(dump.tags).toEqual(['host:ubuntu-paulcacheux-vm', 'source:runtime-security-agent']);
    expect(dump.metadata).toEqual(
      emptyMetadata({
        agentVersion: '7.39.0-rc.2+git.16.3bd53e8',
        agentCommit: '3bd53e80e4',
        kernelVersion: '5.15.39',
        linuxDistribution: 'Ubuntu 22.04.1 LTS',
        arch: 'arm64',
        name: 'activity-dump-YYOOqLSQPZ',
        protobufVersion: 'v1',
        differentiateArgs: true,
        comm: 'python3',
        start: 1_660_751_842_482_903_510n,
        end: 1_660_751_842_862_040_169n,
        serialization: 'protobuf',
      }),
    );
    expect(dump.tree.differentiateArgs).toBe(true);

    const processes = [...dump.tree.processNodes()];
    expect(processes.map((p) => p.process.file.path)).toEqual(['/usr/bin/python3.10', '/usr/bin/dash']);
    const [python, dash] = processes as [ProcessNode, ProcessNode];
    expect(dump.tree.roots).toEqual([python]);
    expect(python.children).toEqual([dash]);
    expect(dash.parent).toBe(python);
    expect(python.generationType).toBe(GenerationType.Runtime);
    // The cookie is in the legacy 32-bit field.
    expect(python.process.cookie).toBe(2_505_791_108n);
    expect(dash.process.cookie).toBe(3_324_336_179n);
    expect(python.process.execTime).toBe(1_660_751_842_487_536_478n);
    expect(dash.process.args).toEqual(['-c', 'exit 1']);
    expect(python.process.envs).toContain(
      'PATH=/home/vagrant/go/bin:/usr/local/go/bin:/home/vagrant/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin',
    );
    expect(python.process.envsTruncated).toBe(true);
    expect(python.process.credentials?.user).toBe('vagrant');

    // Legacy packed syscalls become Runtime syscall nodes.
    expect(python.syscalls).toHaveLength(36);
    expect(dash.syscalls.map((s) => s.syscall)).toEqual([
      48, 56, 57, 63, 79, 94, 96, 99, 134, 172, 173, 174, 175, 176, 177, 214, 215, 221, 222, 226, 261, 278,
      293,
    ]);
    expect(new Set([...python.syscalls, ...dash.syscalls].map((s) => s.generationType))).toEqual(
      new Set([GenerationType.Runtime]),
    );

    const files = allFileNodes(dump);
    expect(files).toHaveLength(84);
    expect(files.filter((f) => f.hasFile)).toHaveLength(44);
    expect(files.filter((f) => f.open !== undefined)).toHaveLength(47);
    expect(dump.tree.stats.fileNodes).toBe(44);
    const star = files.find((f) => f.name === 'aaaaa*');
    expect(star?.isPattern).toBe(true);
    const ldCache = dash.file('etc')?.child('ld.so.cache');
    expect(ldCache?.file?.path).toBe('/etc/ld.so.cache');
    expect(ldCache?.firstSeen).toBe(1_660_751_842_502_407_424n);
    expect(ldCache?.open).toEqual({ retval: 3, flags: 524_288, mode: 0 });
  });

  it('round-trips through our encoder with every value exact', () => {
    const first = decode(readAdv1());
    const bytes = encodeSecDump(first);
    const second = decode(bytes);
    expect(canonicalDump(second)).toEqual(canonicalDump(first));
    const times = (d: ActivityDump) =>
      [...d.tree.processNodes()].flatMap((p) => [
        p.process.forkTime,
        p.process.execTime,
        p.process.exitTime,
        p.process.file.ctime,
        p.process.file.mtime,
        ...fileNodes(p).flatMap((f) => [f.firstSeen, f.file?.ctime, f.file?.mtime, f.file?.inode]),
      ]);
    expect(times(second)).toEqual(times(first));
    expect(times(first).filter((t) => typeof t === 'bigint' && t > 2n ** 60n).length).toBeGreaterThan(50);
    // Re-encoding is stable (the file order of a decoded tree is deterministic).
    expect(encodeSecDump(second)).toEqual(bytes);
  });

  it('writes what protobuf-es reads as the same dump, legacy fields translated', () => {
    const original = fromBinary(SecDumpSchema, readAdv1());
    const ours = fromBinary(SecDumpSchema, encodeSecDump(decode(readAdv1())));
    const expected = toJson(SecDumpSchema, original) as { tree: JsonObject[] };
    // The translations the encoder makes: cookie → cookie64, syscalls → syscall_nodes,
    // is_pattern from the name.
    const translate = (node: JsonObject): void => {
      const process = node.process as JsonObject;
      if (process.cookie !== undefined) {
        process.cookie64 = String(process.cookie);
        delete process.cookie;
      }
      if (Array.isArray(node.syscalls)) {
        node.syscallNodes = node.syscalls.map((syscall) => ({ syscall }));
        delete node.syscalls;
      }
      const patterns = (file: JsonObject): void => {
        if (String(file.name).includes('*')) file.isPattern = true;
        for (const child of (file.children as JsonObject[] | undefined) ?? []) patterns(child);
      };
      for (const file of (node.files as JsonObject[] | undefined) ?? []) patterns(file);
      for (const child of (node.children as JsonObject[] | undefined) ?? []) translate(child);
    };
    for (const root of expected.tree) translate(root);
    expect(sortFiles(toJson(SecDumpSchema, ours))).toEqual(sortFiles(expected as unknown as JsonValue));
    // No legacy field is written.
    const legacy = (node: (typeof ours.tree)[number]): void => {
      expect(node.process?.cookie).toBe(0);
      expect(node.syscalls).toEqual([]);
      expect(node.imageTags).toEqual([]);
      for (const child of node.children) legacy(child);
    };
    for (const root of ours.tree) legacy(root);
  });

  it('reads what protobuf-es writes (from our bytes and from the original)', () => {
    const ours = decode(readAdv1());
    const viaEs = toBinary(SecDumpSchema, fromBinary(SecDumpSchema, encodeSecDump(ours)));
    expect(canonicalDump(decode(viaEs))).toEqual(canonicalDump(ours));
    // protobuf-es keeps the legacy fields of the original: we must read them the same way.
    const originalViaEs = toBinary(SecDumpSchema, fromBinary(SecDumpSchema, readAdv1()));
    expect(canonicalDump(decode(originalViaEs))).toEqual(canonicalDump(ours));
  });

  it('survives every truncation with a typed error', () => {
    const adv1 = readAdv1();
    let errors = 0;
    for (let n = 0; n < adv1.length; n++) {
      const result = outcome(() => decode(adv1.subarray(0, n)), 500);
      if (result !== 'ok') errors++;
    }
    // Cuts at a top-level field boundary are complete messages.
    expect(errors).toBeGreaterThan(adv1.length * 0.99);
  });

  it('survives bit flips with a typed error or a dump', () => {
    const adv1 = readAdv1();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(adv1.length - 1), fc.nat(7)), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const copy = adv1.slice();
          for (const [at, bit] of flips) copy[at]! ^= 1 << bit;
          outcome(() => decode(copy), 500);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('names the field path and offset of a corruption', () => {
    const adv1 = readAdv1();
    expect(corrupt(() => decode(adv1.subarray(0, 9000))).message).toMatch(
      /^tree\[0\]: length prefix \d+ exceeds the \d+ bytes left \(at byte \d+\)$/,
    );
    // Give the first `ld.so.cache` file node name (in the child process) an invalid wire type.
    const copy = adv1.slice();
    const at = Buffer.from(copy).indexOf('ld.so.cache') - 2;
    expect(copy[at]).toBe(0x0a);
    copy[at] = 0x0f;
    expect(corrupt(() => decode(copy)).message).toMatch(
      new RegExp(
        `^tree\\[0\\]\\.children\\[0\\]\\.files\\[\\d+\\]\\.children\\[\\d+\\]: invalid tag 15 \\(at byte ${at}\\)$`,
      ),
    );
  });
});

type JsonObject = { [key: string]: JsonValue };

/** The JSON with every `files`/`children` list of file nodes sorted by name (file order is a map's). */
function sortFiles(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortFiles);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) out[k] = sortFiles(v);
  for (const k of ['files', 'children']) {
    const list = out[k];
    if (Array.isArray(list) && list.every((e) => e !== null && typeof e === 'object' && 'name' in e)) {
      out[k] = [...list].sort((a, b) =>
        String((a as JsonObject).name).localeCompare(String((b as JsonObject).name)),
      );
    }
  }
  return out;
}

// ---- shared suite trees ------------------------------------------------------------------------------

const suiteTrees = hasSuite
  ? readdirSync(SUITE)
      .filter((f) => f.endsWith('_input_tree.json') || f.endsWith('_wanted_tree.json'))
      .sort()
  : [];

describe.skipIf(!hasSuite)('activity-tree suite trees', () => {
  if (!hasSuite) console.warn(SUITE_MISSING);

  it('finds the trees', () => {
    expect(suiteTrees.length).toBeGreaterThan(30);
  });

  it.each(suiteTrees)('%s round-trips through protobuf', (name) => {
    const dump = decodeDump(readFileSync(join(SUITE, name)), { format: 'json' });
    const back = roundTrip(dump);
    expect(canonicalDump(back)).toEqual(canonicalDump(dump));
    expect(back.tree.differentiateArgs).toBe(dump.tree.differentiateArgs);
    expect(back.tree.stats.processNodes).toBe(dump.tree.stats.processNodes);
  });
});

// ---- every node kind -----------------------------------------------------------------------------------

describe('SecDump codec', () => {
  it('round-trips a dump with every node kind, generation types 3 and 4 and 64-bit extremes', () => {
    const dump = rich();
    const back = roundTrip(dump);
    expect(canonicalDump(back)).toEqual(canonicalDump(dump));
    const root = back.tree.roots[0]!;
    expect(root.generationType).toBe(GenerationType.ProfileDrift);
    expect(root.children[0]!.generationType).toBe(GenerationType.WorkloadWarmup);
    expect(back.tree.roots[1]!.generationType).toBe(100);
    expect(root.process.cookie).toBe(U64_MAX);
    expect(root.matchedRules?.[0]?.ruleTags).toEqual(dump.tree.roots[0]!.matchedRules?.[0]?.ruleTags);
    expect(Object.getPrototypeOf(root.matchedRules?.[0]?.ruleTags)).toBe(Object.prototype);
    expect(root.syscalls.map((s) => s.syscall)).toEqual([0, 59, 322, -1]);
    expect(root.file('etc')?.child('sess-*')?.firstSeen).toBe(1_660_751_842_502_407_424n);
    expect(root.file('etc')?.child('passwd')?.open?.retval).toBe(-13);
    expect(root.file('etc')?.child('sess-*')?.open?.retval).toBe(2 ** 40);
    expect(back.tree.stats).toEqual(dump.tree.stats);
    expect(back.tree.differentiateArgs).toBe(true);
  });

  it('writes current fields in ascending order that protobuf-es reads', () => {
    const dump = rich();
    const bytes = encodeSecDump(dump);
    const message = fromBinary(SecDumpSchema, bytes);
    const root = message.tree[0]!;
    expect(root.process?.cookie64).toBe(U64_MAX);
    expect(root.process?.cookie).toBe(0);
    expect(root.generationType).toBe(3);
    expect(root.children[0]?.generationType).toBe(4);
    expect(root.nodeBase?.seen.v1).toEqual(expect.objectContaining({ firstSeen: 10n, lastSeen: U64_MAX }));
    expect(root.syscallNodes.map((s) => s.syscall)).toEqual([0, 59, 322, -1]);
    const etc = root.files.find((f) => f.name === 'etc')!;
    expect(etc.children.find((f) => f.name === 'sess-*')?.isPattern).toBe(true);
    expect(etc.children.find((f) => f.name === 'passwd')?.isPattern).toBe(false);
    const imds = root.imdsEvents.map((i) => i.event!);
    expect(imds.find((e) => e.cloudProvider === 'aws')?.aws?.securityCredentials?.accessKeyId).toBe(
      'ASIAEXAMPLE',
    );
    expect(imds.find((e) => e.cloudProvider === 'gcp')?.aws).toBeUndefined();
    expect(message.metadata?.end).toBe(U64_MAX);
    // protobuf-es's own encoding of it decodes to the same dump.
    expect(canonicalDump(decode(toBinary(SecDumpSchema, message)))).toEqual(canonicalDump(dump));
    // Top-level fields come in ascending field-number order: host=1 … tree=6.
    const order: number[] = [];
    for (let pos = 0; pos < bytes.length; ) {
      const field = bytes[pos]! >> 3;
      order.push(field);
      pos++;
      if ((bytes[pos - 1]! & 7) !== 2) throw new Error('unexpected wire type');
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = bytes[pos++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) break;
      }
      pos += len;
    }
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  });

  it("writes the model's default tid and basename, and reads absent ones as zero values", () => {
    const dump = new ActivityDump();
    const node = new ProcessNode({ pid: 42, file: { path: '/usr/bin/env' } }, GenerationType.Runtime);
    node.setFile(new FileNode('x', GenerationType.Runtime, { path: '/x/y' }));
    node.appendChild(new ProcessNode({ pid: 43, tid: 0, file: { path: '/bin/sh', basename: '' } }, 1));
    dump.tree.appendRoot(node);
    const message = fromBinary(SecDumpSchema, encodeSecDump(dump));
    expect(message.tree[0]?.process?.tid).toBe(42);
    expect(message.tree[0]?.process?.file?.basename).toBe('env');
    expect(message.tree[0]?.files[0]?.file?.basename).toBe('y');
    const back = roundTrip(dump);
    expect(back.tree.roots[0]!.process.tid).toBe(42);
    expect(back.tree.roots[0]!.children[0]!.process).toEqual({
      pid: 43,
      tid: 0,
      file: { path: '/bin/sh', basename: '' },
    });
    expect(canonicalDump(back)).toEqual(canonicalDump(dump));
  });

  it('writes image-tag times of every magnitude, for ASCII and other tags', () => {
    const values: bigint[] = [0n, U64_MAX];
    for (let e = 0n; e < 64n; e++) values.push((1n << e) - 1n, 1n << e, (1n << e) + 1n);
    for (const tag of ['v1', 'ü-tag', 'x'.repeat(200)]) {
      const dump = new ActivityDump();
      const node = new ProcessNode({ pid: 1, file: { path: '/x' } }, GenerationType.Runtime);
      node.imageTags = values.map((v, i) => ({ tag: `${tag}-${i}`, firstSeen: v, lastSeen: values[i ^ 1]! }));
      dump.tree.appendRoot(node);
      const bytes = encodeSecDump(dump);
      const seen = fromBinary(SecDumpSchema, bytes).tree[0]!.nodeBase!.seen;
      values.forEach((v, i) => {
        expect(seen[`${tag}-${i}`]?.firstSeen).toBe(v);
        expect(seen[`${tag}-${i}`]?.lastSeen).toBe(values[i ^ 1]);
      });
      expect(decode(bytes).tree.roots[0]!.imageTags).toEqual(node.imageTags);
    }
  });

  it('keeps empty metadata apart from no metadata', () => {
    const none = new ActivityDump();
    expect(encodeSecDump(none)).toEqual(new Uint8Array(0));
    expect(roundTrip(none).metadata).toBeUndefined();
    const empty = new ActivityDump({ metadata: emptyMetadata() });
    expect(roundTrip(empty).metadata).toEqual(emptyMetadata());
  });

  it('replaces lone surrogates with U+FFFD and invalid UTF-8 with replacement characters', () => {
    const dump = new ActivityDump({ host: 'a\ud800b', tags: ['\udc00'] });
    const back = roundTrip(dump);
    expect(back.host).toBe('a\ufffdb');
    expect(back.tags).toEqual(['\ufffd']);
    const invalid = decode(bytes([...key(1, 2), 3, 0x61, 0xff, 0x62]));
    expect(invalid.host).toBe('a\ufffdb');
    // A leading U+FEFF is text, not a byte-order mark.
    expect(roundTrip(new ActivityDump({ host: '\ufeffx' })).host).toBe('\ufeffx');
  });

  it('round-trips random process and file details (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    const u32 = fc.nat({ max: 0xffff_ffff });
    const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
    const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const processArb = fc.record({
      pid: u32,
      tid: opt(u32),
      cookie: opt(u64),
      execTime: opt(u64),
      comm: opt(text),
      args: opt(fc.array(text, { maxLength: 4 })),
      isExecExec: opt(fc.boolean()),
      file: fc.record({
        path: text,
        basename: opt(text),
        inode: opt(u64),
        mode: opt(fc.nat({ max: 0xffff })),
        packageEpoch: opt(u32),
        packageRelease: opt(text),
        hashes: opt(fc.array(text, { maxLength: 3 })),
      }),
    });
    const pathArb = fc
      .array(fc.stringMatching(/^[a-z*.\u00e9\u4e2d]{1,6}$/), { minLength: 1, maxLength: 4 })
      .map((parts) => `/${parts.join('/')}`);
    fc.assert(
      fc.property(
        processArb,
        fc.array(fc.tuple(pathArb, fc.integer({ min: -4096, max: 2 ** 31 }), u32), { maxLength: 12 }),
        fc.integer({ min: 0, max: 4 }),
        (info, opens, generationType) => {
          const tree = new ActivityTree({ pathsReducer: null });
          const process = {
            ...info,
            ancestors: [{ pid: 1, file: { path: '/sbin/init', inode: 1n, mountId: 1 } }],
          };
          tree.insert({ type: 'exec', process }, { generationType: Math.max(1, generationType) });
          for (const [path, retval, flags] of opens) {
            tree.insert(
              { type: 'open', process, file: { path }, retval, flags, timestamp: 5n },
              { generationType: Math.max(1, generationType), imageTag: 'tag' },
            );
          }
          const dump = new ActivityDump({ tree, tags: ['a:b'] });
          expect(canonicalDump(roundTrip(dump))).toEqual(canonicalDump(dump));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses values outside their wire range with InvalidArgumentError', () => {
    const bad = (info: Partial<ProcessInfo>) => {
      const dump = new ActivityDump();
      dump.tree.appendRoot(new ProcessNode({ pid: 1, file: { path: '/x' }, ...info }, 1));
      return () => encodeSecDump(dump);
    };
    expect(bad({ pid: -1 })).toThrow(InvalidArgumentError);
    expect(bad({ pid: 1.5 })).toThrow(InvalidArgumentError);
    expect(bad({ cookie: 1n << 64n })).toThrow(InvalidArgumentError);
    expect(bad({ execTime: -1n })).toThrow(InvalidArgumentError);
  });
});

// ---- legacy and unusual wire shapes --------------------------------------------------------------------

describe('SecDump decoder compatibility', () => {
  it('reads the July 2023 node-level is_exec_child, unpacked syscalls and legacy image tags', () => {
    const node = processPayload(
      'a',
      varintField(10, 1),
      varintField(7, 59),
      varintField(7, 60),
      varintField(7, 59),
      lenField(7, [...varint(61), ...varint(59)]),
      lenField(12, varintField(2, 60)),
      strField(10, 'old-tag'),
      // node_base.seen: {new-tag: {1, 2}} written twice: the last entry of a key wins.
      lenField(
        14,
        lenField(1, [
          ...strField(1, 'new-tag'),
          ...lenField(2, [...varintField(1, 9), ...varintField(2, 9)]),
        ]),
      ),
      lenField(
        14,
        lenField(1, [
          ...strField(1, 'new-tag'),
          ...lenField(2, [...varintField(1, 1), ...varintField(2, 2)]),
        ]),
      ),
      // Field 14 as a varint was process first_seen for a few days in 2025: ignored.
      varintField(14, 123),
      varintField(15, 456),
    );
    const dump = decode(bytes(lenField(6, node)));
    const root = dump.tree.roots[0]!;
    expect(root.process.isExecExec).toBe(true);
    expect(root.syscalls.map((s) => [s.syscall, s.generationType])).toEqual([
      [60, GenerationType.Runtime],
      [59, GenerationType.Runtime],
      [61, GenerationType.Runtime],
    ]);
    expect(root.imageTags).toEqual([
      { tag: 'new-tag', firstSeen: 1n, lastSeen: 2n },
      { tag: 'old-tag', firstSeen: 0n, lastSeen: 0n },
    ]);
    expect(dump.tree.stats.syscallNodes).toBe(3);
  });

  it('prefers cookie64 and falls back to the 32-bit cookie', () => {
    const cookieDump = (...fields: number[][]) =>
      decode(bytes(lenField(6, lenField(1, fields.flat())))).tree.roots[0]!.process.cookie;
    expect(cookieDump(varintField(4, 7))).toBe(7n);
    expect(cookieDump(varintField(4, 7), varintField(22, U64_MAX))).toBe(U64_MAX);
    expect(cookieDump(varintField(22, 0), varintField(4, 7))).toBe(7n);
    expect(cookieDump()).toBeUndefined();
  });

  it('skips unknown fields of every wire type, groups and mismatched wire types', () => {
    const unknown = [
      ...varintField(99, 5),
      ...key(98, 1),
      ...[1, 2, 3, 4, 5, 6, 7, 8],
      ...key(97, 5),
      ...[1, 2, 3, 4],
      ...strField(96, 'x'),
      ...key(95, 3),
      ...varintField(1, 1),
      ...key(94, 3),
      ...key(94, 4),
      ...key(95, 4),
      // pid (1) as a string: skipped like an unknown field.
    ];
    const node = [...lenField(1, [...strField(1, 'not a pid'), ...varintField(2, 9)]), ...unknown];
    const dump = decode(bytes(unknown, strField(1, 'h'), lenField(6, node)));
    expect(dump.host).toBe('h');
    expect(dump.tree.roots[0]!.process).toEqual({ pid: 0, tid: 9, file: { path: '', basename: '' } });
  });

  it('keys DNS nodes by their first request and drops nodes without requests', () => {
    const request = (name: string, type: number) =>
      lenField(1, [...strField(1, name), ...varintField(2, type)]);
    const node = processPayload(
      'a',
      lenField(5, [...request('a.example', 1), ...request('b.example', 28)]),
      lenField(5, []),
      lenField(5, request('c.example', 0x1_0001)),
    );
    const root = decode(bytes(lenField(6, node))).tree.roots[0]!;
    expect([...root.dnsNames.keys()]).toEqual(['a.example', 'c.example']);
    expect(root.dnsNames.get('a.example')!.requests.map((r) => r.name)).toEqual(['a.example', 'b.example']);
    // 16-bit truncation, as the agent's decoder does.
    expect(root.dnsNames.get('c.example')!.requests[0]!.type).toBe(1);
  });

  it('keeps the last file of a duplicate name and the first flow of a 5-tuple', () => {
    const file = (name: string, flags: number) =>
      lenField(4, [...strField(1, name), ...lenField(5, varintField(2, flags))]);
    const flow = (size: number) =>
      lenField(5, [
        ...lenField(2, [...strField(1, '1.1.1.1'), ...varintField(2, 1)]),
        ...lenField(6, varintField(1, size)),
      ]);
    const node = processPayload(
      'a',
      file('x', 1),
      file('x', 2),
      lenField(13, [...strField(4, 'eth0'), ...flow(10), ...flow(20)]),
    );
    const root = decode(bytes(lenField(6, node))).tree.roots[0]!;
    expect(root.files).toHaveLength(1);
    expect(root.file('x')?.open?.flags).toBe(2);
    const flows = [...root.networkDevices.values()][0]!.flows;
    expect([...flows.values()].map((f) => f.ingress.dataSize)).toEqual([10n]);
  });

  it('takes differentiateArgs from the metadata', () => {
    const on = decode(bytes(lenField(4, varintField(7, 1))));
    expect(on.tree.differentiateArgs).toBe(true);
    expect(on.metadata?.differentiateArgs).toBe(true);
  });
});

// ---- hostile input -------------------------------------------------------------------------------------

describe('SecDump decoder on hostile input', () => {
  it('turns random bytes into a dump or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (input) => {
        outcome(() => decode(input), 500);
      }),
      { numRuns: 3000 },
    );
  });

  it('turns random well-framed garbage into a dump or a typed error', () => {
    // Random fields (mostly with known numbers) nested inside valid tree elements.
    const fieldArb: fc.Arbitrary<number[]> = fc.letrec<{ field: number[]; list: number[] }>((tie) => ({
      field: fc.oneof(
        fc
          .tuple(fc.integer({ min: 1, max: 24 }), fc.bigInt({ min: 0n, max: U64_MAX }))
          .map(([f, v]) => varintField(f, v)),
        fc
          .tuple(fc.integer({ min: 1, max: 24 }), fc.string({ maxLength: 8 }))
          .map(([f, s]) => strField(f, s)),
        fc.tuple(fc.integer({ min: 1, max: 24 }), tie('list')).map(([f, l]) => lenField(f, l)),
      ),
      list: fc.array(tie('field'), { maxLength: 4 }).map((l) => l.flat()),
    })).field;
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 6 }), (fields) => {
        outcome(() => decode(bytes(lenField(6, fields.flat()))), 500);
        outcome(() => decodeSecurityProfile(bytes(lenField(6, fields.flat())), LIMITS), 500);
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses length prefixes beyond the input without allocating them', () => {
    for (const length of [2n ** 31n, 2n ** 32n + 5n, 2n ** 63n, U64_MAX]) {
      const before = process.memoryUsage();
      const top = corrupt(() => decode(bytes(key(6, 2), varint(length), [0x0a, 0x00])));
      expect(top.message).toContain(`length prefix ${length} exceeds the 2 bytes left`);
      const nested = corrupt(() =>
        decode(bytes(lenField(6, lenField(1, [...key(7, 2), ...varint(length), 0x61])))),
      );
      expect(nested.message).toMatch(/^tree\[0\]\.process\.container_id: length prefix/);
      const after = process.memoryUsage();
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
    }
    // A 64-bit prefix whose low 32 bits are small is not truncated to them.
    corrupt(() => decode(bytes(key(1, 2), varint((1n << 40n) + 1n), [0x61])));
  });

  it('refuses malformed tags, varints and groups', () => {
    expect(corrupt(() => decode(bytes([0x00]))).message).toContain('invalid tag 0');
    expect(corrupt(() => decode(bytes([0x0e]))).message).toContain('invalid tag');
    expect(corrupt(() => decode(bytes([0x0f]))).message).toContain('invalid tag');
    expect(corrupt(() => decode(bytes([0x08, 0x80]))).message).toContain('truncated varint');
    expect(corrupt(() => decode(bytes([0x08], new Array(10).fill(0xff), [0x01]))).message).toContain(
      'longer than 10 bytes',
    );
    expect(corrupt(() => decode(bytes(key(5, 3), varintField(1, 1)))).message).toContain(
      'unterminated group',
    );
    corrupt(() => decode(bytes(key(5, 4))));
    corrupt(() => decode(bytes(key(9, 1), [1, 2, 3])));
    corrupt(() => decode(bytes(key(9, 5), [1, 2, 3])));
    // A varint crossing the end of its message.
    expect(corrupt(() => decode(bytes(lenField(6, [0x08, 0x80]), [0x01]))).message).toMatch(
      /^tree\[0\]\.process: varint runs past the end of its message/,
    );
    // Packed syscalls with a truncated element.
    corrupt(() => decode(bytes(lenField(6, lenField(7, [0x80])))));
  });

  it('stops a million-deep nesting of children at maxDepth, and at the stack with no depth limit', () => {
    const depth = 1_000_000;
    // Built from the innermost node outwards: each level is `children` (3) around the next.
    const sizes = new Array<number>(depth + 1);
    sizes[depth] = 0;
    for (let i = depth - 1; i >= 0; i--) sizes[i] = 1 + varint(sizes[i + 1]!).length + sizes[i + 1]!;
    const out = new Uint8Array(1 + varint(sizes[0]!).length + sizes[0]!);
    let pos = 0;
    out[pos++] = 0x32; // SecDump.tree
    for (let i = 0; i <= depth; i++) {
      for (const b of varint(sizes[i]!)) out[pos++] = b;
      if (i < depth) out[pos++] = 0x1a; // ProcessActivityNode.children
    }
    expect(pos).toBe(out.length);
    expect(tooLarge(() => decode(out)).limit).toBe('maxDepth');
    expect(tooLarge(() => decode(out, { maxDepth: 10 })).limit).toBe('maxDepth');
    expect(tooLarge(() => decode(out, { maxDepth: Number.POSITIVE_INFINITY }), 5000).limit).toBe('maxDepth');
    // Deep groups in an unknown field are bounded too.
    const groups = bytes(...new Array(2000).fill(key(9, 3)));
    expect(tooLarge(() => decode(groups)).limit).toBe('maxDepth');
  });

  it('stops at maxNodes, counting every node kind', () => {
    const node = processPayload('a', lenField(4, strField(1, 'f')), lenField(12, varintField(2, 1)));
    const three = bytes(lenField(6, node));
    expect(decode(three, { maxNodes: 3 }).tree.stats.processNodes).toBe(1);
    expect(tooLarge(() => decode(three, { maxNodes: 2 })).limit).toBe('maxNodes');
    // Legacy syscalls count once per distinct number.
    const legacy = bytes(lenField(6, processPayload('a', lenField(7, [1, 2, 2, 2, 3]))));
    expect(decode(legacy, { maxNodes: 4 }).tree.roots[0]!.syscalls).toHaveLength(3);
    expect(tooLarge(() => decode(legacy, { maxNodes: 3 })).limit).toBe('maxNodes');
    // A large flat input stops early.
    const many = new Uint8Array(4 * 1_000_000);
    for (let i = 0; i < many.length; i += 4) many.set([0x32, 0x02, 0x08, 0x01], i);
    expect(tooLarge(() => decode(many, { maxNodes: 1000 })).limit).toBe('maxNodes');
  });

  it('checks maxBytes and its arguments', () => {
    expect(tooLarge(() => decode(new Uint8Array(11), { maxBytes: 10 })).limit).toBe('maxBytes');
    expect(() => decodeSecDump('x' as unknown as Uint8Array, LIMITS)).toThrow(InvalidArgumentError);
    expect(() => decodeSecDump(new Uint8Array(0), { ...LIMITS, maxNodes: -1 })).toThrow(InvalidArgumentError);
  });
});

// ---- SecurityProfile -----------------------------------------------------------------------------------

describe('SecurityProfile codec', () => {
  it('round-trips a dump', () => {
    const dump = rich();
    const back = decodeSecurityProfile(encodeSecurityProfile(dump), LIMITS);
    expect(canonicalDump(back)).toEqual(canonicalDump(dump));
    expect(back.tree.differentiateArgs).toBe(true);
  });

  it('writes metadata, tree, selector and one profile context', () => {
    const dump = rich();
    const profile = fromBinary(SecurityProfileSchema, encodeSecurityProfile(dump, { now: 77n }));
    expect(profile.selector).toEqual(expect.objectContaining({ imageName: 'app', imageTag: 'v1' }));
    expect(Object.keys(profile.profileContexts)).toEqual(['v1']);
    const context = profile.profileContexts.v1!;
    expect(context.firstSeen).toBe(77n);
    expect(context.lastSeen).toBe(77n);
    expect(context.syscalls).toEqual([0, 59, 322, 4_294_967_295]);
    expect(context.tags).toEqual(dump.tags);
    expect(profile.metadata?.name).toBe('activity-dump-AbCdEfGhIj');
    expect(profile.tree).toHaveLength(2);
    expect(profile.status).toBe(0);
    expect(profile.version).toBe('');
    expect(profile.tags).toEqual([]);
    // `now` defaults to the metadata end.
    const byDefault = fromBinary(SecurityProfileSchema, encodeSecurityProfile(dump));
    expect(byDefault.profileContexts.v1?.firstSeen).toBe(U64_MAX);
  });

  it('needs an image_name tag, and defaults the image tag to latest', () => {
    const dump = new ActivityDump({ tags: ['host:h', 'image_tag:v1'] });
    const error = (() => {
      try {
        encodeSecurityProfile(dump);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('AD_ERR_INVALID_ARGUMENT');
    expect((error as Error).message).toBe(NO_SELECTOR_MESSAGE);
    expect(NO_SELECTOR_MESSAGE).toBe("can't get dump selector, tags shouldn't be resolved yet");
    const latest = fromBinary(
      SecurityProfileSchema,
      encodeSecurityProfile(new ActivityDump({ tags: ['image_name:nginx'] })),
    );
    expect(latest.selector?.imageTag).toBe('latest');
    expect(Object.keys(latest.profileContexts)).toEqual(['latest']);
  });

  it("takes the tags of the selector's context and keeps the selector in the tags", () => {
    const profile = create(SecurityProfileSchema, {
      selector: { imageName: 'nginx', imageTag: 'b' },
      profileContexts: {
        a: { tags: ['from:a'] },
        b: { tags: ['from:b', 'service:web'] },
        c: { tags: ['from:c'] },
      },
      tags: ['legacy:1'],
    });
    const dump = decodeSecurityProfile(toBinary(SecurityProfileSchema, profile), LIMITS);
    expect(dump.tags).toEqual(['from:b', 'service:web', 'image_name:nginx', 'image_tag:b']);
    expect(dump.service).toBe('web');
    // Without a matching context: the smallest key; without contexts: the legacy tags.
    profile.selector = create(SecurityProfileSchema, {}).selector;
    expect(decodeSecurityProfile(toBinary(SecurityProfileSchema, profile), LIMITS).tags).toEqual(['from:a']);
    profile.profileContexts = {};
    expect(decodeSecurityProfile(toBinary(SecurityProfileSchema, profile), LIMITS).tags).toEqual([
      'legacy:1',
    ]);
  });

  it('refuses hostile profiles with typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), (input) => {
        outcome(() => decodeSecurityProfile(input, LIMITS), 500);
      }),
      { numRuns: 1000 },
    );
    const bytesOut = encodeSecurityProfile(rich());
    for (let n = 0; n < bytesOut.length; n += 3)
      outcome(() => decodeSecurityProfile(bytesOut.subarray(0, n), LIMITS));
    expect(
      corrupt(() => decodeSecurityProfile(bytes(lenField(7, [...key(2, 2), ...varint(2n ** 63n)])), LIMITS))
        .message,
    ).toMatch(/^profile_contexts\[0\]\.value: length prefix/);
  });
});
