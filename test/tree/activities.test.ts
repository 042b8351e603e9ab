import { describe, expect, it } from 'vitest';
import type { ActivityEvent } from '../../src/events/activity-event.js';
import { ActivityTree } from '../../src/tree/activity-tree.js';
import { renderTreeDebug } from '../../src/tree/render-debug.js';
import { lineage, proc } from '../support/builders.js';

const web = lineage(proc(20, '/usr/sbin/nginx'), proc(1, '/sbin/init'));
const worker = lineage(proc(21, '/usr/bin/python3'), proc(20, '/usr/sbin/nginx'), proc(1, '/sbin/init'));

const dns = (name: string, type = 1, ips?: string[]): ActivityEvent => ({
  type: 'dns',
  process: web,
  dns: { name, type, response: ips ? { ips } : undefined },
});

describe('DNS', () => {
  it('keeps one request per question type and merges answers without counting them as new', () => {
    const tree = new ActivityTree();
    expect(tree.insert(dns('example.com', 1, ['1.2.3.4']))).toBe(true);
    expect(tree.insert(dns('example.com', 1, ['5.6.7.8']))).toBe(false);
    expect(tree.insert(dns('example.com', 28))).toBe(true);
    expect(tree.insert(dns('example.com', 1))).toBe(false);
    const node = tree.roots[0]!.dnsNames.get('example.com')!;
    expect(node.requests.map((r) => r.type)).toEqual([1, 28]);
    expect(node.requests[0]!.ips).toEqual(['1.2.3.4', '5.6.7.8']);
    expect([...tree.dnsNames]).toEqual(['example.com']);
    expect(tree.stats.dnsNodes).toBe(1);
  });

  it('looks names up on their last labels in dry-run', () => {
    const tree = new ActivityTree();
    tree.insert(dns('a.b.example.com'));
    expect(tree.contains(dns('z.b.example.com'))).toBe(true);
    expect(tree.contains(dns('z.c.example.com'))).toBe(false);
    expect(tree.contains(dns('z.b.example.com', 28))).toBe(false);
    const exact = new ActivityTree({ dnsMatchMaxDepth: 0 });
    exact.insert(dns('a.b.example.com'));
    expect(exact.contains(dns('a.b.example.com', 28))).toBe(true);
    expect(exact.contains(dns('z.b.example.com'))).toBe(false);
  });
});

describe('bind', () => {
  const bind = (port: number, family = 'AF_INET', protocol = 6, retval = 0): ActivityEvent => ({
    type: 'bind',
    process: web,
    bind: { family, ip: '0.0.0.0', port, protocol, retval },
  });

  it('de-duplicates by family, then (port, ip, protocol)', () => {
    const tree = new ActivityTree();
    expect(tree.insert(bind(80))).toBe(true);
    expect(tree.insert(bind(80))).toBe(false);
    expect(tree.insert(bind(80, 'AF_INET', 17))).toBe(true);
    expect(tree.insert(bind(443, 'AF_INET6'))).toBe(true);
    expect(tree.roots[0]!.sockets.map((s) => `${s.family}:${s.binds.length}`)).toEqual([
      'AF_INET:2',
      'AF_INET6:1',
    ]);
  });

  it('drops other families and ignores failed binds', () => {
    const tree = new ActivityTree();
    expect(tree.insertWithOutcome(bind(80, 'AF_UNIX'))).toBe('bind_family');
    expect(tree.stats.dropped('bind', 'bind_family')).toBe(1);
    expect(tree.insertWithOutcome(bind(80, 'AF_INET', 6, -98))).toBe('added'); // the process node is new
    expect(tree.roots[0]!.sockets).toHaveLength(0);
  });
});

describe('IMDS', () => {
  const imds = (extra: object): ActivityEvent => ({
    type: 'imds',
    process: web,
    imds: { type: 'request', cloudProvider: 'aws', url: '/latest/meta-data/', ...extra },
  });

  it('keys nodes by every field and applies the agent filters', () => {
    const tree = new ActivityTree();
    expect(tree.insert(imds({}))).toBe(true);
    expect(tree.insert(imds({}))).toBe(false);
    expect(tree.insert(imds({ userAgent: 'curl' }))).toBe(true);
    expect(tree.insertWithOutcome(imds({ url: '' }))).toBe('imds_filtered');
    expect(tree.insertWithOutcome(imds({ type: 'response' }))).toBe('imds_filtered');
    expect(
      tree.insert(
        imds({ type: 'response', aws: { isImdsV2: true, securityCredentials: { accessKeyId: 'AKIA' } } }),
      ),
    ).toBe(true);
    expect(tree.stats.imdsNodes).toBe(3);
    expect(renderTreeDebug(tree)).toContain('- aws | request');
  });
});

describe('syscalls, capabilities, flows, exit', () => {
  it('unions syscalls over all process nodes, sorted (agent T3)', () => {
    const tree = new ActivityTree();
    expect(tree.insert({ type: 'syscalls', process: web, syscalls: [2, 4, 7] })).toBe(true);
    expect(tree.insert({ type: 'syscalls', process: worker, syscalls: [350, 7, 70] })).toBe(true);
    expect(tree.insert({ type: 'syscalls', process: worker, syscalls: [7, 70] })).toBe(false);
    expect(tree.syscalls()).toEqual([2, 4, 7, 70, 350]);
    expect(tree.stats.syscallNodes).toBe(6);
  });

  it('records each (capability, capable) pair once', () => {
    const tree = new ActivityTree();
    const caps = (attempted: bigint, used: bigint): ActivityEvent => ({
      type: 'capabilities',
      process: web,
      attempted,
      used,
    });
    expect(tree.insert(caps(0b101n, 0b001n))).toBe(true);
    expect(tree.insert(caps(0b101n, 0b001n))).toBe(false);
    expect(tree.insert(caps(0b100n, 0b100n))).toBe(true);
    expect(tree.roots[0]!.capabilities.map((c) => `${c.capability}:${c.capable}`)).toEqual([
      '0:true',
      '2:false',
      '2:true',
    ]);
  });

  it('adds the counters of re-seen flows without counting them as new', () => {
    const tree = new ActivityTree();
    const flow = (bytes: bigint): ActivityEvent => ({
      type: 'network_flow',
      process: web,
      device: { netns: 1, ifindex: 2, ifname: 'eth0' },
      flows: [
        {
          source: { ip: '10.0.0.1', port: 443 },
          destination: { ip: '10.0.0.2', port: 5000 },
          l4Protocol: 6,
          ingress: { dataSize: bytes, packetCount: 1n },
        },
      ],
    });
    expect(tree.insert(flow(100n))).toBe(true);
    expect(tree.insert(flow(50n))).toBe(false);
    const device = [...tree.roots[0]!.networkDevices.values()][0]!;
    expect([...device.flows.values()][0]!.ingress).toEqual({ dataSize: 150n, packetCount: 2n });
  });

  it('sets the exit time and never counts an exit as new', () => {
    const tree = new ActivityTree();
    tree.insert({ type: 'exec', process: web });
    expect(tree.insert({ type: 'exit', process: web, timestamp: 123456789012345678n })).toBe(false);
    expect(tree.roots[0]!.process.exitTime).toBe(123456789012345678n);
  });
});

describe('admission', () => {
  it('drops untraced event types and counts them', () => {
    const tree = new ActivityTree({ tracedEventTypes: ['exec'] });
    expect(tree.insertWithOutcome(dns('example.com'))).toBe('event_type');
    expect(tree.stats.dropped('dns', 'event_type')).toBe(1);
    expect(tree.contains(dns('example.com'))).toBe(false);
    expect(tree.stats.dropped('dns', 'event_type')).toBe(1);
  });

  it('drops malformed events as broken_event instead of throwing', () => {
    const tree = new ActivityTree();
    const broken = { type: 'open', process: web, file: { path: 42 } } as unknown as ActivityEvent;
    expect(tree.insertWithOutcome(broken)).toBe('broken_event');
    const noProcess = { type: 'exec' } as unknown as ActivityEvent;
    expect(tree.insertWithOutcome(noProcess)).toBe('broken_event');
  });

  it('dedups matched rules by rule id', () => {
    const tree = new ActivityTree();
    const rules = [{ ruleId: 'r1' }, { ruleId: 'r2' }];
    tree.insert({ type: 'exec', process: web, matchedRules: rules });
    tree.insert({ type: 'exec', process: web, matchedRules: [{ ruleId: 'r1', ruleVersion: '2' }] });
    expect(tree.roots[0]!.matchedRules?.map((r) => r.ruleId)).toEqual(['r1', 'r2']);
  });

  it('scrubs arguments, reduces environments and tells arguments apart when asked', () => {
    const tree = new ActivityTree({ differentiateArgs: true });
    const p = (args: string[]) =>
      lineage(proc(30, '/usr/bin/mysql', { args, envs: ['PATH=/bin', 'SECRET=x'] }), proc(1, '/sbin/init'));
    expect(tree.insert({ type: 'exec', process: p(['--password=hunter2']) })).toBe(true);
    expect(tree.insert({ type: 'exec', process: p(['--password=other']) })).toBe(false);
    expect(tree.insert({ type: 'exec', process: p(['-v']) })).toBe(true);
    const stored = tree.roots[0]!.process;
    expect(stored.args?.join(' ')).not.toContain('hunter2');
    expect(stored.envs).toEqual(['PATH=/bin', 'SECRET']);
  });

  it('stamps the image tag on new and visited nodes', () => {
    const tree = new ActivityTree();
    tree.insert({ type: 'exec', process: worker }, { imageTag: 'v1' });
    tree.insert({ type: 'exec', process: worker }, { imageTag: 'v2' });
    expect(tree.roots[0]!.imageTags?.map((t) => t.tag)).toEqual(['v1', 'v2']);
  });
});
