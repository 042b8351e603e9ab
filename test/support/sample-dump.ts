import { ActivityDump } from '../../src/dump/activity-dump.js';
import { emptyMetadata } from '../../src/dump/dump-metadata.js';
import { buildLineage, event } from '../../src/testing/event-builders.js';
import { GenerationType } from '../../src/tree/generation-type.js';

const MAX_U64 = 2n ** 64n - 1n;

/**
 * A dump with every node kind, every generation type, image tags, matched rules with tags,
 * 64-bit values at their limits and awkward strings: the input of format round-trip tests.
 */
export function sampleDump(): ActivityDump {
  const dump = new ActivityDump({
    host: 'node-1',
    service: 'web',
    source: 'runtime-security-agent',
    tags: ['image_name:nginx', 'image_tag:1.25', 'container_id:c0ffee'],
    metadata: emptyMetadata({
      agentVersion: '7.60.0',
      agentCommit: 'abc123',
      kernelVersion: '6.1.0',
      linuxDistribution: 'Debian 12',
      arch: 'x64',
      name: 'activity-dump-AbCdEfGhIj',
      protobufVersion: 'v1',
      differentiateArgs: true,
      containerId: 'c0ffee',
      start: 1_700_000_000_123_456_789n,
      end: MAX_U64,
      size: 4096n,
      serialization: 'protobuf',
      cgroupId: '/kubepods/pod1/c0ffee',
      cgroupManager: 'cri-containerd',
    }),
    treeOptions: { differentiateArgs: true, selector: (p) => p.containerId === 'c0ffee' },
  });
  const tree = dump.tree;
  const shell = buildLineage(
    [
      {
        path: '/bin/sh',
        args: ['-c', 'echo "quoted" \\ back\nslash'],
        envs: ['PATH=/bin', 'SECRET=x'],
        cookie: MAX_U64,
        execTime: 1_700_000_000_000_000_001n,
        forkTime: 1_700_000_000_000_000_000n,
        credentials: { uid: 1000, effectiveUser: 'root', capEffective: MAX_U64, capPermitted: 5n },
      },
    ],
    { containerId: 'c0ffee' },
  );
  const app = buildLineage(
    ['/bin/sh', { path: '/usr/bin/python3.11', args: ['app.py', 'héllo ✓'], isExecExec: true, tty: 'pts/0' }],
    { containerId: 'c0ffee' },
  );
  const rules = [
    {
      ruleId: 'r1',
      ruleVersion: '1',
      policyName: 'p',
      policyVersion: '2',
      ruleTags: { severity: 'high', b: 'x' },
    },
  ];
  tree.insert(event('exec', shell, { matchedRules: rules }), { imageTag: '1.25' });
  tree.insert(event('exec', app, { timestamp: 42n }), {
    imageTag: '1.25',
    generationType: GenerationType.Snapshot,
  });
  tree.insert(
    event('open', app, {
      file: {
        path: '/etc/ssl/certs/ca.pem',
        inode: MAX_U64,
        mode: 0o100644,
        uid: 0,
        mtime: 7n,
        hashes: ['sha256:ab'],
        hashState: 1,
        packageName: 'ca-certificates',
        packageEpoch: 2,
        packageRelease: '1',
      },
      flags: 0o2000000,
      mode: 0o600,
      retval: -2,
      matchedRules: rules,
      timestamp: 1_700_000_000_999_999_999n,
    }),
    { imageTag: '1.25', generationType: GenerationType.ProfileDrift },
  );
  tree.insert(event('open', app, { file: { path: '/tmp/sess-*/x' } }), {
    generationType: GenerationType.WorkloadWarmup,
  });
  tree.insert(event('open', app, { file: { path: '/etc/ssl/openssl.cnf' } }), { imageTag: '1.26' });
  tree.insert(
    event('dns', app, { dns: { name: 'api.example.com', type: 1, response: { ips: ['1.2.3.4'] } } }),
    { imageTag: '1.25' },
  );
  tree.insert(event('dns', app, { dns: { name: 'api.example.com', type: 28 } }));
  tree.insert(event('bind', app, { bind: { family: 'AF_INET', ip: '0.0.0.0', port: 8080, protocol: 6 } }), {
    imageTag: '1.25',
  });
  tree.insert(event('bind', app, { bind: { family: 'AF_INET6', ip: '::', port: 8080, protocol: 17 } }));
  tree.insert(
    event('imds', app, {
      imds: {
        type: 'response',
        cloudProvider: 'aws',
        url: '/latest/meta-data/iam/security-credentials/role',
        aws: {
          isImdsV2: true,
          securityCredentials: {
            accessKeyId: 'AKIA0000',
            code: 'Success',
            expirationRaw: '2026-01-01T00:00:00Z',
          },
        },
      },
    }),
  );
  tree.insert(
    event('imds', app, { imds: { type: 'request', cloudProvider: 'gcp', url: '/computeMetadata/v1/' } }),
  );
  tree.insert(event('syscalls', app, { syscalls: [0, 1, 59, 435] }), { imageTag: '1.25' });
  tree.insert(event('capabilities', app, { attempted: (1n << 40n) | 1n, used: 1n }));
  tree.insert(
    event('network_flow', app, {
      device: { netns: 4026531840, ifindex: 2, ifname: 'eth0' },
      flows: [
        {
          source: { ip: '10.0.0.1', port: 443 },
          destination: { ip: '10.0.0.2', port: 50000 },
          l3Protocol: 0x0800,
          l4Protocol: 6,
          ingress: { dataSize: MAX_U64, packetCount: 3n },
          egress: { dataSize: 1n, packetCount: 1n },
        },
      ],
    }),
  );
  tree.insert(event('exit', app, { timestamp: 1_700_000_001_000_000_000n }));
  return dump;
}
