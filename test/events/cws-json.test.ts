import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventParseError } from '../../src/errors.js';
import { type ActivityEvent, EVENT_TYPES } from '../../src/events/activity-event.js';
import { parseCwsEvent } from '../../src/events/cws-json.js';
import { HashState } from '../../src/events/file-info.js';

// The shared fixtures live next to the repository checkout, not inside it.
const REPO_ROOT = new URL('../../', import.meta.url);
const FIXTURE_DIR = fileURLToPath(new URL('../shared/fixtures/datadog/activity-tree-suite/', REPO_ROOT));
const FIXTURE_NAMES = existsSync(FIXTURE_DIR)
  ? readdirSync(FIXTURE_DIR)
      .filter((name) => name.endsWith('_input_event.json'))
      .sort()
  : [];
const FIXTURES = FIXTURE_NAMES.map((name) => ({
  name,
  text: readFileSync(join(FIXTURE_DIR, name), 'utf8'),
}));
const withFixtures = FIXTURES.length > 0 ? describe : describe.skip;
const fixtureSuiteTitle =
  FIXTURES.length > 0
    ? 'agent activity-tree-suite events'
    : `agent activity-tree-suite events (skipped: shared fixtures not present in ${FIXTURE_DIR})`;

type Json = Record<string, unknown>;

/** Parses `input` and returns the error it throws, failing the test if it does not throw. */
function parseError(input: unknown): EventParseError {
  try {
    parseCwsEvent(input);
  } catch (err) {
    expect(err).toBeInstanceOf(EventParseError);
    return err as EventParseError;
  }
  throw new Error('expected parseCwsEvent to throw');
}

/** The parser's contract for arbitrary input: an event, or an EventParseError naming a field. */
function expectEventOrParseError(input: unknown): void {
  let event: ActivityEvent;
  try {
    event = parseCwsEvent(input);
  } catch (err) {
    expect(err).toBeInstanceOf(EventParseError);
    expect(typeof (err as EventParseError).field).toBe('string');
    expect((err as EventParseError).field.length).toBeGreaterThan(0);
    return;
  }
  expect(EVENT_TYPES).toContain(event.type);
  expect(Number.isInteger(event.process.pid)).toBe(true);
  expect(event.process.file.path.length).toBeGreaterThan(0);
}

function executable(path: string, inode: number): Json {
  return {
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    inode,
    mode: 0o100755,
    mount_id: 27,
    filesystem: 'ext4',
    uid: 0,
    gid: 0,
    modification_time: '2024-01-02T03:04:05.000000001Z',
    change_time: '2024-01-02T03:04:05Z',
    hash_state: 'Done',
    hashes: ['sha256:00ff'],
  };
}

function processJson(pid: number, path: string, extra: Json = {}): Json {
  return {
    pid,
    tid: pid,
    uid: 0,
    gid: 0,
    comm: path.slice(path.lastIndexOf('/') + 1),
    credentials: {
      uid: 0,
      gid: 0,
      euid: 0,
      egid: 0,
      fsuid: 0,
      fsgid: 0,
      cap_effective: [],
      cap_permitted: [],
    },
    executable: executable(path, pid + 100),
    ...extra,
  };
}

/** A well-formed agent event of `name` for pid 42 (`/usr/bin/curl`, child of pid 1). */
function agentEvent(name: string, payload: Json = {}, processExtra: Json = {}): Json {
  return {
    evt: { name, category: 'Process Activity', outcome: 'Success' },
    date: '2024-05-06T07:08:09.123456789Z',
    process: processJson(42, '/usr/bin/curl', {
      ppid: 1,
      parent: processJson(1, '/sbin/init'),
      ancestors: [processJson(1, '/sbin/init')],
      ...processExtra,
    }),
    ...payload,
  };
}

const DATE_NS = BigInt(Date.UTC(2024, 4, 6, 7, 8, 9)) * 1_000_000n + 123_456_789n;

withFixtures(fixtureSuiteTitle, () => {
  it.each(FIXTURE_NAMES)('%s parses into an exec event', (name) => {
    const text = FIXTURES.find((f) => f.name === name)?.text ?? '';
    const raw = JSON.parse(text);
    const event = parseCwsEvent(text);

    expect(event.type).toBe('exec');
    expect(event.timestamp).toBe(0n);
    expect(event.process.pid).toBe(raw.process.pid);
    expect(event.process.file.path).toBe(raw.process.executable.path);
    expect(event.process.containerId).toBe('123');
    expect(event.process.isExecExec).toBe(raw.process.is_exec_child);
    const ancestors = event.process.ancestors ?? [];
    expect(ancestors).toHaveLength(raw.process.ancestors.length);
    expect(ancestors.at(-1)).toMatchObject({ pid: 1, file: { path: '/bin/systemd', basename: 'systemd' } });
    ancestors.forEach((ancestor, i) => {
      expect(ancestor.pid).toBe(raw.process.ancestors[i].pid);
      expect(ancestor.isExecExec).toBe(raw.process.ancestors[i].is_exec_child);
      expect(ancestor.isParentMissing).toBeUndefined();
    });
    // Parsing the text and the parsed object give the same event.
    expect(parseCwsEvent(raw)).toEqual(event);
  });

  it('maps exec-01 field by field', () => {
    const event = parseCwsEvent(FIXTURES.find((f) => f.name === 'exec-01_input_event.json')?.text);
    expect(event).toEqual({
      type: 'exec',
      timestamp: 0n,
      process: {
        pid: 12,
        comm: 'ls',
        argv0: 'ls',
        containerId: '123',
        credentials: {
          uid: 0,
          gid: 0,
          effectiveUid: 0,
          effectiveGid: 0,
          fsUid: 0,
          fsGid: 0,
          capEffective: 0n,
          capPermitted: 0n,
        },
        file: {
          path: '/bin/ls',
          basename: 'ls',
          inode: 2n,
          uid: 0,
          gid: 0,
          // 1970-01-01T01:00:00+01:00 is the epoch itself.
          mtime: 0n,
          ctime: 0n,
          hashState: HashState.NO_HASH,
        },
        ancestors: [
          expect.objectContaining({ pid: 11, argv0: 'bash', containerId: '123' }),
          expect.objectContaining({ pid: 1, comm: 'systemd', file: expect.objectContaining({ inode: 42n }) }),
        ],
      },
    });
  });

  it('keeps the exec-exec flags of a long lineage (exec-12)', () => {
    const event = parseCwsEvent(FIXTURES.find((f) => f.name === 'exec-12_input_event.json')?.text);
    expect(event.process).toMatchObject({ pid: 20, isExecExec: true, file: { path: '/bin/du' } });
    expect(event.process.ancestors?.map((a) => [a.pid, a.isExecExec ?? false])).toEqual([
      [19, true],
      [18, false],
      [17, false],
      [16, true],
      [15, true],
      [14, false],
      [13, true],
      [12, true],
      [11, false],
      [1, false],
    ]);
  });

  it('does not modify the parsed input', () => {
    for (const { text } of FIXTURES) {
      const raw = JSON.parse(text);
      parseCwsEvent(raw);
      expect(raw).toEqual(JSON.parse(text));
    }
  });
});

describe('hand-written events shaped like the agent schemas', () => {
  it('parses an open event: flags by name, creation mode, inode mode', () => {
    const event = parseCwsEvent(
      agentEvent('open', {
        file: {
          ...executable('/tmp/out.log', 7),
          mode: 0o100644,
          flags: ['O_CREAT', 'O_TRUNC', 'O_WRONLY'],
          destination: { mode: 0o640 },
        },
      }),
    );
    expect(event).toMatchObject({
      type: 'open',
      timestamp: DATE_NS,
      file: { path: '/tmp/out.log', basename: 'out.log', mode: 0o100644, mountId: 27, inode: 7n },
      flags: 0o1101,
      mode: 0o640,
    });
    expect(event.type === 'open' && event.retval).toBeUndefined();
  });

  it('takes open flags, mode and retval from syscall arguments and numbers', () => {
    const fromSyscall = parseCwsEvent(
      agentEvent('open', {
        file: { path: '/etc/passwd' },
        syscall: { open: { path: '/etc/passwd', flags: 0o2000000, mode: 0 }, retval: 3 },
      }),
    );
    expect(fromSyscall).toMatchObject({ flags: 0o2000000, mode: 0, retval: 3 });

    const numeric = parseCwsEvent(agentEvent('open', { file: { path: '/etc/passwd', flags: 2 } }));
    expect(numeric).toMatchObject({ flags: 2 });

    // Leftover bits the agent cannot name are written as a decimal string.
    const leftover = parseCwsEvent(
      agentEvent('open', { file: { path: '/x', flags: ['O_RDWR', '1073741824'] } }),
    );
    expect(leftover).toMatchObject({ flags: 0x4000_0002 });
  });

  it('marks a refused open as failed', () => {
    const event = agentEvent('open', { file: { path: '/root/secret', flags: ['O_RDONLY'] } });
    (event.evt as Json).outcome = 'Refused';
    expect(parseCwsEvent(event)).toMatchObject({ type: 'open', flags: 0, retval: -1 });
  });

  it('rejects an unknown open flag with its index', () => {
    const error = parseError(agentEvent('open', { file: { path: '/x', flags: ['O_RDONLY', 'O_BOGUS'] } }));
    expect(error.field).toBe('file.flags[1]');
  });

  it('parses the older flat DNS shape', () => {
    const event = parseCwsEvent(
      agentEvent('dns', {
        dns: {
          id: 4242,
          qdcount: 1,
          qclass: 'CLASS_INET',
          qtype: 'AAAA',
          dns_server_ip: '8.8.8.8',
          name: 'example.com',
        },
      }),
    );
    expect(event).toMatchObject({
      type: 'dns',
      dns: { id: 4242, name: 'example.com', type: 28, class: 1, count: 1 },
    });
    const short = parseCwsEvent(agentEvent('dns', { dns: { name: 'a.b', qclass: 'IN', qtype: 15 } }));
    expect(short).toMatchObject({ dns: { name: 'a.b', class: 1, type: 15 } });
  });

  it('parses the newer nested DNS shape, with and without a response', () => {
    const question = { class: 'CLASS_INET', type: 'A', name: 'datadoghq.com', size: 31, count: 1 };
    const query = parseCwsEvent(
      agentEvent('dns', { dns: { id: 7, is_query: true, question, response: null } }),
    );
    expect(query).toEqual(
      expect.objectContaining({
        dns: { id: 7, name: 'datadoghq.com', type: 1, class: 1, size: 31, count: 1 },
      }),
    );

    const answer = parseCwsEvent(
      agentEvent('dns', { dns: { id: 7, is_query: false, question, response: { code: 3 } } }),
    );
    expect(answer).toMatchObject({ dns: { response: {} } });

    const unnamed = parseCwsEvent(
      agentEvent('dns', {
        dns: { id: 1, question: { ...question, type: 'qtype(999)', class: 'qclass(3)' } },
      }),
    );
    expect(unnamed).toMatchObject({ dns: { type: 999, class: 3 } });
  });

  it('rejects unknown DNS type names', () => {
    const error = parseError(agentEvent('dns', { dns: { id: 1, question: { name: 'x', type: 'BOGUS' } } }));
    expect(error.field).toBe('dns.question.type');
  });

  it('parses bind events in the current and the schema shapes', () => {
    const current = parseCwsEvent(
      agentEvent('bind', {
        bind: { addr: { family: 'AF_INET', ip: '0.0.0.0', port: 8080 }, protocol: 'IP_PROTO_TCP' },
      }),
    );
    expect(current).toMatchObject({
      type: 'bind',
      bind: { family: 'AF_INET', ip: '0.0.0.0', port: 8080, protocol: 6 },
    });
    expect(current.type === 'bind' && current.bind.retval).toBeUndefined();

    const schema = parseCwsEvent(
      agentEvent('bind', { bind: { addr: { family: 'AF_INET6', ip: '::1', port: 53, protocol: 'UDP' } } }),
    );
    expect(schema).toMatchObject({ bind: { family: 'AF_INET6', ip: '::1', port: 53, protocol: 17 } });

    const failed = agentEvent('bind', { bind: { addr: { family: 'AF_INET', ip: '1.2.3.4', port: 1 } } });
    (failed.evt as Json).outcome = 'Error';
    expect(parseCwsEvent(failed)).toMatchObject({ bind: { retval: -1 } });

    const withRetval = agentEvent('bind', {
      bind: { addr: { family: 'AF_INET', ip: '1.2.3.4', port: 1 } },
      syscall: { retval: -98 },
    });
    expect(parseCwsEvent(withRetval)).toMatchObject({ bind: { retval: -98 } });
  });

  it('rejects an out-of-range bind port', () => {
    const error = parseError(
      agentEvent('bind', { bind: { addr: { family: 'AF_INET', ip: '::', port: 70000 } } }),
    );
    expect(error.field).toBe('bind.addr.port');
  });

  it('parses an AWS IMDS event with security credentials', () => {
    const event = parseCwsEvent(
      agentEvent('imds', {
        network: { device: { netns: 1, ifindex: 2, ifname: 'eth0' }, l3_protocol: 'ETH_P_IP' },
        imds: {
          type: 'response',
          cloud_provider: 'aws',
          host: '169.254.169.254',
          url: '/latest/meta-data/iam/security-credentials/role',
          user_agent: 'curl/8.0',
          server: 'EC2ws',
          aws: {
            is_imds_v2: true,
            security_credentials: {
              code: 'Success',
              type: 'AWS-HMAC',
              access_key_id: 'ASIAEXAMPLE',
              last_updated: '2024-05-06T07:00:00Z',
              expiration: '2024-05-06T13:00:00Z',
            },
          },
        },
      }),
    );
    expect(event).toMatchObject({
      type: 'imds',
      imds: {
        type: 'response',
        cloudProvider: 'aws',
        host: '169.254.169.254',
        url: '/latest/meta-data/iam/security-credentials/role',
        userAgent: 'curl/8.0',
        server: 'EC2ws',
        aws: {
          isImdsV2: true,
          securityCredentials: {
            code: 'Success',
            type: 'AWS-HMAC',
            accessKeyId: 'ASIAEXAMPLE',
            lastUpdated: '2024-05-06T07:00:00Z',
            expirationRaw: '2024-05-06T13:00:00Z',
          },
        },
      },
    });
  });

  it('keeps IMDS AWS details only for AWS', () => {
    const event = parseCwsEvent(
      agentEvent('imds', { imds: { type: 'request', cloud_provider: 'gcp', aws: { is_imds_v2: false } } }),
    );
    expect(event.type === 'imds' && event.imds).toEqual({ type: 'request', cloudProvider: 'gcp' });
  });

  it('parses exit and fork events', () => {
    const exit = parseCwsEvent(
      agentEvent('exit', { exit: { cause: 'EXITED', code: 1 } }, { exit_time: '2024-05-06T07:08:10Z' }),
    );
    expect(exit).toMatchObject({ type: 'exit', exit: { cause: 'EXITED', code: 1 } });
    expect(exit.process.exitTime).toBe(BigInt(Date.UTC(2024, 4, 6, 7, 8, 10)) * 1_000_000n);

    const fork = parseCwsEvent(
      agentEvent('fork', {}, { fork_time: '2024-05-06T07:08:09Z', is_thread: true, tty: 'pts/0' }),
    );
    expect(fork).toMatchObject({ type: 'fork', process: { pid: 42, ppid: 1, isThread: true, tty: 'pts/0' } });
    expect(fork.process.ancestors).toEqual([expect.objectContaining({ pid: 1 })]);
  });

  it('parses syscalls, capabilities and network flow events', () => {
    const syscalls = parseCwsEvent(
      agentEvent('syscalls', {
        syscalls: [
          { name: 'read', id: 0 },
          { name: 'openat', id: 257 },
        ],
      }),
    );
    expect(syscalls).toMatchObject({ type: 'syscalls', syscalls: [0, 257] });

    const caps = parseCwsEvent(
      agentEvent('capabilities', {
        capabilities: { caps_attempted: ['CAP_NET_RAW', 'CAP_SYS_ADMIN'], caps_used: ['CAP_NET_RAW'] },
      }),
    );
    expect(caps).toMatchObject({
      type: 'capabilities',
      attempted: (1n << 13n) | (1n << 21n),
      used: 1n << 13n,
    });

    const flows = parseCwsEvent(
      agentEvent('network_flow_monitor', {
        network_flow_monitor: {
          device: { netns: 4026531840, ifindex: 2, ifname: 'eth0' },
          flows: [
            {
              l3_protocol: 'ETH_P_IP',
              l4_protocol: 'IP_PROTO_TCP',
              source: { ip: '10.0.0.1', port: 43210 },
              destination: { ip: '10.0.0.2', port: 443 },
              ingress: { data_size: 1500, packet_count: 2 },
              egress: { data_size: 40 },
            },
          ],
        },
      }),
    );
    expect(flows).toMatchObject({
      type: 'network_flow',
      device: { netns: 4026531840, ifindex: 2, ifname: 'eth0' },
      flows: [
        {
          l3Protocol: 0x0800,
          l4Protocol: 6,
          source: { ip: '10.0.0.1', port: 43210 },
          destination: { ip: '10.0.0.2', port: 443 },
          ingress: { dataSize: 1500n, packetCount: 2n },
          egress: { dataSize: 40n },
        },
      ],
    });
  });

  it('maps process details: credentials, capabilities, args, cgroup', () => {
    const event = parseCwsEvent(
      agentEvent(
        'exec',
        {},
        {
          credentials: {
            uid: 1000,
            user: 'alice',
            gid: 1000,
            group: 'staff',
            euid: 0,
            euser: 'root',
            egid: 0,
            egroup: 'root',
            fsuid: 1001,
            fsuser: 'bob',
            fsgid: 1002,
            fsgroup: 'dev',
            cap_effective: ['CAP_SYS_ADMIN', 'CAP_CHECKPOINT_RESTORE'],
            cap_permitted: ['CAP_CHOWN', '2199023255552'],
          },
          args: ['-s', 'https://example.com'],
          args_truncated: true,
          envs: ['PATH=/bin'],
          envs_truncated: false,
          argv0: 'curl',
          exec_time: '2024-05-06T07:08:09.5Z',
          cgroup: { id: '/system.slice/curl.service', manager: 'systemd' },
        },
      ),
    );
    expect(event.process).toMatchObject({
      argv0: 'curl',
      args: ['-s', 'https://example.com'],
      argsTruncated: true,
      envs: ['PATH=/bin'],
      envsTruncated: false,
      execTime: BigInt(Date.UTC(2024, 4, 6, 7, 8, 9)) * 1_000_000n + 500_000_000n,
      cgroupId: '/system.slice/curl.service',
      cgroupManager: 'systemd',
      file: {
        mtime: BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n + 1n,
        hashes: ['sha256:00ff'],
        hashState: HashState.DONE,
        filesystem: 'ext4',
      },
      credentials: {
        uid: 1000,
        user: 'alice',
        gid: 1000,
        group: 'staff',
        effectiveUid: 0,
        effectiveUser: 'root',
        effectiveGid: 0,
        effectiveGroup: 'root',
        fsUid: 1001,
        fsUser: 'bob',
        fsGid: 1002,
        fsGroup: 'dev',
        capEffective: (1n << 21n) | (1n << 40n),
        capPermitted: 1n | (1n << 41n),
      },
    });
  });

  it('maps every agent hash state name', () => {
    const names: [string, number][] = [
      ['NoHash', HashState.NO_HASH],
      ['Done', HashState.DONE],
      ['FileNotFound', HashState.FILE_NOT_FOUND],
      ['PathnameResolutionError', HashState.PATHNAME_RESOLUTION_ERROR],
      ['FileTooBig', HashState.FILE_TOO_BIG],
      ['EventTypeNotConfigured', HashState.EVENT_TYPE_NOT_CONFIGURED],
      ['HashWasRateLimited', HashState.HASH_WAS_RATE_LIMITED],
      ['UnknownHashError', HashState.UNKNOWN_HASH_ERROR],
      ['HashFailed', HashState.UNKNOWN_HASH_ERROR],
    ];
    for (const [name, state] of names) {
      const event = parseCwsEvent(
        agentEvent('exec', {}, { executable: { path: '/bin/x', hash_state: name } }),
      );
      expect(event.process.file.hashState).toBe(state);
    }
  });

  it('uses the parent as a one-entry lineage when ancestors are missing', () => {
    const event = agentEvent('exec');
    delete (event.process as Json).ancestors;
    expect(parseCwsEvent(event).process.ancestors).toEqual([
      expect.objectContaining({ pid: 1, isParentMissing: true }),
    ]);
  });

  it('flags the gap the agent leaves in a truncated lineage', () => {
    const ancestors = [5, 4, 3, 2, 1].map((pid) => processJson(pid, `/bin/p${pid}`));
    const event = agentEvent('exec', {}, { ancestors, truncated_ancestors: true });
    const lineage = parseCwsEvent(event).process.ancestors ?? [];
    expect(lineage.map((a) => a.isParentMissing ?? false)).toEqual([false, false, true, false, false]);
  });

  it('falls back to the event container and to legacy process ids', () => {
    const event = agentEvent('exec', { container: { id: 'abc' } }, { uid: 33, user: 'www-data' });
    delete (event.process as Json).credentials;
    const { process } = parseCwsEvent(event);
    expect(process.containerId).toBe('abc');
    expect(process.credentials).toEqual({ uid: 33, gid: 0, user: 'www-data' });
    expect(process.ancestors?.[0]?.containerId).toBeUndefined();
  });

  it('maps matched rules and splits their tags', () => {
    const event = agentEvent('exec');
    (event.evt as Json).matched_rules = [
      {
        id: 'rule_a',
        version: '1',
        tags: ['severity:high', 'url:http://x', '__proto__:p'],
        policy_name: 'default',
        policy_version: '2',
      },
    ];
    const [rule] = parseCwsEvent(event).matchedRules ?? [];
    expect(rule).toMatchObject({
      ruleId: 'rule_a',
      ruleVersion: '1',
      policyName: 'default',
      policyVersion: '2',
    });
    expect(rule?.ruleTags?.severity).toBe('high');
    expect(rule?.ruleTags?.url).toBe('http://x');
    expect(Object.hasOwn(rule?.ruleTags ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(rule?.ruleTags)).toBe(Object.prototype);
  });

  it('ignores unknown fields and treats null as absent', () => {
    const event = agentEvent(
      'exec',
      { security_profile: { name: 'x' }, future_field: [1, 2] },
      { tty: null },
    );
    expect(parseCwsEvent(event).process.tty).toBeUndefined();
  });
});

describe('times', () => {
  const timeOf = (date: string) => parseCwsEvent({ ...agentEvent('exec'), date }).timestamp;

  it('keeps every nanosecond digit', () => {
    expect(timeOf('2023-10-11T12:00:00.123456789Z')).toBe(1_697_025_600_123_456_789n);
    expect(timeOf('2023-10-11T12:00:00.1Z')).toBe(1_697_025_600_100_000_000n);
    expect(timeOf('2023-10-11T12:00:00.000000001z')).toBe(1_697_025_600_000_000_001n);
    expect(timeOf('2262-04-11T23:47:16.854775807Z')).toBe(9_223_372_036_854_775_807n);
  });

  it('applies zone offsets', () => {
    expect(timeOf('2023-10-11T14:30:00.5+02:30')).toBe(1_697_025_600_500_000_000n);
    expect(timeOf('2023-10-11T07:00:00-05:00')).toBe(1_697_025_600_000_000_000n);
    expect(timeOf('1970-01-01T01:00:00+01:00')).toBe(0n);
    expect(timeOf('2024-02-29T00:00:00Z')).toBe(BigInt(Date.UTC(2024, 1, 29)) * 1_000_000n);
  });

  it("maps Go's zero time to 0n", () => {
    expect(timeOf('0001-01-01T00:00:00Z')).toBe(0n);
    expect(timeOf('0001-01-01T01:00:00+01:00')).toBe(0n);
  });

  it.each([
    'yesterday',
    '2023-10-11',
    '2023-10-11T12:00:00',
    '2023-10-11 12:00:00Z',
    '2023-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2023-04-31T00:00:00Z',
    '2023-10-11T24:00:00Z',
    '2023-10-11T12:60:00Z',
    '2023-10-11T12:00:61Z',
    '2023-10-11T12:00:00.1234567891Z',
    '2023-10-11T12:00:00+2:00',
    '2023-10-11T12:00:00+24:00',
    '1969-12-31T23:59:59Z',
    '2600-01-01T00:00:00Z',
  ])('rejects %s', (date) => {
    expect(parseError({ ...agentEvent('exec'), date }).field).toBe('date');
  });

  it('names nested time fields', () => {
    expect(parseError(agentEvent('exec', {}, { exec_time: 'soon' })).field).toBe('process.exec_time');
    const event = agentEvent('exec');
    const ancestor = (event.process as { ancestors: Json[] }).ancestors[0] as Json;
    (ancestor.executable as Json).modification_time = 12;
    expect(parseError(event).field).toBe('process.ancestors[0].executable.modification_time');
  });

  it('round-trips any instant and offset exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ns, offsetMinutes) => {
          const localNs = ns + BigInt(offsetMinutes) * 60n * 1_000_000_000n;
          const seconds =
            localNs / 1_000_000_000n - (localNs < 0n && localNs % 1_000_000_000n !== 0n ? 1n : 0n);
          const fraction = localNs - seconds * 1_000_000_000n;
          const local = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
          const abs = Math.abs(offsetMinutes);
          const zone = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const text = `${local}.${String(fraction).padStart(9, '0')}${zone}`;
          expect(timeOf(text)).toBe(ns);
        },
      ),
    );
  });
});

describe('malformed input', () => {
  it.each<[string, unknown, string]>([
    ['a number', 42, '$'],
    ['null', null, '$'],
    ['an array', [], '$'],
    ['invalid JSON text', '{"evt": ', '$'],
    ['JSON text of a string', '"exec"', '$'],
    ['no evt', { process: {} }, 'evt'],
    ['a non-string evt.name', { evt: { name: 1 } }, 'evt.name'],
    ['an unsupported evt.name', { evt: { name: 'mmap' } }, 'evt.name'],
    ['no process', { evt: { name: 'exec' } }, 'process'],
    ['process as an array', { evt: { name: 'exec' }, process: [] }, 'process'],
  ])('rejects %s', (_label, input, field) => {
    expect(parseError(input).field).toBe(field);
  });

  const exe = (p: Json) => p.executable as Json;
  it.each<[string, (e: Json, p: Json) => void, string]>([
    ['a missing pid', (_e, p) => delete p.pid, 'process.pid'],
    ['a negative pid', (_e, p) => Object.assign(p, { pid: -1 }), 'process.pid'],
    ['a huge pid', (_e, p) => Object.assign(p, { pid: 1e20 }), 'process.pid'],
    ['a fractional pid', (_e, p) => Object.assign(p, { pid: 1.5 }), 'process.pid'],
    ['a string pid', (_e, p) => Object.assign(p, { pid: '42' }), 'process.pid'],
    ['pid 0', (_e, p) => Object.assign(p, { pid: 0 }), 'process.pid'],
    ['a missing executable', (_e, p) => delete p.executable, 'process.executable'],
    ['a missing executable path', (_e, p) => delete exe(p).path, 'process.executable.path'],
    ['an empty executable path', (_e, p) => Object.assign(exe(p), { path: '' }), 'process.executable.path'],
    ['a bad ancestor pid', (_e, p) => (p.ancestors as Json[]).push({ pid: -3 }), 'process.ancestors[1].pid'],
    ['ancestors as an object', (_e, p) => Object.assign(p, { ancestors: {} }), 'process.ancestors'],
    [
      'an ancestor that is a string',
      (_e, p) => Object.assign(p, { ancestors: ['init'] }),
      'process.ancestors[0]',
    ],
    ['a non-string argument', (_e, p) => Object.assign(p, { args: ['-a', 3] }), 'process.args[1]'],
    [
      'an unknown capability',
      (_e, p) => Object.assign(p.credentials as Json, { cap_effective: ['CAP_X'] }),
      'process.credentials.cap_effective[0]',
    ],
    ['a negative inode', (_e, p) => Object.assign(exe(p), { inode: -1 }), 'process.executable.inode'],
    [
      'an inode past 64 bits',
      (_e, p) => Object.assign(exe(p), { inode: 2 ** 64 }),
      'process.executable.inode',
    ],
    [
      'a boolean hash state',
      (_e, p) => Object.assign(exe(p), { hash_state: true }),
      'process.executable.hash_state',
    ],
    ['a string exec flag', (_e, p) => Object.assign(p, { is_exec_child: 'yes' }), 'process.is_exec_child'],
    ['a bad parent', (_e, p) => Object.assign(p, { parent: { pid: 3 } }), 'process.parent.executable'],
    ['a numeric container id', (_e, p) => Object.assign(p, { container: { id: 5 } }), 'process.container.id'],
    ['a bad event container', (e) => Object.assign(e, { container: 'abc' }), 'container'],
    [
      'a matched rule without id',
      (e) => Object.assign(e.evt as Json, { matched_rules: [{}] }),
      'evt.matched_rules[0].id',
    ],
  ])('rejects %s', (_label, mutate, field) => {
    const event = agentEvent('exec');
    mutate(event, event.process as Json);
    expect(parseError(event).field).toBe(field);
  });

  it('rejects events missing their payload', () => {
    expect(parseError(agentEvent('open')).field).toBe('file');
    expect(parseError(agentEvent('dns')).field).toBe('dns');
    expect(parseError(agentEvent('bind', { bind: {} })).field).toBe('bind.addr');
    expect(parseError(agentEvent('imds', { imds: { cloud_provider: 'aws' } })).field).toBe('imds.type');
    expect(parseError(agentEvent('network_flow_monitor', { network_flow_monitor: {} })).field).toBe(
      'network_flow_monitor.device',
    );
    expect(parseError(agentEvent('exit', { exit: [] })).field).toBe('exit');
  });
});

describe('hostile input', () => {
  it('reads own properties only, never the prototype chain', () => {
    const inherited = Object.create(agentEvent('exec'));
    expect(parseError(inherited).field).toBe('evt');

    const text = JSON.stringify(agentEvent('exec')).replace('"pid":42', '"__proto__":{"pid":42}');
    expect(parseError(text).field).toBe('process.pid');
    expect(({} as Json).pid).toBeUndefined();
  });

  it('survives deep nesting', () => {
    const depth = 100_000;
    expect(parseError('['.repeat(depth) + ']'.repeat(depth)).field).toBe('$');
    const deepArgs = JSON.stringify(agentEvent('exec')).replace(
      '"tid":42',
      `"args":${'['.repeat(depth)}${']'.repeat(depth)}`,
    );
    expect(parseError(deepArgs).field).toBe('process.args[0]');
  });

  it('handles huge arrays', () => {
    const args = Array.from({ length: 200_000 }, (_, i) => `arg${i}`);
    const ancestors = Array.from({ length: 20_000 }, (_, i) => processJson(20_001 - i, '/bin/sh'));
    const event = parseCwsEvent(agentEvent('exec', {}, { args, ancestors }));
    expect(event.process.args).toHaveLength(200_000);
    expect(event.process.ancestors).toHaveLength(20_000);

    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    expect(parseError(agentEvent('exec', {}, { args: sparse })).field).toBe('process.args[0]');
  });

  it('turns exotic objects that throw into EventParseError', () => {
    const throwing = new Proxy(
      {},
      {
        has: () => {
          throw new TypeError('boom');
        },
        getOwnPropertyDescriptor: () => {
          throw new TypeError('boom');
        },
      },
    );
    expect(parseError(throwing).field).toBe('$');
    const getter = { ...agentEvent('exec') };
    Object.defineProperty(getter, 'date', {
      enumerable: true,
      get: () => {
        throw new RangeError('no');
      },
    });
    expect(parseError(getter).field).toBe('$');
  });
});

describe('properties', () => {
  it('any value gives an event or an EventParseError', () => {
    fc.assert(fc.property(fc.anything(), expectEventOrParseError), { numRuns: 500 });
  });

  it('any JSON text gives an event or an EventParseError', () => {
    fc.assert(fc.property(fc.json(), expectEventOrParseError), { numRuns: 500 });
    fc.assert(fc.property(fc.string(), expectEventOrParseError), { numRuns: 200 });
  });

  /** Every path (object keys and array indexes) inside `value`. */
  function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(value)) {
      return value.flatMap((item, i) => [[...prefix, i], ...pathsOf(item, [...prefix, i])]);
    }
    if (typeof value === 'object' && value !== null) {
      return Object.entries(value).flatMap(([key, item]) => [
        [...prefix, key],
        ...pathsOf(item, [...prefix, key]),
      ]);
    }
    return [];
  }

  function mutate(
    document: unknown,
    path: (string | number)[],
    replacement: { value: unknown } | null,
  ): void {
    let holder = document as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) holder = holder[step] as Record<string | number, unknown>;
    const last = path.at(-1) as string | number;
    if (replacement === null) {
      if (Array.isArray(holder)) holder.splice(Number(last), 1);
      else delete holder[last];
    } else {
      holder[last] = replacement.value;
    }
  }

  const agentDocuments = [
    ...FIXTURES.map((f) => f.text),
    ...['exec', 'fork'].map((name) => JSON.stringify(agentEvent(name))),
    JSON.stringify(agentEvent('open', { file: { path: '/x', flags: ['O_RDONLY'] } })),
    JSON.stringify(
      agentEvent('dns', { dns: { id: 1, question: { name: 'x', type: 'A', class: 'CLASS_INET' } } }),
    ),
    JSON.stringify(
      agentEvent('bind', { bind: { addr: { family: 'AF_INET', ip: '::', port: 80 }, protocol: '' } }),
    ),
    JSON.stringify(
      agentEvent('imds', { imds: { type: 'request', cloud_provider: 'aws', aws: { is_imds_v2: true } } }),
    ),
    JSON.stringify(agentEvent('exit', { exit: { cause: 'SIGNALED', code: 9 } })),
  ];
  const mutation = fc.record({
    text: fc.constantFrom(...agentDocuments),
    pick: fc.nat(),
    replacement: fc.option(fc.record({ value: fc.jsonValue() }), { nil: null }),
  });

  it('mutated agent events give an event or an EventParseError, and are not modified', () => {
    fc.assert(
      fc.property(mutation, ({ text, pick, replacement }) => {
        const document = JSON.parse(text);
        const paths = pathsOf(document);
        mutate(document, paths[pick % paths.length] ?? [], replacement);
        const before = JSON.stringify(document);
        expectEventOrParseError(document);
        expectEventOrParseError(before);
        expect(JSON.stringify(document)).toBe(before);
      }),
      { numRuns: 1000 },
    );
  });

  it('agent events with a field replaced by any value give an event or an EventParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...agentDocuments), fc.nat(), fc.anything(), (text, pick, value) => {
        const document = JSON.parse(text);
        const paths = pathsOf(document);
        mutate(document, paths[pick % paths.length] ?? [], { value });
        expectEventOrParseError(document);
      }),
      { numRuns: 500 },
    );
  });

  it('truncated agent JSON text is a JSON error at $', () => {
    fc.assert(
      fc.property(fc.constantFrom(...agentDocuments), fc.nat(), (document, cut) => {
        // Fixture files end with a newline: cutting only that would leave a complete document.
        const text = document.trimEnd();
        const truncated = text.slice(0, cut % text.length);
        expect(parseError(truncated).field).toBe('$');
      }),
    );
  });
});
