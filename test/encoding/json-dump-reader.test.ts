import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  resolveDecodeLimits,
} from '../../src/encoding/decode-limits.js';
import { readJsonDump } from '../../src/encoding/json-dump-reader.js';
import {
  CorruptInputError,
  InputTooLargeError,
  InvalidArgumentError,
  UnsupportedFormatError,
} from '../../src/errors.js';
import { HashState } from '../../src/events/file-info.js';
import { GenerationType } from '../../src/tree/generation-type.js';
import type { ProcessNode } from '../../src/tree/process-node.js';
import { DATADOG_FIXTURES, hasDatadogFixtures, MISSING_FIXTURES_REASON } from '../support/fixtures.js';

const SUITE = join(DATADOG_FIXTURES, 'activity-tree-suite');
const hasSuite = hasDatadogFixtures && existsSync(SUITE);
const SUITE_MISSING = hasDatadogFixtures
  ? `${SUITE} not found; skipping fixture tests`
  : MISSING_FIXTURES_REASON;

const LIMITS: DecodeLimits = { ...DEFAULT_DECODE_LIMITS };

function read(text: string, limits: Partial<DecodeLimits> = {}) {
  return readJsonDump(text, { ...LIMITS, ...limits });
}

type Outcome = 'ok' | CorruptInputError | InputTooLargeError;

/** Runs a decode; returns 'ok' or the library error, and fails on any other error. */
function outcome(run: () => unknown): Outcome {
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
  }
}

function corruptMessage(run: () => unknown): string {
  const result = outcome(run);
  if (!(result instanceof CorruptInputError))
    throw new Error(`expected CorruptInputError, got ${String(result)}`);
  return result.message;
}

function tooLarge(run: () => unknown): InputTooLargeError {
  const result = outcome(run);
  if (!(result instanceof InputTooLargeError))
    throw new Error(`expected InputTooLargeError, got ${String(result)}`);
  return result;
}

function chain(root: ProcessNode): ProcessNode[] {
  const out = [root];
  for (let n = root; n.children.length > 0; n = n.children[0]!) out.push(n.children[0]!);
  return out;
}

// ---- fixtures -------------------------------------------------------------------------------

const fixtureFiles = hasSuite
  ? readdirSync(SUITE)
      .filter((f) => f.endsWith('_input_tree.json') || f.endsWith('_wanted_tree.json'))
      .sort()
  : [];

describe('agent fixtures', () => {
  if (!hasSuite) {
    console.warn(SUITE_MISSING);
    it.skip(SUITE_MISSING, () => {});
    return;
  }

  it('finds the fixture trees', () => {
    expect(fixtureFiles.length).toBeGreaterThan(0);
  });

  it.each(fixtureFiles)('decodes %s', (name) => {
    const bytes = readFileSync(join(SUITE, name));
    const dump = decodeDump(bytes);
    expect(dump.metadata).toBeUndefined();
    expect(dump.tree.stats.processNodes).toBe([...dump.tree.processNodes()].length);
    // Every process node has its executable path, and generation types are the wire numbers.
    for (const node of dump.tree.processNodes()) {
      expect(typeof node.process.file.path).toBe('string');
      expect(node.generationType).toBe(GenerationType.Unknown);
    }
    // Same result from text, with an explicit format.
    const fromText = decodeDump(bytes.toString('utf8'), { format: 'JSON' });
    expect(fromText.tree.stats.processNodes).toBe(dump.tree.stats.processNodes);
  });

  it('spot-checks exec-12_wanted_tree.json', () => {
    const dump = decodeDump(readFileSync(join(SUITE, 'exec-12_wanted_tree.json')));
    expect(dump.host).toBe('');
    expect(dump.tags).toEqual([]);
    expect(dump.tree.roots).toHaveLength(1);
    const root = dump.tree.roots[0]!;
    expect(root.process.file.path).toBe('/bin/bash');
    expect(root.process.argv0).toBe('bash');
    expect(root.process.containerId).toBe('123');
    expect(root.children).toHaveLength(1);
    expect(root.parent).toBeUndefined();
    const nodes = chain(root);
    expect(nodes.map((n) => n.process.file.path)).toEqual([
      '/bin/bash',
      '/bin/webserver',
      '/bin/apache',
      '/bin/wc',
      '/bin/id',
      '/bin/ls',
      '/bin/date',
      '/bin/passwd',
      '/bin/bpftool',
      '/bin/du',
    ]);
    expect(nodes.map((n) => n.isExecExec)).toEqual([
      false,
      true,
      true,
      false,
      true,
      true,
      false,
      false,
      true,
      true,
    ]);
    expect(nodes[1]!.parent).toBe(root);
    expect(dump.tree.stats.processNodes).toBe(10);
    // 64-bit values are exact bigints; the legacy package_srcversion key is read.
    const p = root.process;
    expect(p.cookie).toBe(0n);
    expect(p.execTime).toBe(0n);
    expect(p.file.inode).toBe(0n);
    expect(p.file.ctime).toBe(0n);
    expect(p.credentials?.capEffective).toBe(0n);
    expect(p.file.packageSrcVersion).toBe('');
    expect(p.file.hashState).toBe(HashState.NO_HASH);
    expect(p.file.hashes).toEqual([]);
    expect(p.args).toEqual([]);
    expect(root.syscalls).toEqual([]);
    expect(root.matchedRules).toBeUndefined();
  });
});

// ---- hand-written dump ------------------------------------------------------------------------

const FULL_FILE = {
  uid: 0,
  user: 'root',
  gid: 0,
  group: 'root',
  mode: 33261,
  ctime: '1664895219367404575',
  mtime: '1',
  mount_id: 42,
  inode: '18446744073709551615',
  in_upper_layer: true,
  path: '/usr/bin/python3',
  basename: 'python3',
  filesystem: 'ext4',
  package_name: 'python3',
  package_version: '3.10',
  package_srcversion: '3.10-src',
  package_epoch: 1,
  package_release: 'r1',
  package_src_epoch: 2,
  package_src_release: 'r2',
  hashes: ['sha256:ab'],
  hash_state: 'DONE',
};

/** A fresh copy each call: the property tests mutate it. */
function richDump(): Record<string, unknown> {
  return structuredClone({
    host: 'h1',
    service: 'svc',
    source: 'runtime-security-agent',
    metadata: {
      agent_version: '7.50.0',
      agent_commit: 'abc',
      kernel_version: '5.15',
      linux_distribution: 'ubuntu',
      arch: 'x64',
      name: 'activity-dump-abcdefghij',
      protobuf_version: 'v1',
      differentiate_args: true,
      comm: '',
      container_id: 'cid',
      start: '1664895219367404575',
      end: '1664895219367404999',
      size: '4096',
      serialization: 'json',
      cgroup_id: 'cg',
      cgroup_manager: 'docker',
      some_future_field: { nested: [1, 2] },
    },
    tags: ['host:h1', 'source:runtime-security-agent'],
    tree: [
      {
        process: {
          pid: 1,
          tid: 1,
          ppid: 0,
          cookie: 7,
          is_thread: false,
          file: FULL_FILE,
          container_id: 'cid',
          span_id: '0',
          trace_id: '0',
          tty: 'pts0',
          comm: 'python3',
          fork_time: '10',
          exit_time: '0',
          exec_time: '11',
          credentials: {
            uid: 1,
            gid: 2,
            user: 'u',
            group: 'g',
            effective_uid: 3,
            effective_gid: 4,
            effective_user: 'eu',
            effective_group: 'eg',
            fs_uid: 5,
            fs_gid: 6,
            fs_user: 'fu',
            fs_group: 'fg',
            cap_effective: '18446744073709551615',
            cap_permitted: '1',
          },
          args: ['-c', 'x'],
          argv0: 'python3',
          args_truncated: false,
          envs: ['PATH=/bin', 'HOME'],
          envs_truncated: true,
          is_exec_child: false,
          cookie64: '1664895219367404575',
        },
        generation_type: 'RUNTIME',
        matched_rules: [
          { rule_id: 'r1', rule_version: '1', policy_name: 'p', policy_version: '2', rule_tags: { a: 'b' } },
        ],
        children: [
          {
            process: { pid: 2, file: { path: '/bin/sh' }, is_exec_child: true, cookie: 9, cookie64: '0' },
            generation_type: 3,
            children: [],
          },
          { process: { pid: 3, file: { path: '/bin/ls' } }, generation_type: 4, children: null },
        ],
        files: [
          {
            name: 'etc',
            file: null,
            generation_type: 'SNAPSHOT',
            first_seen: '0',
            open: null,
            children: [
              {
                name: 'passwd',
                file: { path: '/etc/passwd', basename: 'passwd', inode: '5' },
                generation_type: 'RUNTIME',
                first_seen: '123',
                open: { retval: '-2', flags: 524288, mode: 0 },
                matched_rules: [{ rule_id: 'r2' }],
                node_base: { seen: { v1: { first_seen: '5', last_seen: '6' } } },
                children: [],
              },
              { name: 'sess-*', is_pattern: true, file: { path: '/etc/sess-*' }, children: [] },
            ],
          },
          { name: 'tmp', file: { path: '/tmp' }, open: { retval: '3', flags: 1, mode: 420 } },
          { name: 'tmp', file: { path: '/tmp2' } },
        ],
        dns_names: [
          {
            matched_rules: [],
            image_tags: ['old'],
            node_base: null,
            requests: [
              { name: 'example.com', type: 1, class: 1, size: 29, count: 1 },
              { name: 'example.com', type: 28, class: 1, size: 29, count: 1 },
            ],
          },
          { requests: [] },
          { requests: [{ name: 'datadoghq.com', type: 1, class: 1, size: 31, count: 2 }] },
        ],
        sockets: [
          {
            family: 'AF_INET',
            bind: [
              {
                port: 8080,
                ip: '0.0.0.0',
                protocol: 6,
                matched_rules: [],
                image_tags: [],
                node_base: { seen: { v2: { first_seen: '7', last_seen: '8' } } },
              },
            ],
          },
        ],
        syscalls: [0, 1, 59],
        image_tags: ['legacy-tag', 'v1'],
        node_base: { seen: { v1: { first_seen: '100', last_seen: '200' } } },
        imds_events: [
          {
            event: {
              type: 'request',
              cloud_provider: 'aws',
              url: '/latest/meta-data',
              host: '169.254.169.254',
              user_agent: 'curl',
              server: '',
              aws: {
                is_imds_v2: true,
                security_credentials: {
                  code: 'Success',
                  type: 'AWS-HMAC',
                  access_key_id: 'AKIA',
                  last_updated: '2024',
                  expiration_raw: '2024-01-01T00:00:00Z',
                },
              },
            },
            matched_rules: [{ rule_id: 'imds' }],
          },
          { event: { type: 'response', cloud_provider: 'gcp', aws: { is_imds_v2: true } } },
          {
            event: {
              type: 'request',
              cloud_provider: 'aws',
              url: '/latest/meta-data',
              host: '169.254.169.254',
              user_agent: 'curl',
              server: '',
              aws: {
                is_imds_v2: true,
                security_credentials: {
                  code: 'Success',
                  type: 'AWS-HMAC',
                  access_key_id: 'AKIA',
                  last_updated: '2024',
                  expiration_raw: '2024-01-01T00:00:00Z',
                },
              },
            },
          },
        ],
        syscall_nodes: [
          { syscall: 59, node_base: { seen: { v1: { first_seen: '1', last_seen: '2' } } } },
          { syscall: 257 },
        ],
        network_devices: [
          {
            netns: 4026531840,
            ifindex: 2,
            ifname: 'eth0',
            matched_rules: [],
            flow_nodes: [
              {
                source: { ip: '10.0.0.1', port: 5555 },
                destination: { ip: '1.1.1.1', port: 443 },
                l3_protocol: 2048,
                l4_protocol: 6,
                ingress: { data_size: '9007199254740993', packet_count: '3' },
                egress: { data_size: '10', packet_count: '1' },
              },
              {
                source: { ip: '10.0.0.1', port: 5555 },
                destination: { ip: '1.1.1.1', port: 443 },
                l3_protocol: 2048,
                l4_protocol: 6,
                ingress: { data_size: '1', packet_count: '1' },
                egress: null,
              },
              {
                source: { ip: '10.0.0.1', port: 5556 },
                destination: { ip: '1.1.1.1', port: 53 },
                l3_protocol: 2048,
                l4_protocol: 17,
                node_base: { seen: { v1: { first_seen: '3', last_seen: '4' } } },
              },
            ],
          },
        ],
        capability_nodes: [
          { capability: '21', is_capable: true, node_base: null },
          { capability: 12, is_capable: false },
        ],
        an_unknown_field: 'ignored',
      },
    ],
  });
}

describe('hand-written dump', () => {
  const dump = read(JSON.stringify(richDump()));
  const root = dump.tree.roots[0]!;

  it('reads the header and metadata', () => {
    expect(dump.host).toBe('h1');
    expect(dump.service).toBe('svc');
    expect(dump.source).toBe('runtime-security-agent');
    expect(dump.tags).toEqual(['host:h1', 'source:runtime-security-agent']);
    expect(dump.metadata).toEqual({
      agentVersion: '7.50.0',
      agentCommit: 'abc',
      kernelVersion: '5.15',
      linuxDistribution: 'ubuntu',
      arch: 'x64',
      name: 'activity-dump-abcdefghij',
      protobufVersion: 'v1',
      differentiateArgs: true,
      comm: '',
      containerId: 'cid',
      start: 1664895219367404575n,
      end: 1664895219367404999n,
      size: 4096n,
      serialization: 'json',
      cgroupId: 'cg',
      cgroupManager: 'docker',
    });
    expect(dump.tree.differentiateArgs).toBe(true);
  });

  it('reads the process info', () => {
    expect(root.generationType).toBe(GenerationType.Runtime);
    expect(root.process).toStrictEqual({
      pid: 1,
      tid: 1,
      ppid: 0,
      cookie: 1664895219367404575n,
      isThread: false,
      file: {
        path: '/usr/bin/python3',
        basename: 'python3',
        inode: 18446744073709551615n,
        mountId: 42,
        mode: 33261,
        uid: 0,
        gid: 0,
        user: 'root',
        group: 'root',
        ctime: 1664895219367404575n,
        mtime: 1n,
        filesystem: 'ext4',
        inUpperLayer: true,
        packageName: 'python3',
        packageVersion: '3.10',
        packageSrcVersion: '3.10-src',
        packageEpoch: 1,
        packageRelease: 'r1',
        packageSrcEpoch: 2,
        packageSrcRelease: 'r2',
        hashes: ['sha256:ab'],
        hashState: HashState.DONE,
      },
      containerId: 'cid',
      tty: 'pts0',
      comm: 'python3',
      forkTime: 10n,
      exitTime: 0n,
      execTime: 11n,
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
        capEffective: 18446744073709551615n,
        capPermitted: 1n,
      },
      argv0: 'python3',
      args: ['-c', 'x'],
      argsTruncated: false,
      envs: ['PATH=/bin', 'HOME'],
      envsTruncated: true,
      isExecExec: false,
    });
    expect(root.matchedRules).toEqual([
      { ruleId: 'r1', ruleVersion: '1', policyName: 'p', policyVersion: '2', ruleTags: { a: 'b' } },
    ]);
  });

  it('reads children in order, with legacy cookies and bare generation numbers', () => {
    expect(root.children.map((c) => c.process.file.path)).toEqual(['/bin/sh', '/bin/ls']);
    const [sh, ls] = root.children;
    expect(sh!.parent).toBe(root);
    expect(sh!.isExecExec).toBe(true);
    expect(sh!.process.cookie).toBe(9n);
    expect(sh!.generationType).toBe(GenerationType.ProfileDrift);
    expect(ls!.generationType).toBe(GenerationType.WorkloadWarmup);
    expect(ls!.process).toStrictEqual({ pid: 3, file: { path: '/bin/ls' } });
  });

  it('merges node_base and legacy image tags', () => {
    expect(root.imageTags).toEqual([
      { tag: 'v1', firstSeen: 100n, lastSeen: 200n },
      { tag: 'legacy-tag', firstSeen: 0n, lastSeen: 0n },
    ]);
  });

  it('reads the file tree (duplicates: last wins)', () => {
    expect(root.files.map((f) => f.name)).toEqual(['etc', 'tmp']);
    const etc = root.file('etc')!;
    expect(etc.file).toBeUndefined();
    expect(etc.open).toBeUndefined();
    expect(etc.firstSeen).toBeUndefined();
    expect(etc.generationType).toBe(GenerationType.Snapshot);
    const passwd = etc.child('passwd')!;
    expect(passwd.file).toStrictEqual({ path: '/etc/passwd', basename: 'passwd', inode: 5n });
    expect(passwd.open).toEqual({ retval: -2, flags: 524288, mode: 0 });
    expect(passwd.firstSeen).toBe(123n);
    expect(passwd.matchedRules).toEqual([{ ruleId: 'r2' }]);
    expect(passwd.imageTags).toEqual([{ tag: 'v1', firstSeen: 5n, lastSeen: 6n }]);
    expect(etc.child('sess-*')!.isPattern).toBe(true);
    const tmp = root.file('tmp')!;
    expect(tmp.file?.path).toBe('/tmp2');
    expect(tmp.open).toBeUndefined();
  });

  it('reads DNS nodes keyed by their first request, dropping empty ones', () => {
    expect([...root.dnsNames.keys()]).toEqual(['example.com', 'datadoghq.com']);
    const example = root.dnsNames.get('example.com')!;
    expect(example.requests).toEqual([
      { name: 'example.com', type: 1, class: 1, size: 29, count: 1, ips: [], cnames: [] },
      { name: 'example.com', type: 28, class: 1, size: 29, count: 1, ips: [], cnames: [] },
    ]);
    expect(example.imageTags).toEqual([{ tag: 'old', firstSeen: 0n, lastSeen: 0n }]);
    expect(root.dnsNames.get('datadoghq.com')!.requests[0]!.count).toBe(2);
    expect([...dump.tree.dnsNames].sort()).toEqual(['datadoghq.com', 'example.com']);
  });

  it('reads sockets, legacy syscalls, syscall and capability nodes', () => {
    expect(root.sockets).toHaveLength(1);
    const socket = root.sockets[0]!;
    expect(socket.family).toBe('AF_INET');
    expect(socket.binds).toHaveLength(1);
    const bind = socket.bind(8080, '0.0.0.0', 6)!;
    expect(bind.imageTags).toEqual([{ tag: 'v2', firstSeen: 7n, lastSeen: 8n }]);
    expect(bind.matchedRules).toBeUndefined();
    // The legacy packed list [0, 1, 59] joins the syscall nodes; 59 is already one.
    expect(root.syscalls.map((s) => [s.syscall, s.generationType])).toEqual([
      [59, GenerationType.Runtime],
      [257, GenerationType.Runtime],
      [0, GenerationType.Runtime],
      [1, GenerationType.Runtime],
    ]);
    expect(root.syscalls[0]!.imageTags).toEqual([{ tag: 'v1', firstSeen: 1n, lastSeen: 2n }]);
    expect(dump.tree.syscalls()).toEqual([0, 1, 59, 257]);
    expect(root.capabilities.map((c) => [c.capability, c.capable, c.generationType])).toEqual([
      [21, true, GenerationType.Runtime],
      [12, false, GenerationType.Runtime],
    ]);
  });

  it('reads IMDS events keyed by their normalised event', () => {
    expect(root.imdsEvents.size).toBe(2);
    const nodes = [...root.imdsEvents.values()];
    const aws = nodes.find((n) => n.event.cloudProvider === 'aws')!;
    expect(aws.event).toEqual({
      type: 'request',
      cloudProvider: 'aws',
      url: '/latest/meta-data',
      host: '169.254.169.254',
      userAgent: 'curl',
      server: '',
      aws: {
        isImdsV2: true,
        securityCredentials: {
          code: 'Success',
          type: 'AWS-HMAC',
          accessKeyId: 'AKIA',
          lastUpdated: '2024',
          expirationRaw: '2024-01-01T00:00:00Z',
        },
      },
    });
    // The duplicate (without rules) came last and replaced the first.
    expect(aws.matchedRules).toBeUndefined();
    const gcp = nodes.find((n) => n.event.cloudProvider === 'gcp')!;
    expect(gcp.event.aws).toBeUndefined();
    expect(gcp.event.url).toBe('');
  });

  it('reads network devices and flows (duplicate 5-tuple: first wins)', () => {
    expect(root.networkDevices.size).toBe(1);
    const device = root.networkDevices.get('4026531840|2|eth0')!;
    expect(device.device).toEqual({ netns: 4026531840, ifindex: 2, ifname: 'eth0' });
    expect(device.flows.size).toBe(2);
    const [https, dns] = [...device.flows.values()];
    expect(https!.ingress).toEqual({ dataSize: 9007199254740993n, packetCount: 3n });
    expect(https!.egress).toEqual({ dataSize: 10n, packetCount: 1n });
    expect(https!.l3Protocol).toBe(2048);
    expect(dns!.l4Protocol).toBe(17);
    expect(dns!.destination).toEqual({ ip: '1.1.1.1', port: 53 });
    expect(dns!.imageTags).toEqual([{ tag: 'v1', firstSeen: 3n, lastSeen: 4n }]);
    expect(dns!.egress).toEqual({ dataSize: 0n, packetCount: 0n });
  });

  it('recounts the tree stats', () => {
    const s = dump.tree.stats;
    expect(s.processNodes).toBe(3);
    expect(s.fileNodes).toBe(3); // passwd, sess-*, tmp: the nodes with file info
    expect(s.dnsNodes).toBe(2);
    expect(s.socketNodes).toBe(1);
    expect(s.imdsNodes).toBe(2);
    expect(s.syscallNodes).toBe(4); // two nodes and two from the legacy list
    expect(s.flowNodes).toBe(2);
    expect(s.capabilityNodes).toBe(2);
  });

  it('counts every node kind against maxNodes', () => {
    // 3 process + 5 file + 3 DNS + 1 socket + 1 bind + 3 IMDS + 2 syscall + 1 device + 3 flow + 2 capability.
    const text = JSON.stringify(richDump());
    expect(outcome(() => read(text, { maxNodes: 24 }))).toBe('ok');
    expect(tooLarge(() => read(text, { maxNodes: 23 })).limit).toBe('maxNodes');
  });
});

describe('protobuf-JSON value rules', () => {
  it('accepts lowerCamelCase JSON names', () => {
    const dump = read(
      JSON.stringify({
        metadata: { agentVersion: '7', differentiateArgs: false, cgroupManager: 'systemd', start: 5 },
        tree: [
          {
            process: {
              pid: 5,
              isExecChild: true,
              cookie64: '12',
              execTime: '5',
              containerId: 'c',
              argsTruncated: true,
              file: { path: '/x', mountId: 3, packageSrcVersion: 's', hashState: 'DONE', inUpperLayer: true },
              credentials: { effectiveUid: 7, fsUid: 8, capEffective: '3' },
            },
            generationType: 'SNAPSHOT',
            matchedRules: [{ ruleId: 'r', ruleTags: { k: 'v' } }],
            dnsNames: [{ requests: [{ name: 'a.b', type: 1 }] }],
            nodeBase: { seen: { t: { firstSeen: '1', lastSeen: '2' } } },
            imageTags: ['u'],
            syscallNodes: [{ syscall: 1 }],
            capabilityNodes: [{ capability: '1', isCapable: true }],
            imdsEvents: [
              {
                event: {
                  type: 'request',
                  cloudProvider: 'aws',
                  userAgent: 'ua',
                  aws: { isImdsV2: true, securityCredentials: { accessKeyId: 'k', expirationRaw: 'e' } },
                },
              },
            ],
            networkDevices: [
              {
                ifname: 'lo',
                flowNodes: [
                  {
                    source: { ip: 'a', port: 1 },
                    destination: { ip: 'b', port: 2 },
                    l4Protocol: 17,
                    ingress: { dataSize: '4', packetCount: 1 },
                  },
                ],
              },
            ],
            files: [{ name: 'x', file: { path: '/x', packageSrcversion: 'old' }, firstSeen: '9' }],
          },
        ],
      }),
    );
    expect(dump.metadata?.agentVersion).toBe('7');
    expect(dump.metadata?.cgroupManager).toBe('systemd');
    expect(dump.metadata?.start).toBe(5n);
    const root = dump.tree.roots[0]!;
    expect(root.process.isExecExec).toBe(true);
    expect(root.process.cookie).toBe(12n);
    expect(root.process.execTime).toBe(5n);
    expect(root.process.containerId).toBe('c');
    expect(root.process.argsTruncated).toBe(true);
    expect(root.process.file).toStrictEqual({
      path: '/x',
      mountId: 3,
      packageSrcVersion: 's',
      hashState: HashState.DONE,
      inUpperLayer: true,
    });
    expect(root.process.credentials).toStrictEqual({ effectiveUid: 7, fsUid: 8, capEffective: 3n });
    expect(root.generationType).toBe(GenerationType.Snapshot);
    expect(root.matchedRules).toEqual([{ ruleId: 'r', ruleTags: { k: 'v' } }]);
    expect([...root.dnsNames.keys()]).toEqual(['a.b']);
    expect(root.imageTags).toEqual([
      { tag: 't', firstSeen: 1n, lastSeen: 2n },
      { tag: 'u', firstSeen: 0n, lastSeen: 0n },
    ]);
    expect(root.syscalls[0]!.syscall).toBe(1);
    expect(root.capabilities[0]!.capable).toBe(true);
    const imds = [...root.imdsEvents.values()][0]!;
    expect(imds.event.userAgent).toBe('ua');
    expect(imds.event.aws?.isImdsV2).toBe(true);
    expect(imds.event.aws?.securityCredentials?.accessKeyId).toBe('k');
    const flow = [...root.networkDevices.get('0|0|lo')!.flows.values()][0]!;
    expect(flow.l4Protocol).toBe(17);
    expect(flow.ingress).toEqual({ dataSize: 4n, packetCount: 1n });
    const file = root.file('x')!;
    expect(file.file?.packageSrcVersion).toBe('old');
    expect(file.firstSeen).toBe(9n);
  });

  it('names the JSON key as written in errors', () => {
    expect(corruptMessage(() => read('{"tree":[{"process":{"file":{"mountId":"x"}}}]}'))).toMatch(
      /^tree\[0\]\.process\.file\.mountId: /,
    );
  });

  it('reads 64-bit values exactly, from strings or safe numbers', () => {
    const dump = read(
      JSON.stringify({
        tree: [
          {
            process: {
              pid: '42',
              exec_time: '1664895219367404575',
              fork_time: 12,
              file: { inode: '0', path: 'p' },
            },
          },
        ],
      }),
    );
    const p = dump.tree.roots[0]!.process;
    expect(p.pid).toBe(42);
    expect(p.execTime).toBe(1664895219367404575n);
    expect(p.forkTime).toBe(12n);
    expect(p.file.inode).toBe(0n);
    const exp = read('{"tree":[{"process":{"pid":"1e2","exec_time":"1.5e1","fork_time":"-0"}}]}');
    expect(exp.tree.roots[0]!.process.pid).toBe(100);
    expect(exp.tree.roots[0]!.process.execTime).toBe(15n);
    expect(exp.tree.roots[0]!.process.forkTime).toBe(0n);
    const signed = read('{"tree":[{"files":[{"name":"f","open":{"retval":"-9223372036854775808"}}]}]}');
    expect(signed.tree.roots[0]!.file('f')!.open!.retval).toBe(Number(-9223372036854775808n));
  });

  it('treats null as unset and ignores unknown keys and enum names', () => {
    const dump = read(
      '{"host":null,"metadata":null,"tags":null,"tree":[{"process":{"pid":null,"file":null,"args":null,' +
        '"credentials":null,"mystery":[1,{"x":null}]},"generation_type":"SOMETHING_NEW","children":null,' +
        '"files":[{"name":"a","file":{"hash_state":"NEW_STATE"}}]}],"extra":{"a":[[]]}}',
    );
    expect(dump.host).toBe('');
    expect(dump.metadata).toBeUndefined();
    expect(dump.tags).toEqual([]);
    const root = dump.tree.roots[0]!;
    expect(root.process).toStrictEqual({ pid: 0, file: { path: '' } });
    expect(root.generationType).toBe(GenerationType.Unknown);
    expect(root.file('a')!.file).toStrictEqual({ path: '' });
  });

  it('reads the July 2023 node-level is_exec_child', () => {
    const dump = read('{"tree":[{"process":{"pid":1},"is_exec_child":true}]}');
    expect(dump.tree.roots[0]!.isExecExec).toBe(true);
  });

  it('keeps a __proto__ rule tag as a plain entry', () => {
    const dump = read('{"tree":[{"matched_rules":[{"rule_id":"r","rule_tags":{"__proto__":"x","b":"y"}}]}]}');
    const tags = dump.tree.roots[0]!.matchedRules![0]!.ruleTags!;
    expect(Object.keys(tags)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
  });

  const badValues: [string, string, RegExp][] = [
    ['tree not an array', '{"tree":{}}', /^tree: expected an array, got an object/],
    ['children an object', '{"tree":[{"children":{}}]}', /^tree\[0\]\.children: expected an array/],
    ['a node that is a string', '{"tree":["x"]}', /^tree\[0\]: expected an object, got a string/],
    ['a null node', '{"tree":[null]}', /^tree\[0\]: expected an object, got null/],
    [
      'a non-numeric pid',
      '{"tree":[{"children":[{},{},{"process":{"pid":"abc"}}]}]}',
      /^tree\[0\]\.children\[2\]\.process\.pid: /,
    ],
    ['a negative pid', '{"tree":[{"process":{"pid":-1}}]}', /^tree\[0\]\.process\.pid: -1 is out of range/],
    ['a pid above 2^32', '{"tree":[{"process":{"pid":4294967296}}]}', /^tree\[0\]\.process\.pid: /],
    ['a fractional pid', '{"tree":[{"process":{"pid":1.5}}]}', /^tree\[0\]\.process\.pid: /],
    ['a boolean pid', '{"tree":[{"process":{"pid":true}}]}', /^tree\[0\]\.process\.pid: expected an integer/],
    ['cookie64 above 2^64', '{"tree":[{"process":{"cookie64":"18446744073709551616"}}]}', /cookie64: /],
    ['a negative uint64', '{"tree":[{"process":{"exec_time":"-1"}}]}', /exec_time: /],
    ['a fractional uint64', '{"tree":[{"process":{"exec_time":"1.5"}}]}', /exec_time: /],
    ['an empty uint64', '{"tree":[{"process":{"exec_time":""}}]}', /exec_time: /],
    ['a huge digit string', `{"tree":[{"process":{"exec_time":"${'9'.repeat(10_000)}"}}]}`, /exec_time: /],
    ['an unsafe 64-bit number', '{"tree":[{"process":{"exec_time":1664895219367404575}}]}', /exact/],
    ['a sint64 below -2^63', '{"tree":[{"files":[{"open":{"retval":"-9223372036854775809"}}]}]}', /retval/],
    ['an object enum', '{"tree":[{"process":{"file":{"hash_state":{}}}}]}', /file\.hash_state: /],
    ['a fractional enum', '{"tree":[{"generation_type":1.5}]}', /generation_type: /],
    ['a string bool', '{"tree":[{"process":{"is_thread":"true"}}]}', /is_thread: expected a boolean/],
    ['a number string', '{"host":1}', /^host: expected a string, got a number/],
    ['a null list element', '{"tags":["a",null]}', /^tags\[1\]: expected a string, got null/],
    ['metadata an array', '{"metadata":[]}', /^metadata: expected an object, got an array/],
    ['a rule tag number', '{"tree":[{"matched_rules":[{"rule_tags":{"k":1}}]}]}', /rule_tags\.k: /],
    ['a seen entry string', '{"tree":[{"node_base":{"seen":{"t":"x"}}}]}', /node_base\.seen\.t: /],
    [
      'a huge capability',
      '{"tree":[{"capability_nodes":[{"capability":"18446744073709551615"}]}]}',
      /capability/,
    ],
    ['a top-level array', '[]', /^\(top level\): expected an object, got an array/],
    ['a top-level null', 'null', /^\(top level\): expected an object, got null/],
    ['a syntax error', '{"tree":[}', /^invalid JSON/],
    ['an empty text', '', /^invalid JSON/],
  ];

  it.each(badValues)('rejects %s', (_, text, pattern) => {
    expect(corruptMessage(() => read(text))).toMatch(pattern);
  });
});

// ---- limits and hostile input -------------------------------------------------------------------

describe('limits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_DECODE_LIMITS).toEqual({
      maxBytes: 256 * 1024 * 1024,
      maxDepth: 512,
      maxNodes: 5_000_000,
    });
    expect(resolveDecodeLimits({ maxNodes: 3 })).toEqual({ ...DEFAULT_DECODE_LIMITS, maxNodes: 3 });
    expect(() => resolveDecodeLimits({ maxDepth: -1 })).toThrow(InvalidArgumentError);
    expect(() => resolveDecodeLimits({ maxBytes: Number.NaN })).toThrow(InvalidArgumentError);
    expect(resolveDecodeLimits({ maxBytes: Number.POSITIVE_INFINITY }).maxBytes).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(() => read('{}', { maxNodes: 1.5 })).toThrow(InvalidArgumentError);
  });

  it('checks maxBytes first, on text and on bytes', () => {
    const text = '{"host":"0123456789"}';
    expect(tooLarge(() => read(text, { maxBytes: 10 })).limit).toBe('maxBytes');
    expect(
      tooLarge(() => decodeDump(new TextEncoder().encode(text), { limits: { maxBytes: 10 } })).limit,
    ).toBe('maxBytes');
    // Checked before anything else: even invalid JSON reports the size.
    expect(tooLarge(() => read('x'.repeat(11), { maxBytes: 10 })).limit).toBe('maxBytes');
    expect(outcome(() => read(text, { maxBytes: text.length }))).toBe('ok');
  });

  it.each([
    ['[[[[…', '['.repeat(100_000)],
    ['balanced [[[[…]]]]', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['{"a":{"a":…', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
    ['nested children', `{"tree":[${'{"children":['.repeat(50_000)}${']}'.repeat(50_000)}]}`],
  ])('rejects 100k-deep nesting %s with maxDepth', (_, text) => {
    expect(tooLarge(() => read(text)).limit).toBe('maxDepth');
    expect(tooLarge(() => decodeDump(text, { format: 'json' })).limit).toBe('maxDepth');
  });

  it('never overflows the stack even without a depth limit', () => {
    const deep = `{"tree":[${'{"children":['.repeat(100_000)}${']}'.repeat(100_000)}]}`;
    const result = outcome(() => read(deep, { maxDepth: Number.POSITIVE_INFINITY }));
    expect(result).toBeInstanceOf(InputTooLargeError);
    expect((result as InputTooLargeError).limit).toBe('maxDepth');
  });

  it('counts nesting exactly and skips string contents', () => {
    expect(outcome(() => read('{"tree":[{"children":[]}]}', { maxDepth: 4 }))).toBe('ok');
    expect(tooLarge(() => read('{"tree":[{"children":[]}]}', { maxDepth: 3 })).limit).toBe('maxDepth');
    expect(outcome(() => read('{"host":"[[[[{{{{\\"[[[\\\\","tags":["]]]]"]}', { maxDepth: 2 }))).toBe('ok');
  });

  it('agrees with the real nesting depth of random JSON', () => {
    const depthOf = (v: unknown): number =>
      typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 8 }), (value, maxDepth) => {
        const text = JSON.stringify({ unknown: value });
        const depth = 1 + depthOf(value);
        const result = outcome(() => read(text, { maxDepth }));
        if (depth > maxDepth) {
          expect(result).toBeInstanceOf(InputTooLargeError);
          expect((result as InputTooLargeError).limit).toBe('maxDepth');
        } else {
          expect(result).toBe('ok');
        }
      }),
    );
  });

  it('stops past maxNodes', () => {
    const tree = Array.from({ length: 11 }, (_, i) => ({ process: { pid: i } }));
    const text = JSON.stringify({ tree });
    expect(tooLarge(() => read(text, { maxNodes: 10 })).limit).toBe('maxNodes');
    expect(outcome(() => read(text, { maxNodes: 11 }))).toBe('ok');
    const files = JSON.stringify({
      tree: [{ files: Array.from({ length: 10 }, (_, i) => ({ name: `f${i}` })) }],
    });
    expect(tooLarge(() => decodeDump(files, { limits: { maxNodes: 10 } })).limit).toBe('maxNodes');
  });
});

describe('hostile input', () => {
  it('random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        outcome(() => read(text));
        outcome(() => decodeDump(text, { format: 'json' }));
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        outcome(() => decodeDump(bytes, { format: 'json' }));
      }),
      { numRuns: 300 },
    );
  });

  it('random JSON, at the top and in the tree', () => {
    fc.assert(
      fc.property(fc.json(), (json) => {
        outcome(() => read(json));
        outcome(() => read(`{"tree":${json}}`));
        outcome(() => read(`{"tree":[${json}]}`));
        outcome(() =>
          read(`{"tree":[{"process":${json},"files":[${json}],"children":[{"dns_names":${json}}]}]}`),
        );
        outcome(() => read(`{"metadata":${json},"tree":[{"network_devices":[{"flow_nodes":[${json}]}]}]}`));
      }),
      { numRuns: 300 },
    );
  });

  it('every prefix of a fixture-shaped dump', () => {
    const text = hasSuite
      ? readFileSync(join(SUITE, 'exec-02_input_tree.json'), 'utf8')
      : JSON.stringify(richDump(), null, 1);
    const end = text.lastIndexOf('}') + 1;
    for (let length = 0; length < end; length++) {
      const result = outcome(() => read(text.slice(0, length)));
      expect(result).toBeInstanceOf(CorruptInputError);
    }
    expect(outcome(() => read(text.slice(0, end)))).toBe('ok');
  });

  it('every prefix of the hand-written dump', () => {
    const text = JSON.stringify(richDump());
    for (let length = 0; length < text.length; length++) {
      expect(outcome(() => read(text.slice(0, length)))).toBeInstanceOf(CorruptInputError);
    }
  });

  it('wrong types at random paths fail at that path', () => {
    // Every path of the hand-written dump, formatted as the reader reports them.
    const paths: (string | number)[][] = [];
    const collect = (value: unknown, at: (string | number)[]): void => {
      if (at.length > 0) paths.push(at);
      if (typeof value !== 'object' || value === null) return;
      for (const [k, v] of Object.entries(value)) collect(v, [...at, Array.isArray(value) ? Number(k) : k]);
    };
    collect(richDump(), []);
    const format = (at: (string | number)[]): string =>
      at.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

    fc.assert(
      fc.property(fc.nat({ max: paths.length - 1 }), fc.jsonValue(), (index, replacement) => {
        const at = paths[index]!;
        const dump = richDump();
        let parent = dump as Record<string | number, unknown>;
        for (const k of at.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        parent[at[at.length - 1]!] = replacement;
        const result = outcome(() => read(JSON.stringify(dump)));
        if (result instanceof CorruptInputError) expect(result.message.startsWith(format(at))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

// ---- decodeDump -------------------------------------------------------------------------------

describe('decodeDump', () => {
  it('detects JSON from the first non-whitespace byte, after a BOM', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(' \n\t{"host":"h"}')]);
    expect(decodeDump(bytes).host).toBe('h');
    expect(decodeDump('\ufeff  {"host":"h"}').host).toBe('h');
  });

  it('takes format names case-insensitively', () => {
    expect(decodeDump('{"host":"h"}', { format: 'Json' }).host).toBe('h');
    expect(decodeDump('{"host":"h"}', { format: 'JSON' }).host).toBe('h');
  });

  it('rejects unknown and output-only formats, listing the supported ones', () => {
    expect(() => decodeDump('{}', { format: 'yaml' })).toThrow(UnsupportedFormatError);
    expect(() => decodeDump('{}', { format: 'yaml' })).toThrow(
      /supported: json, protobuf, msgpack, dot, profile/,
    );
    expect(() => decodeDump('{}', { format: 'dot' })).toThrow(/output only/);
    expect(() => decodeDump('')).toThrow(/cannot detect/);
    try {
      decodeDump('x');
    } catch (error) {
      expect((error as UnsupportedFormatError).code).toBe('AD_ERR_UNSUPPORTED_FORMAT');
    }
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"host":"a'),
      0xff,
      ...new TextEncoder().encode('b"}'),
    ]);
    expect(decodeDump(bytes).host).toBe('a\ufffdb');
  });

  it('rejects inputs of the wrong kind', () => {
    expect(() => decodeDump(42 as unknown as string)).toThrow(InvalidArgumentError);
    expect(() => decodeDump('{}', { format: 1 as unknown as string })).toThrow(InvalidArgumentError);
    expect(() => decodeDump('{}', { limits: { maxNodes: -1 } })).toThrow(InvalidArgumentError);
  });
});
