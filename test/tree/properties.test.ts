// Property-based tests of ActivityTree (reference-activity-tree §4–§7, §10) with fast-check.
//
// Scenarios are sequences of events over a handful of lineages built from a small pool of
// executables chosen to hit the tricky parts of process identity: busybox applets, container
// runtimes that may not be roots, `/tmp/<digits>/script.sh` paths that match under the
// normalised path matcher (§5.4), fileless and unresolved (inode 0) executables, exec-chain flags,
// incomplete / parent-missing / wrong-parent lineages, cookies (the process cache), selectors.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import type {
  ActivityEvent,
  BindEvent,
  CapabilitiesEvent,
  DnsEvent,
  ExitEvent,
  ImdsEvent,
  NetworkFlow,
  NetworkFlowEvent,
  OpenEvent,
  SyscallsEvent,
} from '../../src/events/activity-event.js';
import type { MatchedRule } from '../../src/events/matched-rule.js';
import type { ProcessContext, ProcessInfo } from '../../src/events/process.js';
import {
  ActivityTree,
  type ActivityTreeOptions,
  type InsertOptions,
  type InsertOutcome,
} from '../../src/tree/activity-tree.js';
import { reduceDnsName } from '../../src/tree/dns-node.js';
import type { FileNode } from '../../src/tree/file-node.js';
import type { ImageTagTimes } from '../../src/tree/image-tags.js';
import type { ProcessNode } from '../../src/tree/process-node.js';
import { renderTreeDebug } from '../../src/tree/render-debug.js';
import { DROP_REASONS } from '../../src/tree/tree-stats.js';

// ---- vocabulary ------------------------------------------------------------------------------

interface Executable {
  path: string;
  argv0s: readonly string[];
}

const EXECUTABLES: readonly Executable[] = [
  { path: '/bin/bash', argv0s: ['bash', '-bash'] },
  { path: '/bin/busybox', argv0s: ['sh', 'ls', 'cat', ''] },
  { path: '/usr/bin/busybox', argv0s: ['sh', 'wget'] },
  { path: '/usr/bin/runc', argv0s: ['runc'] },
  { path: '/usr/bin/containerd-shim-runc-v2', argv0s: ['containerd-shim-runc-v2'] },
  { path: '/usr/sbin/nginx', argv0s: ['nginx'] },
  { path: '/usr/bin/python3', argv0s: ['python3', 'python'] },
  { path: '/bin/ls', argv0s: ['ls'] },
  // The first two match each other under the normalised matcher; `ab` is too short a wildcard
  // component and `/var/...` differs in the first component (§5.4).
  { path: '/tmp/123456789/script.sh', argv0s: ['script.sh'] },
  { path: '/tmp/987654321/script.sh', argv0s: ['script.sh', './script.sh'] },
  { path: '/tmp/ab/script.sh', argv0s: ['script.sh'] },
  { path: '/var/123456789/script.sh', argv0s: ['script.sh'] },
  { path: 'bin/relative', argv0s: ['relative'] },
];

// `/tmp/ab/script.sh` makes the normalised matcher asymmetric: as a tree node it matches an entry
// `/tmp/123456789/script.sh` (the entry's differing component is long enough), but a tree node
// `/tmp/123456789/script.sh` does not match an entry `/tmp/ab/script.sh`. Among the others,
// "matches" is symmetric.
const SYMMETRIC_EXECUTABLES = EXECUTABLES.filter((e) => e.path !== '/tmp/ab/script.sh');

const INITS: readonly Executable[] = [
  { path: '/sbin/init', argv0s: ['init'] },
  { path: '/usr/lib/systemd/systemd', argv0s: ['systemd'] },
  { path: '/bin/busybox', argv0s: ['init'] },
];

const ARGS: readonly (readonly string[])[] = [[], ['-c', 'echo hi'], ['--password=hunter2'], ['-l', '/tmp']];

const HEX_A = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
const HEX_B = `${'b'.repeat(56)}deadbeef`;
const CONTAINERS = ['', HEX_A, 'c2'] as const;

type FileKind = 'normal' | 'fileless' | 'inode0' | 'noinode';
const fileKindArb: fc.Arbitrary<FileKind> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('normal' as const) },
  { weight: 1, arbitrary: fc.constantFrom('fileless' as const, 'inode0' as const, 'noinode' as const) },
);

type Ending = 'init' | 'incomplete' | 'parentMissing' | 'pid1WithParent';
const endingArb: fc.Arbitrary<Ending> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('init' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('incomplete' as const, 'parentMissing' as const, 'pid1WithParent' as const),
  },
);

const COOKIE_MODES = ['none', 'unique', 'colliding'] as const;
type CookieMode = (typeof COOKIE_MODES)[number];

// ---- arbitraries: processes and lineages ----------------------------------------------------

interface EntrySpec {
  exe: number;
  argv0: number;
  args: number;
  isExecExec: boolean;
  fileKind: FileKind;
  container: number;
  cookie: bigint | undefined;
  execTime: bigint | undefined;
  pidOne: boolean;
}

const entrySpecArb: fc.Arbitrary<Omit<EntrySpec, 'pidOne'>> = fc.record({
  exe: fc.nat({ max: 63 }), // modulo the pool in use
  argv0: fc.nat({ max: 3 }),
  args: fc.nat({ max: ARGS.length - 1 }),
  isExecExec: fc.boolean(),
  fileKind: fileKindArb,
  // Usually the lineage's container (see containerDepth), sometimes another one.
  container: fc.oneof({ weight: 8, arbitrary: fc.constant(-1) }, fc.nat({ max: CONTAINERS.length - 1 })),
  cookie: fc.option(fc.bigInt({ min: 1n, max: 4n }), { nil: undefined }),
  execTime: fc.option(fc.constantFrom(0n, 1_000n, 2_000n), { nil: undefined }),
});

// A lineage: the event's process first, then its ancestors nearest first (depth 1–6), then how
// it ends (§5.1): pid 1, nothing (incomplete), a parent-missing flag, or a pid 1 with a parent.
interface LineageSpec {
  entries: EntrySpec[];
  ending: Ending;
  missingAt: number;
  keepAboveMissing: boolean;
  init: number;
  /** Container of the lower `containerDepth` entries; the ones above are host processes. */
  container: number;
  containerDepth: number;
}

const lineageSpecArb: fc.Arbitrary<LineageSpec> = fc.record({
  entries: fc.array(
    // Rarely, a pid 1 in the middle of the lineage ("wrong parent", §5.1).
    fc.tuple(entrySpecArb, fc.nat({ max: 79 })).map(([e, roll]) => ({ ...e, pidOne: roll === 0 })),
    { minLength: 1, maxLength: 6 },
  ),
  ending: endingArb,
  container: fc.nat({ max: CONTAINERS.length - 1 }),
  containerDepth: fc.nat({ max: 6 }),
  missingAt: fc.nat({ max: 5 }),
  keepAboveMissing: fc.boolean(),
  init: fc.nat({ max: INITS.length - 1 }),
});

// Rebases (§5.5) need the same workload seen through different lineages: the same chain with an
// exec'd image more or less in the middle, a flag flipped, two images swapped. Variants derive a
// lineage from another one of the scenario.
interface VariantSpec {
  from: number;
  op: 'drop' | 'duplicate' | 'flipExec' | 'swap' | 'truncate';
  at: number;
}

const variantArb: fc.Arbitrary<VariantSpec> = fc.record({
  from: fc.nat({ max: 3 }),
  op: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('drop' as const, 'duplicate' as const) },
    { weight: 2, arbitrary: fc.constantFrom('flipExec' as const, 'swap' as const, 'truncate' as const) },
  ),
  at: fc.nat({ max: 5 }),
});

function deriveLineage(base: LineageSpec, variant: VariantSpec): LineageSpec {
  const entries = base.entries.map((e) => ({ ...e }));
  const at = variant.at % entries.length;
  switch (variant.op) {
    case 'drop':
      if (entries.length > 1) entries.splice(at, 1);
      break;
    case 'duplicate':
      if (entries.length < 6)
        entries.splice(at, 0, { ...entries[at]!, isExecExec: !entries[at]!.isExecExec });
      break;
    case 'flipExec':
      entries[at]!.isExecExec = !entries[at]!.isExecExec;
      break;
    case 'swap':
      if (at + 1 < entries.length) [entries[at], entries[at + 1]] = [entries[at + 1]!, entries[at]!];
      break;
    case 'truncate':
      entries.splice(0, Math.min(at, entries.length - 1));
      break;
  }
  return { ...base, entries };
}

function executableFile(path: string, kind: FileKind, pid: number): ProcessInfo['file'] {
  const basename = path.slice(path.lastIndexOf('/') + 1);
  switch (kind) {
    case 'normal':
      return { path, basename, inode: BigInt(pid) + 1000n, mountId: 1 };
    case 'fileless':
      return { path, basename, inode: BigInt(pid) + 5000n, mountId: 0 };
    case 'inode0':
      return { path, basename, inode: 0n, mountId: 1 };
    case 'noinode':
      return { path };
  }
}

function buildChain(
  spec: LineageSpec,
  lineageIndex: number,
  cookies: CookieMode,
  pool: readonly Executable[],
): ProcessInfo[] {
  const chain: ProcessInfo[] = spec.entries.map((e, k) => {
    const exe = pool[e.exe % pool.length]!;
    const pid = e.pidOne ? 1 : 100 + lineageIndex * 10 + k;
    const p: ProcessInfo = {
      pid,
      ppid: 0,
      file: executableFile(exe.path, e.fileKind, pid),
      argv0: exe.argv0s[e.argv0 % exe.argv0s.length]!,
      args: [...ARGS[e.args]!],
      envs: ['HOME=/root', 'PATH=/bin'],
      containerId: CONTAINERS[e.container >= 0 ? e.container : k < spec.containerDepth ? spec.container : 0]!,
      comm: exe.path.slice(exe.path.lastIndexOf('/') + 1, 16),
    };
    if (e.isExecExec) p.isExecExec = true;
    if (e.execTime !== undefined) p.execTime = e.execTime;
    if (e.cookie !== undefined && cookies !== 'none') {
      p.cookie = cookies === 'colliding' ? e.cookie : BigInt(lineageIndex * 16 + k + 1);
    }
    return p;
  });
  const init = INITS[spec.init]!;
  const initProcess = (): ProcessInfo => ({
    pid: 1,
    file: { path: init.path, inode: 2n, mountId: 1 },
    argv0: init.argv0s[0]!,
    containerId: '',
  });
  switch (spec.ending) {
    case 'init':
      chain.push(initProcess());
      break;
    case 'incomplete':
      break;
    case 'parentMissing': {
      const at = spec.missingAt % chain.length;
      chain[at]!.isParentMissing = true;
      if (spec.keepAboveMissing) chain.push(initProcess());
      else chain.length = at + 1;
      break;
    }
    case 'pid1WithParent':
      chain.push(initProcess(), { pid: 0, file: { path: '/kernel', inode: 3n, mountId: 1 } });
      break;
  }
  for (let k = 0; k + 1 < chain.length; k++) chain[k]!.ppid = chain[k + 1]!.pid;
  return chain;
}

// ---- arbitraries: event payloads --------------------------------------------------------------

const SEGMENTS = [
  'etc',
  'tmp',
  'proc',
  'self',
  '100',
  '2144',
  'status',
  'task',
  'passwd',
  'var',
  'run',
  HEX_A,
  HEX_B,
  'merged',
  'a',
  '',
  'é',
  'sess-42',
] as const;

const LONG_PATH = `/${Array.from({ length: 40 }, (_, i) => `dir${i}`).join('/')}/${'x'.repeat(300)}`;

const openPathArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '/',
    '//',
    '///',
    '/etc/passwd',
    '/etc/passwd/',
    '/etc',
    '/etc/',
    '/proc/100/status',
    '/proc/101/status',
    '/proc/2144/status',
    '/proc/self/status',
    '/host/proc/100/task/100/smaps',
    '/tmp/foo',
    '/tmp/foo/bar',
    '/tmp/foo/bar/',
    'relative/file',
    '/a//b',
    `/var/run/docker/overlay2/${HEX_A}/merged/etc/passwd`,
    `/var/run/docker/overlay2/${HEX_B}/merged/etc/passwd`,
    '/sys/fs/cgroup/kubepods.slice/kubepods-pod123.slice/cpu.max',
    '/run/secrets/kubernetes.io/serviceaccount/..2023_05_25_09_34_13.734441344/token',
    LONG_PATH,
  ),
  fc
    .tuple(fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 5 }), fc.boolean(), fc.boolean())
    .map(
      ([segments, leading, trailing]) => `${leading ? '/' : ''}${segments.join('/')}${trailing ? '/' : ''}`,
    ),
);

type Payload =
  | { type: 'exec' | 'fork' }
  | Pick<ExitEvent, 'type' | 'exit'>
  | Pick<OpenEvent, 'type' | 'file' | 'flags' | 'mode' | 'retval'>
  | Pick<DnsEvent, 'type' | 'dns'>
  | Pick<BindEvent, 'type' | 'bind'>
  | Pick<ImdsEvent, 'type' | 'imds'>
  | Pick<SyscallsEvent, 'type' | 'syscalls'>
  | Pick<CapabilitiesEvent, 'type' | 'attempted' | 'used'>
  | Pick<NetworkFlowEvent, 'type' | 'device' | 'flows'>;

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

// Drops keys whose value is undefined, so that events look like hand-written ones.
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const openArb: fc.Arbitrary<Payload> = fc
  .record({
    path: openPathArb,
    filesystem: opt(fc.constantFrom('ext4', 'sysfs', 'overlay', '')),
    inode: opt(fc.constantFrom(0n, 42n)),
    flags: opt(fc.constantFrom(0, 1, 0o100, 0o1101, 0x80000000)),
    mode: opt(fc.constantFrom(0, 0o644, 0o755)),
    retval: opt(fc.constantFrom(-2, 0, 3)),
  })
  .map(({ path, filesystem, inode, flags, mode, retval }) =>
    compact({ type: 'open' as const, file: compact({ path, filesystem, inode }), flags, mode, retval }),
  );

const DNS_NAMES = [
  'example.com',
  'a.b.example.com',
  'z.b.example.com',
  'c.example.com',
  'x.y.z.w.example.org',
  'localhost',
  'com',
  '.',
  '',
] as const;

const dnsArb: fc.Arbitrary<Payload> = fc
  .record({
    name: fc.constantFrom(...DNS_NAMES),
    type: opt(fc.constantFrom(1, 28, 5, 16)),
    class: opt(fc.constantFrom(1, 3)),
    id: opt(fc.nat({ max: 65535 })),
    ips: opt(fc.subarray(['1.2.3.4', '5.6.7.8', '::1'])),
    cnames: opt(fc.subarray(['alias.example.com'])),
  })
  .map(({ name, type, class: klass, id, ips, cnames }) => ({
    type: 'dns' as const,
    dns: compact({
      name,
      type,
      class: klass,
      id,
      response: ips === undefined && cnames === undefined ? undefined : compact({ ips, cnames }),
    }),
  }));

const bindArb: fc.Arbitrary<Payload> = fc
  .record({
    family: fc.constantFrom('AF_INET', 'AF_INET', 'AF_INET6', 'AF_UNIX'),
    ip: fc.constantFrom('0.0.0.0', '127.0.0.1', '::', '::1', ''),
    port: fc.constantFrom(0, 80, 443, 8080, 65535),
    protocol: opt(fc.constantFrom(6, 17)),
    retval: opt(fc.constantFrom(0, -1, -98)),
  })
  .map((bind) => ({ type: 'bind' as const, bind: compact(bind) }));

const imdsArb: fc.Arbitrary<Payload> = fc
  .record({
    type: fc.constantFrom('request', 'response', 'other'),
    cloudProvider: opt(fc.constantFrom('aws', 'gcp', 'azure')),
    url: opt(fc.constantFrom('', 'http://169.254.169.254/latest/meta-data/', '/computeMetadata/v1/')),
    host: opt(fc.constantFrom('169.254.169.254', 'metadata.google.internal')),
    userAgent: opt(fc.constantFrom('curl/8.0', 'aws-sdk')),
    server: opt(fc.constantFrom('EC2ws')),
    aws: opt(
      fc.record(
        {
          isImdsV2: fc.boolean(),
          securityCredentials: fc.record(
            {
              accessKeyId: fc.constantFrom('', 'AKIA1', 'AKIA2'),
              code: fc.constantFrom('Success'),
              type: fc.constantFrom('AWS-HMAC'),
              expirationRaw: fc.constantFrom('2030-01-01T00:00:00Z'),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  })
  .map((imds) => ({ type: 'imds' as const, imds: compact(imds) }));

const syscallsArb: fc.Arbitrary<Payload> = fc
  .array(fc.constantFrom(0, 1, 2, 59, 60, 231, 435, -1), { maxLength: 5 })
  .map((syscalls) => ({ type: 'syscalls' as const, syscalls }));

const capMaskArb = fc.oneof(
  fc.constantFrom(0n, 1n, 1n << 21n, (1n << 41n) - 1n, 1n << 45n, -1n),
  fc.bigInt({ min: 0n, max: (1n << 42n) - 1n }),
);
const capabilitiesArb: fc.Arbitrary<Payload> = fc
  .record({ attempted: capMaskArb, used: capMaskArb })
  .map(({ attempted, used }) => ({ type: 'capabilities' as const, attempted, used }));

const flowArb: fc.Arbitrary<NetworkFlow> = fc
  .record({
    src: fc.constantFrom('10.0.0.1', '::1'),
    srcPort: fc.constantFrom(0, 443, 51234),
    dst: fc.constantFrom('10.0.0.2', '8.8.8.8'),
    dstPort: fc.constantFrom(53, 443),
    l3Protocol: opt(fc.constantFrom(0x0800, 0x86dd)),
    l4Protocol: opt(fc.constantFrom(6, 17)),
    ingress: opt(
      fc.record({ dataSize: fc.bigInt({ min: 0n, max: 9999n }), packetCount: fc.constantFrom(1n, 2n) }),
    ),
    egress: opt(
      fc.record(
        { dataSize: fc.bigInt({ min: 0n, max: 9999n }), packetCount: fc.constantFrom(1n) },
        { requiredKeys: [] },
      ),
    ),
  })
  .map(({ src, srcPort, dst, dstPort, ...rest }) =>
    compact({ source: { ip: src, port: srcPort }, destination: { ip: dst, port: dstPort }, ...rest }),
  );

const networkFlowArb: fc.Arbitrary<Payload> = fc
  .record({
    device: fc.constantFrom(
      { netns: 1, ifindex: 2, ifname: 'eth0' },
      { netns: 1, ifindex: 3, ifname: 'eth1' },
      { netns: 4026531840, ifindex: 1, ifname: 'lo' },
    ),
    flows: fc.array(flowArb, { maxLength: 3 }),
  })
  .map(({ device, flows }) => ({ type: 'network_flow' as const, device: { ...device }, flows }));

const payloadArb: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ type: 'exec' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'fork' as const }) },
  {
    weight: 1,
    arbitrary: opt(fc.record({ code: fc.nat({ max: 2 }) })).map((exit) =>
      compact({ type: 'exit' as const, exit }),
    ),
  },
  { weight: 4, arbitrary: openArb },
  { weight: 3, arbitrary: dnsArb },
  { weight: 1, arbitrary: bindArb },
  { weight: 1, arbitrary: imdsArb },
  { weight: 1, arbitrary: syscallsArb },
  { weight: 1, arbitrary: capabilitiesArb },
  { weight: 1, arbitrary: networkFlowArb },
);

const RULES: readonly MatchedRule[] = [
  { ruleId: 'r1' },
  { ruleId: 'r2', ruleVersion: '1', policyName: 'p', ruleTags: { team: 'sec' } },
];

interface EventSpec {
  lineage: number;
  offset: number;
  payload: Payload;
  generationType: number;
  imageTag: string;
  noOptions: boolean;
  timestamp: bigint | undefined;
  rules: number[] | undefined;
}

const eventSpecArb: fc.Arbitrary<EventSpec> = fc.record({
  lineage: fc.nat({ max: 6 }),
  // Mostly the lineage's own process; sometimes one of its ancestors (a consistent sub-lineage).
  offset: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 6 }) }),
  payload: payloadArb,
  generationType: fc.integer({ min: 1, max: 4 }),
  imageTag: fc.constantFrom('', 'v1', 'v2'),
  noOptions: fc.nat({ max: 9 }).map((n) => n === 0),
  timestamp: opt(fc.constantFrom(0n, 5n, 1_700_000_000_000_000_000n)),
  rules: opt(fc.subarray([0, 1], { minLength: 1 })),
});

// ---- arbitraries: trees and scenarios ---------------------------------------------------------

interface TreeConfig {
  differentiateArgs: boolean;
  selector: number | undefined;
  dnsMatchMaxDepth: 0 | 1 | 3;
  pathsReducer: boolean;
  caches: 'default' | 'none' | 'tiny';
}

const treeConfigArb: fc.Arbitrary<TreeConfig> = fc.record({
  differentiateArgs: fc.boolean(),
  selector: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    fc.nat({ max: CONTAINERS.length - 1 }),
  ),
  dnsMatchMaxDepth: fc.constantFrom(0 as const, 1 as const, 3 as const, 3 as const),
  pathsReducer: fc.boolean(),
  caches: fc.constantFrom('default' as const, 'none' as const, 'tiny' as const),
});

function makeTree(config: TreeConfig, overrides: ActivityTreeOptions = {}): ActivityTree {
  const selector = config.selector;
  const cacheSize = config.caches === 'default' ? undefined : config.caches === 'none' ? 0 : 1;
  return new ActivityTree({
    differentiateArgs: config.differentiateArgs,
    dnsMatchMaxDepth: config.dnsMatchMaxDepth,
    ...(config.pathsReducer ? {} : { pathsReducer: null }),
    ...(selector === undefined
      ? {}
      : { selector: (p: ProcessInfo) => p.containerId === CONTAINERS[selector] }),
    ...(cacheSize === undefined ? {} : { processCacheSize: cacheSize, fileCacheSize: cacheSize }),
    ...overrides,
  });
}

interface Step {
  event: ActivityEvent;
  options: InsertOptions | undefined;
}

interface Scenario {
  config: TreeConfig;
  cookies: CookieMode;
  steps: Step[];
}

function buildScenario(
  config: TreeConfig,
  cookies: CookieMode,
  lineages: readonly LineageSpec[],
  specs: readonly EventSpec[],
  pool: readonly Executable[] = EXECUTABLES,
  variants: readonly VariantSpec[] = [],
): Scenario {
  const all = [...lineages];
  for (const v of variants) all.push(deriveLineage(all[v.from % all.length]!, v));
  const chains = all.map((l, i) => buildChain(l, i, cookies, pool));
  // One context object per (lineage, offset), shared by its events, as a collector would.
  const contexts = new Map<string, ProcessContext>();
  const contextOf = (l: number, o: number): ProcessContext => {
    const key = `${l}/${o}`;
    let ctx = contexts.get(key);
    if (ctx === undefined) {
      const chain = chains[l]!;
      ctx = { ...chain[o]!, ancestors: chain.slice(o + 1) };
      contexts.set(key, ctx);
    }
    return ctx;
  };
  const steps = specs.map((spec): Step => {
    const l = spec.lineage % chains.length;
    const o = spec.offset % chains[l]!.length;
    const event = {
      ...structuredClone(spec.payload),
      process: contextOf(l, o),
      ...(spec.timestamp === undefined ? {} : { timestamp: spec.timestamp }),
      ...(spec.rules === undefined ? {} : { matchedRules: spec.rules.map((r) => RULES[r]!) }),
    } as ActivityEvent;
    const options = spec.noOptions
      ? undefined
      : { generationType: spec.generationType, imageTag: spec.imageTag };
    return { event, options };
  });
  const scenario: Scenario = { config, cookies, steps };
  // Readable counterexamples.
  Object.defineProperty(scenario, fc.toStringMethod, { value: () => formatScenario(scenario) });
  return scenario;
}

// Most scenarios draw their executables from a few of the pool's, so that lineages share binaries
// (and exec chains, rebases and normalised matches happen often); the others use all of them.
function subPoolArb(pool: readonly Executable[]): fc.Arbitrary<readonly Executable[]> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(pool) },
    {
      weight: 3,
      arbitrary: fc
        .uniqueArray(fc.nat({ max: pool.length - 1 }), { minLength: 2, maxLength: 5 })
        .map((picks) => picks.map((i) => pool[i]!)),
    },
  );
}

interface ScenarioOptions {
  cookies?: readonly CookieMode[];
  maxEvents?: number;
  pool?: readonly Executable[];
}

// Lineages that are all valid and inside the workload, over two or three ordinary executables
// (no container runtime): every event reaches the process tree, which makes exec chains,
// rebases and normalised matches frequent.
const DENSE_EXCLUDED = new Set(['/usr/bin/runc', '/usr/bin/containerd-shim-runc-v2', 'bin/relative']);

function densify(lineage: LineageSpec): LineageSpec {
  return {
    ...lineage,
    ending: 'init',
    containerDepth: 0,
    entries: lineage.entries.map((e, k) => ({
      ...e,
      fileKind: 'normal',
      pidOne: false,
      container: -1,
      // Exec chains are the point: two images out of three are exec children.
      isExecExec: e.isExecExec || (e.argv0 + k) % 3 === 0,
    })),
  };
}

function scenarioArb(opts: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const pool = opts.pool ?? EXECUTABLES;
  const densePool = pool.filter((e) => !DENSE_EXCLUDED.has(e.path));
  const build = (dense: boolean) =>
    fc
      .record({
        config: dense ? treeConfigArb.map((c) => ({ ...c, selector: undefined })) : treeConfigArb,
        cookies: fc.constantFrom(...(opts.cookies ?? COOKIE_MODES)),
        pool: dense
          ? fc
              .uniqueArray(fc.nat({ max: densePool.length - 1 }), { minLength: 2, maxLength: 3 })
              .map((picks) => picks.map((i) => densePool[i]!))
          : subPoolArb(pool),
        lineages: fc.array(dense ? lineageSpecArb.map(densify) : lineageSpecArb, {
          minLength: 1,
          maxLength: 3,
        }),
        variants: fc.array(variantArb, { minLength: dense ? 1 : 0, maxLength: 4 }),
        events: fc.array(eventSpecArb, { minLength: 1, maxLength: opts.maxEvents ?? 24 }),
      })
      .map(({ config, cookies, pool, lineages, variants, events }) =>
        buildScenario(config, cookies, lineages, events, pool, variants),
      );
  return fc.oneof(build(false), build(true));
}

// A tree state plus probe events (from the same lineages, so they hit existing nodes): the last
// one to eight events of a scenario are the probes.
function stateAndProbesArb(
  opts: { cookies?: readonly CookieMode[] } = {},
): fc.Arbitrary<{ scenario: Scenario; probes: Step[] }> {
  return fc.tuple(scenarioArb({ ...opts, maxEvents: 28 }), fc.nat({ max: 7 })).map(([all, n]) => {
    const split = Math.max(0, all.steps.length - 1 - n);
    const scenario = { ...all, steps: all.steps.slice(0, split) };
    Object.defineProperty(scenario, fc.toStringMethod, { value: () => formatScenario(scenario) });
    return { scenario, probes: all.steps.slice(split) };
  });
}

// ---- readable descriptions --------------------------------------------------------------------

function formatProcess(p: ProcessInfo): string {
  const flags: string[] = [];
  if (p.isExecExec) flags.push('execExec');
  if (p.isParentMissing) flags.push('parentMissing');
  if (p.cookie !== undefined) flags.push(`cookie=${p.cookie}`);
  if (p.execTime !== undefined) flags.push(`execTime=${p.execTime}`);
  if (p.containerId) flags.push(`ct=${p.containerId.slice(0, 6)}`);
  if (p.file.inode === 0n) flags.push('inode0');
  else if (p.file.inode !== undefined && p.file.mountId === 0) flags.push('fileless');
  else if (p.file.inode === undefined) flags.push('noInode');
  if (p.args !== undefined && p.args.length > 0) flags.push(`args=${JSON.stringify(p.args)}`);
  return `${p.pid}:${p.file.path}(${p.argv0 ?? ''})${flags.length > 0 ? `{${flags.join(',')}}` : ''}`;
}

function formatLineage(ctx: ProcessContext): string {
  return [ctx, ...(ctx.ancestors ?? [])].map(formatProcess).join(' <- ');
}

const show = (v: unknown): string => fc.stringify(v);

function formatPayload(e: ActivityEvent): string {
  switch (e.type) {
    case 'exec':
    case 'fork':
      return '';
    case 'exit':
      return show(e.exit ?? {});
    case 'open':
      return `${show(e.file)} flags=${e.flags} mode=${e.mode} retval=${e.retval}`;
    case 'dns':
      return show(e.dns);
    case 'bind':
      return show(e.bind);
    case 'imds':
      return show(e.imds);
    case 'syscalls':
      return show(e.syscalls);
    case 'capabilities':
      return `attempted=${e.attempted} used=${e.used}`;
    case 'network_flow':
      return `${show(e.device)} ${show(e.flows)}`;
  }
}

function formatStep({ event, options }: Step): string {
  const extras: string[] = [];
  if (options !== undefined) extras.push(`gen=${options.generationType} tag=${show(options.imageTag)}`);
  if (event.timestamp !== undefined) extras.push(`ts=${event.timestamp}`);
  if (event.matchedRules !== undefined) extras.push(`rules=${event.matchedRules.map((r) => r.ruleId)}`);
  return `${event.type} ${formatPayload(event)} [${formatLineage(event.process)}] ${extras.join(' ')}`;
}

function formatScenario(s: Scenario): string {
  const c = s.config;
  const head =
    `tree{differentiateArgs=${c.differentiateArgs} dnsDepth=${c.dnsMatchMaxDepth} reducer=${c.pathsReducer} ` +
    `caches=${c.caches} selector=${c.selector === undefined ? '-' : show(CONTAINERS[c.selector])}} cookies=${s.cookies}`;
  return [head, ...s.steps.map((step, i) => `  #${i} ${formatStep(step)}`)].join('\n');
}

// ---- tree observation helpers -----------------------------------------------------------------

const COUNT_KEYS = [
  'processNodes',
  'fileNodes',
  'dnsNodes',
  'socketNodes',
  'imdsNodes',
  'syscallNodes',
  'flowNodes',
  'capabilityNodes',
] as const;
type NodeCounts = Record<(typeof COUNT_KEYS)[number], number>;

function nodeCounts(tree: ActivityTree): NodeCounts {
  const s = tree.stats;
  return Object.fromEntries(COUNT_KEYS.map((k) => [k, s[k]])) as NodeCounts;
}

const byKey = <T>(entries: Iterable<[string, T]>): [string, T][] =>
  [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function tagsSnapshot(tags: readonly ImageTagTimes[] | undefined): unknown {
  return tags?.map((t) => ({ tag: t.tag, firstSeen: t.firstSeen, lastSeen: t.lastSeen }));
}

function fileSnapshot(node: FileNode): unknown {
  return {
    name: node.name,
    generationType: node.generationType,
    file: node.file,
    open: node.open === undefined ? undefined : { ...node.open },
    imageTags: tagsSnapshot(node.imageTags),
    matchedRules: node.matchedRules,
    firstSeen: node.firstSeen,
    children: [...node.children].sort((a, b) => (a.name < b.name ? -1 : 1)).map(fileSnapshot),
  };
}

function processSnapshot(node: ProcessNode): unknown {
  return {
    process: node.process,
    isExecExec: node.isExecExec,
    generationType: node.generationType,
    matchedRules: node.matchedRules,
    imageTags: tagsSnapshot(node.imageTags),
    files: [...node.files].sort((a, b) => (a.name < b.name ? -1 : 1)).map(fileSnapshot),
    dns: byKey(node.dnsNames).map(([key, d]) => ({
      key,
      generationType: d.generationType,
      requests: d.requests,
      matchedRules: d.matchedRules,
      imageTags: tagsSnapshot(d.imageTags),
    })),
    imds: byKey(node.imdsEvents).map(([key, n]) => ({
      key,
      event: n.event,
      generationType: n.generationType,
      matchedRules: n.matchedRules,
      imageTags: tagsSnapshot(n.imageTags),
    })),
    sockets: node.sockets.map((s) => ({
      family: s.family,
      generationType: s.generationType,
      binds: s.binds.map((b) => ({
        port: b.port,
        ip: b.ip,
        protocol: b.protocol,
        generationType: b.generationType,
        matchedRules: b.matchedRules,
        imageTags: tagsSnapshot(b.imageTags),
      })),
    })),
    syscalls: node.syscalls.map((s) => ({
      syscall: s.syscall,
      generationType: s.generationType,
      imageTags: tagsSnapshot(s.imageTags),
    })),
    capabilities: node.capabilities.map((c) => ({
      capability: c.capability,
      capable: c.capable,
      generationType: c.generationType,
      imageTags: tagsSnapshot(c.imageTags),
    })),
    devices: byKey(node.networkDevices).map(([key, d]) => ({
      key,
      device: d.device,
      generationType: d.generationType,
      matchedRules: d.matchedRules,
      flows: byKey(d.flows).map(([flowKey, f]) => ({
        key: flowKey,
        source: f.source,
        destination: f.destination,
        l3Protocol: f.l3Protocol,
        l4Protocol: f.l4Protocol,
        ingress: f.ingress,
        egress: f.egress,
        generationType: f.generationType,
        imageTags: tagsSnapshot(f.imageTags),
      })),
    })),
    children: node.children.map(processSnapshot),
  };
}

/** A detached deep copy of everything the tree holds (every node of every kind, stats, sets). */
function treeSnapshot(tree: ActivityTree): unknown {
  return structuredClone({
    roots: tree.roots.map(processSnapshot),
    dnsNames: [...tree.dnsNames].sort(),
    syscalls: tree.syscalls(),
    counts: nodeCounts(tree),
    counters: tree.stats.counters(),
    render: renderTreeDebug(tree),
  });
}

interface Walk {
  processes: ProcessNode[];
  errors: string[];
  counts: NodeCounts;
  topLevelFilesWithoutFile: number;
}

/** Walks the forest by hand (guarding against cycles), checking parent pointers on the way. */
function walkTree(tree: ActivityTree): Walk {
  const seen = new Set<ProcessNode>();
  const errors: string[] = [];
  const counts: NodeCounts = {
    processNodes: 0,
    fileNodes: 0,
    dnsNodes: 0,
    socketNodes: 0,
    imdsNodes: 0,
    syscallNodes: 0,
    flowNodes: 0,
    capabilityNodes: 0,
  };
  let topLevelFilesWithoutFile = 0;
  const visit = (node: ProcessNode, parent: ProcessNode | undefined, path: string): void => {
    const here = `${path}/${node.process.file.path}`;
    if (seen.has(node)) {
      errors.push(`process node ${here} reached twice`);
      return;
    }
    seen.add(node);
    if (node.parent !== parent) {
      errors.push(`process node ${here}: parent is ${node.parent?.process.file.path ?? 'undefined'}`);
    }
    counts.processNodes++;
    counts.dnsNodes += node.dnsNames.size;
    counts.socketNodes += node.sockets.length;
    counts.imdsNodes += node.imdsEvents.size;
    counts.syscallNodes += node.syscalls.length;
    counts.capabilityNodes += node.capabilities.length;
    for (const d of node.networkDevices.values()) counts.flowNodes += d.flows.size;
    for (const top of node.files) if (!top.hasFile) topLevelFilesWithoutFile++;
    const files = [...node.files];
    while (files.length > 0) {
      const f = files.pop()!;
      if (f.hasFile) counts.fileNodes++;
      files.push(...f.children);
    }
    for (const child of node.children) visit(child, node, here);
  };
  for (const root of tree.roots) visit(root, undefined, '');
  return { processes: [...seen], errors, counts, topLevelFilesWithoutFile };
}

/** Where every process node sits: its parent, its index among the siblings, its exec-child flag. */
type Layout = Map<ProcessNode, { parent: ProcessNode | undefined; index: number; exec: boolean }>;

function layoutOf(tree: ActivityTree): Layout {
  const layout: Layout = new Map();
  for (const node of walkTree(tree).processes) {
    const siblings = node.parent === undefined ? tree.roots : node.parent.children;
    layout.set(node, { parent: node.parent, index: siblings.indexOf(node), exec: node.isExecExec });
  }
  return layout;
}

/**
 * Whether every node of `before` still sits where it was: inserts only append nodes, except the
 * exec-chain rebase of §5.5, which moves (and re-flags) existing subtrees.
 */
function keepsLayout(before: Layout, tree: ActivityTree): boolean {
  const after = layoutOf(tree);
  for (const [node, was] of before) {
    const now = after.get(node);
    if (now === undefined || now.parent !== was.parent || now.index !== was.index || now.exec !== was.exec) {
      return false;
    }
  }
  return true;
}

const ACCEPTED: readonly InsertOutcome[] = ['added', 'unchanged'];
const OUTCOMES: ReadonlySet<string> = new Set<string>([...ACCEPTED, ...DROP_REASONS]);

// Inserts the scenario into both trees, which must answer and end up alike.
function compareTrees(s: Scenario, a: ActivityTree, b: ActivityTree, what: string): void {
  s.steps.forEach(({ event, options }, i) => {
    const outcomeA = a.insertWithOutcome(event, options);
    const outcomeB = b.insertWithOutcome(event, options);
    if (outcomeA !== outcomeB) {
      fail(
        `#${i}: ${outcomeA} with ${what}, ${outcomeB} without\nwith:\n${renderTreeDebug(a)}\n` +
          `without:\n${renderTreeDebug(b)}`,
        s,
      );
    }
  });
  const [snapA, snapB] = [treeSnapshot(a), treeSnapshot(b)];
  if (!isDeepStrictEqual(snapA, snapB)) {
    fail(`the trees differ\nwith ${what}:\n${renderTreeDebug(a)}\nwithout:\n${renderTreeDebug(b)}`, s);
  }
}

function fail(message: string, scenario: Scenario): never {
  throw new Error(`${message}\n${formatScenario(scenario)}`);
}

// ---- known counterexamples ---------------------------------------------------------------------
//
// Shrunk counterexamples found by the properties, rewritten with ordinary names and pinned as
// `examples` so the properties fail on every run until the code is fixed (random runs hit them
// only now and then).

const DEFAULT_CONFIG: TreeConfig = {
  differentiateArgs: false,
  selector: undefined,
  dnsMatchMaxDepth: 3,
  pathsReducer: true,
  caches: 'default',
};

function pinned(
  p: number,
  path: string,
  extra: { exec?: boolean; argv0?: string; cookie?: bigint; execTime?: bigint } = {},
): ProcessInfo {
  return {
    pid: p,
    file: { path, basename: path.slice(path.lastIndexOf('/') + 1), inode: BigInt(p) + 1000n, mountId: 1 },
    argv0: extra.argv0 ?? path.slice(path.lastIndexOf('/') + 1),
    ...(extra.exec === true ? { isExecExec: true } : {}),
    ...(extra.cookie === undefined ? {} : { cookie: extra.cookie }),
    ...(extra.execTime === undefined ? {} : { execTime: extra.execTime }),
  };
}

const INIT = pinned(1, '/sbin/init');

/** A process context from its chain, the process first and pid 1 last. */
const lineageOf = (...chain: ProcessInfo[]): ProcessContext => ({ ...chain[0]!, ancestors: chain.slice(1) });

function pinnedScenario(events: ActivityEvent[], cookies: CookieMode = 'none'): Scenario {
  const scenario: Scenario = {
    config: DEFAULT_CONFIG,
    cookies,
    steps: events.map((event) => ({ event, options: undefined })),
  };
  Object.defineProperty(scenario, fc.toStringMethod, { value: () => formatScenario(scenario) });
  return scenario;
}

const KNOWN = {
  // Roots `sh` and `nginx`, then `bash ← (x)nginx ← (x)bash ← nginx ← sh`. Under `sh`, `nginx`
  // is missing and `(x)bash` too, so the walk skips down to `(x)nginx` and finds the root `nginx`
  // among the siblings of `sh`. The rebase takes that root for the *top* skipped entry (`nginx`
  // matches it too), moves it under `sh` and creates `(x)bash → (x)nginx` below it. But findBranch
  // then returns the moved root as the node of `(x)nginx` and goes on from there: the event's
  // `bash` is matched to the new `(x)bash` node (an ancestor) instead of being created below the
  // new `(x)nginx`. So `contains(e)` is false right after `insert(e)`, and a second insert adds.
  siblingRebaseWrongNode: pinnedScenario([
    { type: 'exec', process: lineageOf(pinned(10, '/bin/sh'), INIT) },
    { type: 'exec', process: lineageOf(pinned(20, '/usr/sbin/nginx'), INIT) },
    {
      type: 'exec',
      process: lineageOf(
        pinned(34, '/bin/bash'),
        pinned(33, '/usr/sbin/nginx', { exec: true }),
        pinned(32, '/bin/bash', { exec: true }),
        pinned(31, '/usr/sbin/nginx'),
        pinned(30, '/bin/sh'),
        INIT,
      ),
    },
  ]),
  // Roots `bash` and `sh`, then `(x)sh ← (x)bash ← sh`. The walk finds `sh`, then `(x)bash`
  // among the siblings of `sh`: a real insert moves the root `bash` under `sh`; the dry run only
  // pretends to. Looking for `(x)sh` next, the dry run searches the siblings of `bash` where it
  // still is (the roots), finds `sh` itself and answers `unchanged`; the real insert searches the
  // siblings of `bash` under `sh` (just `bash`), finds nothing and creates `sh → (x)bash → (x)sh`.
  dryRunStaleSiblings: pinnedScenario([
    { type: 'exec', process: lineageOf(pinned(10, '/bin/bash'), INIT) },
    { type: 'exec', process: lineageOf(pinned(20, '/bin/sh'), INIT) },
    {
      type: 'exec',
      process: lineageOf(
        pinned(32, '/bin/sh', { exec: true }),
        pinned(31, '/bin/bash', { exec: true }),
        pinned(20, '/bin/sh'),
        INIT,
      ),
    },
  ]),
  // `bash → (x)python3` (python3 has a cookie), a root `nginx`, then `(x)python3 ← ls ← nginx`
  // moves the `bash` subtree under `nginx → ls` (sibling rebase). An open by the cookie's process
  // (same context as the first event) then goes, through the cache, to the moved `python3`; the
  // lineage walk the agent does (its cookie cache is never populated) no longer reaches it and
  // creates a new root `bash → (x)python3` holding the file.
  cacheAfterRebase: (() => {
    const python = lineageOf(
      pinned(11, '/usr/bin/python3', { exec: true, cookie: 7n, execTime: 1000n }),
      pinned(10, '/bin/bash'),
      INIT,
    );
    return pinnedScenario(
      [
        { type: 'exec', process: python },
        { type: 'exec', process: lineageOf(pinned(20, '/usr/sbin/nginx'), INIT) },
        {
          type: 'exec',
          process: lineageOf(
            pinned(11, '/usr/bin/python3', { exec: true }),
            pinned(12, '/bin/ls'),
            pinned(20, '/usr/sbin/nginx'),
            INIT,
          ),
        },
        { type: 'open', process: python, file: { path: '/etc/hosts' } },
      ],
      'unique',
    );
  })(),
};

// ---- properties -------------------------------------------------------------------------------

// `FC_SCALE=10 npx vitest run test/tree/properties.test.ts` runs every property ten times longer.
const SCALE = Number(process.env.FC_SCALE ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

describe('ActivityTree properties', () => {
  it('1a. re-inserting an event right after it was accepted adds nothing', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const tree = makeTree(s.config);
        s.steps.forEach(({ event, options }, i) => {
          if (!ACCEPTED.includes(tree.insertWithOutcome(event, options))) return;
          const render = renderTreeDebug(tree);
          const counts = nodeCounts(tree);
          const again = tree.insertWithOutcome(event, options);
          if (again !== 'unchanged') fail(`#${i} inserted again: ${again}`, s);
          expect(renderTreeDebug(tree)).toBe(render);
          expect(nodeCounts(tree)).toEqual(counts);
        });
      }),
      { numRuns: runs(1000), examples: [[KNOWN.siblingRebaseWrongNode]] },
    );
  });

  // Whole-sequence idempotence does NOT hold in general, in the agent as here (see the two
  // `agent semantics` tests below): an exec-chain rebase (§5.5) can move a subtree where the
  // lineage that created it no longer finds it, and the asymmetric normalised path match (§5.4)
  // lets a node appended later capture lineages that used to resolve to an exec descendant.
  // So the strict property is checked when the first pass moved no existing node, over the
  // executables among which matching is symmetric, with consistent cookies (one cookie = one
  // process context; with colliding cookies the process cache answers for the wrong process, see
  // 7b). 1c covers the rest.
  it('1b. a sequence inserted again adds nothing (no rebase in the first pass, symmetric matching)', () => {
    let rebasedRuns = 0;
    fc.assert(
      fc.property(scenarioArb({ cookies: ['none', 'unique'], pool: SYMMETRIC_EXECUTABLES }), (s) => {
        const tree = makeTree(s.config);
        const pristine = structuredClone(s.steps.map((step) => step.event));
        let rebased = false;
        for (const { event, options } of s.steps) {
          const before = layoutOf(tree);
          tree.insertWithOutcome(event, options);
          rebased ||= !keepsLayout(before, tree);
        }
        // The tree never writes into the events it is given.
        expect(s.steps.map((step) => step.event)).toStrictEqual(pristine);
        if (rebased) {
          rebasedRuns++;
          return;
        }
        const render = renderTreeDebug(tree);
        const counts = nodeCounts(tree);
        s.steps.forEach(({ event, options }, i) => {
          const outcome = tree.insertWithOutcome(event, options);
          if (outcome === 'added') {
            fail(
              `second insert of #${i} added something\nafter pass 1:\n${render}\nnow:\n${renderTreeDebug(tree)}`,
              s,
            );
          }
        });
        expect(renderTreeDebug(tree)).toBe(render);
        expect(nodeCounts(tree)).toEqual(counts);
      }),
      { numRuns: runs(800) },
    );
    // The exemption must stay the exception. About one run in seven rebases; a third leaves a
    // wide margin so that random seeds cannot make this fail by chance.
    expect(rebasedRuns).toBeLessThan(runs(800) / 3);
  });

  it('1c. inserting a sequence over and over reaches a fixed point within a few passes', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const tree = makeTree(s.config);
        const pass = (): number[] =>
          s.steps.flatMap(({ event, options }, i) =>
            tree.insertWithOutcome(event, options) === 'added' ? [i] : [],
          );
        pass();
        let added: number[] = [];
        for (let n = 2; n <= 4; n++) {
          added = pass();
          if (added.length === 0) break;
        }
        if (added.length > 0) fail(`pass 4 still added #${added.join(', #')}\n${renderTreeDebug(tree)}`, s);
        const render = renderTreeDebug(tree);
        const counts = nodeCounts(tree);
        expect(pass()).toEqual([]);
        expect(renderTreeDebug(tree)).toBe(render);
        expect(nodeCounts(tree)).toEqual(counts);
      }),
      { numRuns: runs(500) },
    );
  });

  it('2. dry-run inserts and contains() never mutate the tree', () => {
    fc.assert(
      fc.property(stateAndProbesArb(), ({ scenario, probes }) => {
        const tree = makeTree(scenario.config);
        for (const { event, options } of scenario.steps) tree.insertWithOutcome(event, options);
        for (const probe of [...probes, ...scenario.steps]) {
          const before = treeSnapshot(tree);
          tree.insertWithOutcome(probe.event, { ...probe.options, dryRun: true });
          tree.insert(probe.event, { ...probe.options, dryRun: true });
          tree.contains(probe.event, probe.options);
          expect(treeSnapshot(tree)).toStrictEqual(before);
        }
      }),
      { numRuns: runs(250) },
    );
  });

  it('3. contains(e) holds right after an insert of e that was accepted', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const tree = makeTree(s.config);
        s.steps.forEach(({ event, options }, i) => {
          const outcome = tree.insertWithOutcome(event, options);
          if (ACCEPTED.includes(outcome) && !tree.contains(event, options)) {
            const dry = tree.insertWithOutcome(event, { ...options, dryRun: true });
            fail(
              `#${i} was ${outcome} but contains() is false (dry-run says ${dry})\n${renderTreeDebug(tree)}`,
              s,
            );
          }
        });
      }),
      { numRuns: runs(1000), examples: [[KNOWN.siblingRebaseWrongNode]] },
    );
  });

  it('4. a dry-run answers what the real insert then does (but for DNS label-depth matching)', () => {
    let dnsQuirks = 0;
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const tree = makeTree(s.config);
        s.steps.forEach(({ event, options }, i) => {
          const dry = tree.insertWithOutcome(event, { ...options, dryRun: true });
          const dnsBefore = event.type === 'dns' ? dnsState(tree) : undefined;
          const processNodes = tree.stats.processNodes;
          const real = tree.insertWithOutcome(event, options);
          if (dry === real) return;
          if (
            event.type === 'dns' &&
            dry === 'unchanged' &&
            real === 'added' &&
            tree.stats.processNodes === processNodes &&
            isDnsDepthQuirk(tree, dnsBefore!, event, s.config.dnsMatchMaxDepth)
          ) {
            dnsQuirks++;
            return;
          }
          fail(`#${i}: dry-run said ${dry}, the insert did ${real}\n${renderTreeDebug(tree)}`, s);
        });
      }),
      { numRuns: runs(1000), examples: [[KNOWN.dryRunStaleSiblings]] },
    );
    // The exception is not vacuous: the generators do reach it.
    expect(dnsQuirks).toBeGreaterThan(0);
  });

  it('5. node counts, parent pointers and recountNodes() agree with the nodes', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const tree = makeTree(s.config);
        for (const { event, options } of s.steps) {
          tree.insertWithOutcome(event, options);
          const walk = walkTree(tree);
          if (walk.errors.length > 0) fail(walk.errors.join('\n'), s);
          expect(walk.counts.processNodes).toBe(tree.stats.processNodes);
        }
        const walk = walkTree(tree);
        const incremental = nodeCounts(tree);
        const { fileNodes: walkedFiles, ...walkedOthers } = walk.counts;
        const { fileNodes: incrementalFiles, ...incrementalOthers } = incremental;
        expect(incrementalOthers).toEqual(walkedOthers);
        // §5.6 / §10: the incremental counter also counts top-level components created as
        // directories; a recount counts only nodes that were leaves when created (they have a File).
        expect(incrementalFiles).toBe(walkedFiles + walk.topLevelFilesWithoutFile);
        expect(walk.processes.length).toBe([...tree.processNodes()].length);

        const dnsNames = [...tree.dnsNames].sort();
        const syscalls = tree.syscalls();
        tree.recountNodes();
        const recount = nodeCounts(tree);
        expect({ ...recount, fileNodes: 0 }).toEqual({ ...incremental, fileNodes: 0 });
        expect(recount.fileNodes).toBe(walkedFiles);
        expect(recount.fileNodes).toBeLessThanOrEqual(incremental.fileNodes);
        expect([...tree.dnsNames].sort()).toEqual(dnsNames);
        expect(tree.syscalls()).toEqual(syscalls);
      }),
      { numRuns: runs(500) },
    );
  });

  it('6a. insert throws only InvalidArgumentError, and only for a generation type outside 1..4', () => {
    const generationTypeArb = fc.oneof(
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(0, 5, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53),
    );
    fc.assert(
      fc.property(scenarioArb(), fc.array(generationTypeArb, { minLength: 20, maxLength: 20 }), (s, gens) => {
        const tree = makeTree(s.config);
        s.steps.forEach(({ event, options }, i) => {
          const generationType = gens[i % gens.length]!;
          const valid = Number.isInteger(generationType) && generationType >= 1 && generationType <= 4;
          for (const dryRun of [true, false]) {
            let outcome: InsertOutcome | undefined;
            try {
              outcome = tree.insertWithOutcome(event, { ...options, generationType, dryRun });
            } catch (error) {
              if (valid || !(error instanceof InvalidArgumentError)) {
                fail(`#${i} (generationType ${generationType}) threw ${String(error)}`, s);
              }
              continue;
            }
            if (!valid) fail(`#${i}: generationType ${generationType} was accepted`, s);
            expect(OUTCOMES.has(outcome)).toBe(true);
          }
        });
      }),
      { numRuns: runs(250) },
    );
  });

  // The caches are ours (the agent's cookie cache is never populated, §1/§5.3): they must not
  // change what the tree answers or holds, or trees stop matching the agent's.
  it('7a. the file-path cache is invisible (same answers and tree as without it)', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const cached = makeTree(s.config, {
          processCacheSize: 0,
          fileCacheSize: s.config.caches === 'tiny' ? 1 : 2048,
        });
        const uncached = makeTree(s.config, { processCacheSize: 0, fileCacheSize: 0 });
        compareTrees(s, cached, uncached, 'the file cache');
      }),
      { numRuns: runs(500) },
    );
  });

  it('7b. the process cache is invisible (same answers and tree as without it)', () => {
    fc.assert(
      fc.property(scenarioArb({ cookies: ['unique'] }), (s) => {
        const cached = makeTree(s.config, { processCacheSize: 1024, fileCacheSize: 0 });
        const uncached = makeTree(s.config, { processCacheSize: 0, fileCacheSize: 0 });
        compareTrees(s, cached, uncached, 'the process cache');
      }),
      { numRuns: runs(1000), examples: [[KNOWN.cacheAfterRebase]] },
    );
  });

  // Why property 1b is conditional. Both behaviours follow the agent's findBranch/rebaseTree and
  // PathPatternMatch (datadog-agent pkg/security/security_profile/activity_tree/activity_tree.go):
  // they are not bugs of this library, and the tree does not return to a fixed point at once.
  describe('agent semantics that make whole-sequence idempotence fail', () => {
    it('a sibling rebase (§5.5) moves a subtree out of reach of the lineage that created it', () => {
      const tree = new ActivityTree();
      const bash = lineageOf(pinned(20, '/bin/bash'), INIT);
      expect(tree.insert({ type: 'exec', process: lineageOf(pinned(10, '/usr/bin/python3'), INIT) })).toBe(
        true,
      );
      expect(tree.insert({ type: 'exec', process: bash })).toBe(true);
      // python3 forks sh, which execs bash: the root `bash` is taken for that exec child and moved.
      const execChild = lineageOf(
        pinned(32, '/bin/bash', { exec: true }),
        pinned(31, '/bin/sh'),
        pinned(10, '/usr/bin/python3'),
        INIT,
      );
      expect(tree.insert({ type: 'exec', process: execChild })).toBe(true);
      expect(renderTreeDebug(tree)).not.toContain('\n- process: /bin/bash');
      // `bash ← init` is not an exec descendant of any root any more: a new root is created.
      expect(tree.insert({ type: 'exec', process: bash })).toBe(true);
      expect(tree.roots.map((r) => r.process.file.path)).toEqual(['/usr/bin/python3', '/bin/bash']);
      expect(tree.insert({ type: 'exec', process: bash })).toBe(false);
    });

    it('the normalised path match (§5.4) is asymmetric: a later node can capture a lineage', () => {
      const tree = new ActivityTree();
      const script = lineageOf(pinned(30, '/tmp/123456789/script.sh'), pinned(2, '/usr/bin/runc'), INIT);
      const open: ActivityEvent = { type: 'open', process: script, file: { path: '/etc/hosts' } };
      const execChild = lineageOf(
        pinned(11, '/tmp/123456789/script.sh', { exec: true }),
        pinned(10, '/bin/bash'),
        INIT,
      );
      expect(tree.insert({ type: 'exec', process: execChild })).toBe(true);
      // The root lookup finds the script among the exec descendants of `bash`.
      expect(tree.insert(open)).toBe(true);
      expect(tree.insert(open)).toBe(false);
      // `/tmp/ab` is too short a component to match the script's node, so this is a new root...
      const short = lineageOf(pinned(40, '/tmp/ab/script.sh'), pinned(2, '/usr/bin/runc'), INIT);
      expect(tree.insert({ type: 'exec', process: short })).toBe(true);
      // ...but as a tree node it matches the entry `/tmp/123456789/script.sh` (only the entry's
      // component length counts), and direct children are searched before exec descendants.
      expect(tree.insert(open)).toBe(true);
      expect(tree.roots[1]!.files.map((f) => f.name)).toEqual(['etc']);
    });
  });

  describe('6b. structurally broken events are dropped, never thrown on', () => {
    // Breakages of the fields the tree validates (event-shape.ts): the outcome must be
    // `broken_event`; what is not an event at all is a programming error and throws.
    for (const corruption of CHECKED_CORRUPTIONS) {
      it(`checked: ${corruption.name}`, () => {
        fc.assert(
          fc.property(stateAndProbesArb({ cookies: ['none'] }), ({ scenario, probes }) => {
            const tree = makeTree(scenario.config);
            for (const { event, options } of scenario.steps) tree.insertWithOutcome(event, options);
            for (const probe of probes) {
              const broken = corruption.apply(structuredClone(probe.event));
              if (broken === SKIP) continue;
              if (corruption.notAnEvent === true) {
                expect(() => tree.insertWithOutcome(broken as ActivityEvent, probe.options)).toThrow(
                  InvalidArgumentError,
                );
                continue;
              }
              const outcome = insertBroken(tree, broken, probe.options, scenario);
              const early = tree.insertWithOutcome(probe.event, { ...probe.options, dryRun: true });
              const expected =
                corruption.ancestorsOnly === true && (early === 'bind_family' || early === 'imds_filtered')
                  ? [early]
                  : [corruption.expected ?? 'broken_event'].flat();
              expect(expected).toContain(outcome);
            }
          }),
          { numRuns: runs(25) },
        );
      });
    }

    // Breakages of fields the tree does not validate up front: whatever the outcome, no throw,
    // neither now nor on later (valid) inserts that touch the same nodes, and a consistent tree.
    for (const corruption of UNCHECKED_CORRUPTIONS) {
      it(`unchecked: ${corruption.name}`, () => {
        fc.assert(
          fc.property(stateAndProbesArb(), ({ scenario, probes }) => {
            const tree = makeTree(scenario.config);
            for (const { event, options } of scenario.steps) tree.insertWithOutcome(event, options);
            for (const probe of probes) {
              const broken = corruption.apply(structuredClone(probe.event));
              if (broken === SKIP) continue;
              for (const dryRun of [true, false]) {
                const outcome = insertBroken(tree, broken, { ...probe.options, dryRun }, scenario);
                expect(OUTCOMES.has(outcome)).toBe(true);
              }
              insertBroken(tree, broken, probe.options, scenario); // the same garbage again
              insertBroken(tree, probe.event, probe.options, scenario); // and the valid original
            }
            const walk = walkTree(tree);
            if (walk.errors.length > 0) fail(walk.errors.join('\n'), scenario);
          }),
          { numRuns: runs(40) },
        );
      });
    }

    it('any mix of broken and valid events', () => {
      const all = [...CHECKED_CORRUPTIONS, ...UNCHECKED_CORRUPTIONS].filter((c) => c.notAnEvent !== true);
      fc.assert(
        fc.property(
          stateAndProbesArb(),
          fc.array(fc.nat({ max: all.length - 1 }), { minLength: 8, maxLength: 8 }),
          ({ scenario, probes }, picks) => {
            const tree = makeTree(scenario.config);
            scenario.steps.forEach((step, i) => {
              const corruption = all[picks[i % picks.length]!]!;
              const broken = i % 3 === 0 ? corruption.apply(structuredClone(step.event)) : SKIP;
              insertBroken(tree, broken === SKIP ? step.event : broken, step.options, scenario);
            });
            for (const probe of probes) insertBroken(tree, probe.event, probe.options, scenario);
            const walk = walkTree(tree);
            if (walk.errors.length > 0) fail(walk.errors.join('\n'), scenario);
            expect(walk.counts.processNodes).toBe(tree.stats.processNodes);
          },
        ),
        { numRuns: runs(100) },
      );
    });
  });
});

// ---- helpers of properties 4 and 6 -------------------------------------------------------------

type DnsState = Map<ProcessNode, Map<string, Set<number>>>;

function dnsState(tree: ActivityTree): DnsState {
  const state: DnsState = new Map();
  for (const node of walkTree(tree).processes) {
    state.set(
      node,
      new Map(byKey(node.dnsNames).map(([k, d]) => [k, new Set(d.requests.map((r) => r.type))])),
    );
  }
  return state;
}

// §5.7: a dry-run DNS lookup compares names on their last `dnsMatchMaxDepth` labels and needs the
// same question type (or, at depth 0, only the exact name, whatever the type), while the real
// insert keys nodes by the exact name and adds every new question type. So a dry-run may answer
// "known" for an insert that then adds a name or a type. Checks that this is exactly what
// happened: the one process node that gained the name/type had, before, a name justifying the
// dry-run answer.
function isDnsDepthQuirk(tree: ActivityTree, before: DnsState, event: DnsEvent, depth: number): boolean {
  const name = event.dns.name;
  const type = event.dns.type ?? 1;
  const after = dnsState(tree);
  const changed = [...after].filter(([node, names]) => {
    const old = before.get(node);
    return old === undefined || old.get(name)?.size !== names.get(name)?.size;
  });
  if (changed.length !== 1) return false;
  const known = before.get(changed[0]![0]);
  if (known === undefined) return false;
  if (depth === 0) return known.has(name) && !known.get(name)!.has(type);
  if (known.get(name)?.has(type) === true) return false;
  const wanted = reduceDnsName(name, depth);
  return [...known].some(([k, types]) => k !== name && reduceDnsName(k, depth) === wanted && types.has(type));
}

const SKIP = Symbol('skip');

interface Corruption {
  name: string;
  /** Breaks a (cloned) valid event, or returns SKIP when it does not apply to that event type. */
  apply: (event: ActivityEvent) => unknown;
  /** The drop reason(s) the tree must answer with. @default 'broken_event' */
  expected?: InsertOutcome | readonly InsertOutcome[];
  /**
   * Not an event at all (no object, no known type): a programming error, which the tree
   * rejects with an InvalidArgumentError instead of counting a drop under no event type.
   */
  notAnEvent?: boolean;
  /**
   * Breaks only what is checked when the lineage is walked (the ancestors, and the process
   * fields the process cache does not read): an event dropped before that (bad bind family,
   * filtered IMDS) keeps that reason.
   */
  ancestorsOnly?: boolean;
}

type Loose = Record<string, unknown>;

// Applies `mutate` to the event when it has the given type (any type when omitted).
function corrupt(
  name: string,
  type: ActivityEvent['type'] | undefined,
  mutate: (e: Loose) => void,
): Corruption {
  return {
    name,
    apply: (event) => {
      if (type !== undefined && event.type !== type) return SKIP;
      mutate(event as unknown as Loose);
      return event;
    },
  };
}

const proc = (e: Loose): Loose => e.process as Loose;
const firstAncestor = (e: Loose): Loose | undefined => (proc(e).ancestors as Loose[] | undefined)?.[0];

// Not even an object: there is no type to count a drop under.
const notAnObject = (name: string, value: unknown): Corruption => ({
  name,
  apply: () => value,
  notAnEvent: true,
});

const CHECKED_CORRUPTIONS: readonly Corruption[] = [
  notAnObject('event null', null),
  notAnObject('event undefined', undefined),
  notAnObject('event a string', 'exec'),
  notAnObject('event a number', 42),
  notAnObject('event an array', [{ type: 'exec' }]),
  corrupt('process missing', undefined, (e) => delete e.process),
  corrupt('process null', undefined, (e) => (e.process = null)),
  corrupt('process a string', undefined, (e) => (e.process = 'bash')),
  { ...corrupt('process.pid a string', undefined, (e) => (proc(e).pid = '12')), ancestorsOnly: true },
  corrupt('process.file missing', undefined, (e) => delete proc(e).file),
  {
    ...corrupt('process.file.path a number', undefined, (e) => ((proc(e).file as Loose).path = 42)),
    ancestorsOnly: true,
  },
  {
    ...corrupt('process.ancestors a string', undefined, (e) => (proc(e).ancestors = '/sbin/init')),
    ancestorsOnly: true,
  },
  {
    ...corrupt(
      'process.ancestors an object',
      undefined,
      (e) => (proc(e).ancestors = { 0: { pid: 1 }, length: 1 }),
    ),
    ancestorsOnly: true,
  },
  {
    ...corrupt('process.ancestors a number', undefined, (e) => (proc(e).ancestors = 1)),
    ancestorsOnly: true,
  },
  {
    ...corrupt('process.ancestors holding null', undefined, (e) => (proc(e).ancestors = [null])),
    ancestorsOnly: true,
  },
  {
    ...corrupt('ancestor without a file', undefined, (e) => {
      proc(e).ancestors = [{ pid: 1 }];
    }),
    ancestorsOnly: true,
  },
  {
    ...corrupt('ancestor file.path a number', undefined, (e) => {
      const a = firstAncestor(e);
      proc(e).ancestors = [{ ...a, pid: a?.pid ?? 1, file: { path: 7 } }];
    }),
    ancestorsOnly: true,
  },
  corrupt('timestamp a number', undefined, (e) => (e.timestamp = 5)),
  corrupt('matchedRules an object', undefined, (e) => (e.matchedRules = { ruleId: 'r1' })),
  corrupt('open: file missing', 'open', (e) => delete e.file),
  corrupt('open: file null', 'open', (e) => (e.file = null)),
  corrupt('open: file.path a number', 'open', (e) => ((e.file as Loose).path = 42)),
  corrupt('dns: dns missing', 'dns', (e) => delete e.dns),
  corrupt('dns: name a number', 'dns', (e) => ((e.dns as Loose).name = 1)),
  corrupt('bind: family a number', 'bind', (e) => ((e.bind as Loose).family = 2)),
  corrupt('bind: ip missing', 'bind', (e) => delete (e.bind as Loose).ip),
  corrupt('bind: port a string', 'bind', (e) => ((e.bind as Loose).port = '80')),
  corrupt('imds: imds null', 'imds', (e) => (e.imds = null)),
  corrupt('imds: type a number', 'imds', (e) => ((e.imds as Loose).type = 1)),
  corrupt('syscalls: strings', 'syscalls', (e) => (e.syscalls = ['read', 1])),
  corrupt('syscalls: not an array', 'syscalls', (e) => (e.syscalls = 59)),
  corrupt('syscalls: a fraction', 'syscalls', (e) => (e.syscalls = [1.5])),
  corrupt('capabilities: attempted a number', 'capabilities', (e) => (e.attempted = 3)),
  corrupt('capabilities: used missing', 'capabilities', (e) => delete e.used),
  corrupt('network_flow: device missing', 'network_flow', (e) => delete e.device),
  corrupt('network_flow: flows not an array', 'network_flow', (e) => (e.flows = {})),
  corrupt('network_flow: a null flow', 'network_flow', (e) => (e.flows = [null])),
  corrupt('network_flow: flow without source', 'network_flow', (e) => {
    e.flows = [{ destination: { ip: '1.1.1.1', port: 1 } }];
  }),
  { ...corrupt('unknown type', undefined, (e) => (e.type = 'mount')), notAnEvent: true },
  { ...corrupt('type missing', undefined, (e) => delete e.type), notAnEvent: true },
];

const UNCHECKED_CORRUPTIONS: readonly Corruption[] = [
  corrupt('process.args a string', undefined, (e) => (proc(e).args = '-c ls')),
  corrupt('process.args holding numbers', undefined, (e) => (proc(e).args = [1, null])),
  corrupt('process.envs a string', undefined, (e) => (proc(e).envs = 'HOME=/root')),
  corrupt('process.argv0 a number', undefined, (e) => (proc(e).argv0 = 0)),
  corrupt('process.file.basename a number', undefined, (e) => ((proc(e).file as Loose).basename = 5)),
  corrupt('process.file.inode a number', undefined, (e) => ((proc(e).file as Loose).inode = 0)),
  corrupt('process.cookie and execTime numbers', undefined, (e) => {
    proc(e).cookie = 7;
    proc(e).execTime = 7;
  }),
  corrupt('process.isExecExec a string', undefined, (e) => (proc(e).isExecExec = 'yes')),
  corrupt('process.credentials null', undefined, (e) => (proc(e).credentials = null)),
  corrupt('ancestor args a string', undefined, (e) => {
    const a = firstAncestor(e);
    if (a !== undefined) a.args = 'x';
  }),
  corrupt('matchedRules holding null', undefined, (e) => (e.matchedRules = [null, null])),
  corrupt('matchedRules holding a number', undefined, (e) => (e.matchedRules = [5])),
  corrupt('open: flags a string, mode NaN', 'open', (e) => {
    e.flags = 'O_RDONLY';
    e.mode = Number.NaN;
  }),
  corrupt('open: filesystem a number', 'open', (e) => ((e.file as Loose).filesystem = 9)),
  corrupt('dns: type a string', 'dns', (e) => ((e.dns as Loose).type = 'A')),
  corrupt('dns: response.ips a number', 'dns', (e) => ((e.dns as Loose).response = { ips: 5 })),
  corrupt('dns: response.cnames a string', 'dns', (e) => ((e.dns as Loose).response = { cnames: 'a.b' })),
  corrupt('dns: response null', 'dns', (e) => ((e.dns as Loose).response = null)),
  corrupt('bind: protocol and retval strings', 'bind', (e) => {
    (e.bind as Loose).protocol = 'tcp';
    (e.bind as Loose).retval = '0';
  }),
  corrupt('imds: aws null', 'imds', (e) => ((e.imds as Loose).aws = null)),
  corrupt('imds: securityCredentials a number', 'imds', (e) => {
    (e.imds as Loose).aws = { securityCredentials: 5 };
  }),
  corrupt('network_flow: counters as numbers', 'network_flow', (e) => {
    for (const f of e.flows as Loose[]) f.ingress = { dataSize: 5, packetCount: 1 };
  }),
  corrupt('network_flow: ip a number, device fields missing', 'network_flow', (e) => {
    e.device = {};
    for (const f of e.flows as Loose[]) (f.source as Loose).ip = 10;
  }),
];

// Inserts an event that may be garbage; any exception fails the property with a readable report.
function insertBroken(
  tree: ActivityTree,
  event: unknown,
  options: InsertOptions | undefined,
  scenario: Scenario,
): InsertOutcome {
  try {
    return tree.insertWithOutcome(event as ActivityEvent, options);
  } catch (error) {
    const text = (() => {
      try {
        return formatStep({ event: event as ActivityEvent, options });
      } catch {
        return show(event);
      }
    })();
    fail(`insert threw ${String(error)}\n  event: ${text}`, scenario);
  }
}
