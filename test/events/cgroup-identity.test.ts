import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerIdFromCgroupPath, parseCgroupFile } from '../../src/events/procfs/cgroup-identity.js';

const DOCKER = 'c1d0f4e5fc4df9be4af618de18df31adaf1e3521d309b68c780bf86ea148b386';
const INNER = '4d7b302553260111b89cebe65b486f5dd45e14e5269699f02dad1196fbc06122';
const CONTAINERD = 'ac2e6290940e2cdf2438c0824f3350a3cac3d7b948a3b23a750b7653668104c7';
const CRIO = 'a483fa431e3682d8f323e08074b1f08c6f047633c9228de483303537918cd6cc';
const PODMAN = '19bd42c625be54d11b5cf36abc5b677c58558f40042a29c62cdf2923a7f546de';
const ECS = '5795e26e4e7bb585819542b708aa46348a83331600b6449d29b9682b52b36c5d';
const ECS_TASK = 'e88e2e54411bad8897b08e550bebbb64';
const POD_UID = '9419b48e-0a0e-4731-8e28-6e4e29eb921e';
const POD_SLICE_UID = POD_UID.replaceAll('-', '_');

/** The v1 hierarchies of an Ubuntu 20.04 host, in the kernel's order. */
const V1_HIERARCHIES = [
  '12:pids',
  '11:freezer',
  '10:rdma',
  '9:hugetlb',
  '8:memory',
  '7:devices',
  '6:cpuset',
  '5:perf_event',
  '4:cpu,cpuacct',
  '3:net_cls,net_prio',
  '2:blkio',
  '1:name=systemd',
];

/** Every v1 line at `path`, but for the controllers in `atRoot` (runtimes leave `rdma` at `/`). */
function v1(
  path: string,
  atRoot: readonly string[] = ['rdma'],
  overrides: Record<string, string> = {},
): string {
  return V1_HIERARCHIES.map((hierarchy) => {
    const controllers = hierarchy.slice(hierarchy.indexOf(':') + 1);
    const at = overrides[controllers] ?? (atRoot.includes(controllers) ? '/' : path);
    return `${hierarchy}:${at}\n`;
  }).join('');
}

interface Row {
  readonly name: string;
  readonly text: string;
  readonly containerId: string;
  readonly cgroupId: string;
  readonly cgroupManager: string;
  /** Containers the expected one is nested in: a cut right after one of them reads as it. */
  readonly enclosing?: readonly string[];
}

const POD_SLICE = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_SLICE_UID}.slice`;
const COLON_PATH = `/system.slice/containerd.service/kubepods-burstable-pod${POD_SLICE_UID}.slice:cri-containerd:${CONTAINERD}`;
const SESSION = '/user.slice/user-1000.slice/session-3.scope';
const ROOTLESS_PODMAN = `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${PODMAN}.scope`;

const ROWS: readonly Row[] = [
  // Docker
  {
    name: 'docker, v1, cgroupfs driver',
    text: v1(`/docker/${DOCKER}`),
    containerId: DOCKER,
    cgroupId: `/docker/${DOCKER}`,
    cgroupManager: 'docker',
  },
  {
    name: 'docker, hybrid, cgroupfs driver: the 0:: line still shows containerd.service',
    text: `${v1(`/docker/${DOCKER}`)}0::/system.slice/containerd.service\n`,
    containerId: DOCKER,
    cgroupId: `/docker/${DOCKER}`,
    cgroupManager: 'docker',
  },
  {
    name: 'docker, hybrid, systemd driver',
    text: `${v1(`/system.slice/docker-${DOCKER}.scope`)}0::/system.slice/docker-${DOCKER}.scope\n`,
    containerId: DOCKER,
    cgroupId: `/system.slice/docker-${DOCKER}.scope`,
    cgroupManager: 'docker',
  },
  {
    name: 'docker, v2, systemd driver',
    text: `0::/system.slice/docker-${DOCKER}.scope\n`,
    containerId: DOCKER,
    cgroupId: `/system.slice/docker-${DOCKER}.scope`,
    cgroupManager: 'docker',
  },
  {
    name: 'docker, v2, seen from a reader in a private cgroup namespace',
    text: `0::/../docker-${DOCKER}.scope\n`,
    containerId: DOCKER,
    cgroupId: `/../docker-${DOCKER}.scope`,
    cgroupManager: 'docker',
  },
  {
    name: 'docker, v2, cgroup removed while the process exits',
    text: `0::/system.slice/docker-${DOCKER}.scope (deleted)\n`,
    containerId: DOCKER,
    cgroupId: `/system.slice/docker-${DOCKER}.scope`,
    cgroupManager: 'docker',
  },
  {
    name: 'docker-in-docker, v1: the innermost id',
    text: v1(`/docker/${DOCKER}/docker/${INNER}`),
    containerId: INNER,
    cgroupId: `/docker/${DOCKER}/docker/${INNER}`,
    cgroupManager: 'docker',
    enclosing: [DOCKER],
  },
  {
    name: 'docker-in-docker, v2: a container of the inner daemon',
    text: `0::/system.slice/docker-${DOCKER}.scope/docker/${INNER}\n`,
    containerId: INNER,
    cgroupId: `/system.slice/docker-${DOCKER}.scope/docker/${INNER}`,
    cgroupManager: 'docker',
    enclosing: [DOCKER],
  },
  {
    name: "docker-in-docker, v2: the inner daemon itself, in the outer container's /init",
    text: `0::/system.slice/docker-${DOCKER}.scope/init\n`,
    containerId: DOCKER,
    cgroupId: `/system.slice/docker-${DOCKER}.scope/init`,
    cgroupManager: 'docker',
  },
  // containerd (Kubernetes CRI)
  {
    name: 'kubernetes + containerd, v1, cgroupfs driver',
    text: v1(`/kubepods/besteffort/pod${POD_UID}/${CONTAINERD}`),
    containerId: CONTAINERD,
    cgroupId: `/kubepods/besteffort/pod${POD_UID}/${CONTAINERD}`,
    cgroupManager: 'containerd',
  },
  {
    name: 'kubernetes + containerd, hybrid, cgroupfs driver',
    text: `${v1(`/kubepods/burstable/pod${POD_UID}/${CONTAINERD}`)}0::/system.slice/containerd.service\n`,
    containerId: CONTAINERD,
    cgroupId: `/kubepods/burstable/pod${POD_UID}/${CONTAINERD}`,
    cgroupManager: 'containerd',
  },
  {
    name: 'kubernetes + containerd, v2, cgroupfs driver',
    text: `0::/kubepods/burstable/pod${POD_UID}/${CONTAINERD}\n`,
    containerId: CONTAINERD,
    cgroupId: `/kubepods/burstable/pod${POD_UID}/${CONTAINERD}`,
    cgroupManager: 'containerd',
  },
  {
    name: 'kubernetes + containerd, v2, systemd driver',
    text: `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_SLICE_UID}.slice/cri-containerd-${CONTAINERD}.scope\n`,
    containerId: CONTAINERD,
    cgroupId: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_SLICE_UID}.slice/cri-containerd-${CONTAINERD}.scope`,
    cgroupManager: 'containerd',
  },
  {
    name: 'kubernetes + containerd, v1, systemd cgroups in containerd only (colon form)',
    text: v1(COLON_PATH),
    containerId: CONTAINERD,
    cgroupId: COLON_PATH,
    cgroupManager: 'containerd',
  },
  {
    name: 'kubernetes + containerd, v2, colon form',
    text: `0::${COLON_PATH}\n`,
    containerId: CONTAINERD,
    cgroupId: COLON_PATH,
    cgroupManager: 'containerd',
  },
  // CRI-O
  {
    name: 'kubernetes + cri-o, v2',
    text: `0::${POD_SLICE}/crio-${CRIO}.scope\n`,
    containerId: CRIO,
    cgroupId: `${POD_SLICE}/crio-${CRIO}.scope`,
    cgroupManager: 'cri-o',
  },
  {
    name: 'kubernetes + cri-o, v1',
    text: v1(`${POD_SLICE}/crio-${CRIO}.scope`),
    containerId: CRIO,
    cgroupId: `${POD_SLICE}/crio-${CRIO}.scope`,
    cgroupManager: 'cri-o',
  },
  {
    name: 'cri-o conmon, v2: not the container',
    text: `0::${POD_SLICE}/crio-conmon-${CRIO}.scope\n`,
    containerId: '',
    cgroupId: `${POD_SLICE}/crio-conmon-${CRIO}.scope`,
    cgroupManager: 'cri-o',
  },
  {
    name: 'cri-o conmon, v1: not the container',
    text: v1(`${POD_SLICE}/crio-conmon-${CRIO}.scope`),
    containerId: '',
    cgroupId: `${POD_SLICE}/crio-conmon-${CRIO}.scope`,
    cgroupManager: 'cri-o',
  },
  // Podman
  {
    name: 'podman, v2, rootful',
    text: `0::/machine.slice/libpod-${PODMAN}.scope\n`,
    containerId: PODMAN,
    cgroupId: `/machine.slice/libpod-${PODMAN}.scope`,
    cgroupManager: 'podman',
  },
  {
    name: 'podman, v2, rootless',
    text: `0::${ROOTLESS_PODMAN}\n`,
    containerId: PODMAN,
    cgroupId: ROOTLESS_PODMAN,
    cgroupManager: 'podman',
  },
  {
    name: 'podman, v2, systemd running in the container',
    text: `0::/machine.slice/libpod-${PODMAN}.scope/container\n`,
    containerId: PODMAN,
    cgroupId: `/machine.slice/libpod-${PODMAN}.scope/container`,
    cgroupManager: 'podman',
  },
  {
    name: 'podman, v1, rootful',
    text: v1(`/machine.slice/libpod-${PODMAN}.scope`),
    containerId: PODMAN,
    cgroupId: `/machine.slice/libpod-${PODMAN}.scope`,
    cgroupManager: 'podman',
  },
  {
    name: 'podman conmon, v2: not the container',
    text: `0::/machine.slice/libpod-conmon-${PODMAN}.scope\n`,
    containerId: '',
    cgroupId: `/machine.slice/libpod-conmon-${PODMAN}.scope`,
    cgroupManager: 'podman',
  },
  // systemd, no container
  {
    name: 'systemd service, v2',
    text: '0::/system.slice/nginx.service\n',
    containerId: '',
    cgroupId: '/system.slice/nginx.service',
    cgroupManager: 'systemd',
  },
  {
    name: 'systemd login session, v2',
    text: `0::${SESSION}\n`,
    containerId: '',
    cgroupId: SESSION,
    cgroupManager: 'systemd',
  },
  {
    name: 'pid 1, v2',
    text: '0::/init.scope\n',
    containerId: '',
    cgroupId: '/init.scope',
    cgroupManager: 'systemd',
  },
  {
    name: 'systemd service, hybrid',
    text: `${v1('/system.slice/nginx.service', ['rdma', 'freezer', 'hugetlb', 'cpuset', 'perf_event', 'net_cls,net_prio'])}0::/system.slice/nginx.service\n`,
    containerId: '',
    cgroupId: '/system.slice/nginx.service',
    cgroupManager: 'systemd',
  },
  {
    name: 'systemd login session, v1: the deepest path, not the shallower memory one',
    text: v1(SESSION, ['rdma', 'freezer', 'hugetlb', 'cpuset', 'perf_event', 'net_cls,net_prio'], {
      memory: '/user.slice',
      'cpu,cpuacct': '/user.slice',
      blkio: '/user.slice',
      devices: '/user.slice',
    }),
    containerId: '',
    cgroupId: SESSION,
    cgroupManager: 'systemd',
  },
  // ECS and sandboxes
  {
    name: 'ecs task container, v1',
    text: v1(`/ecs/${ECS_TASK}/${ECS}`),
    containerId: ECS,
    cgroupId: `/ecs/${ECS_TASK}/${ECS}`,
    cgroupManager: 'containerd',
  },
  {
    name: 'ecs task container, v2',
    text: `0::/ecs/${ECS_TASK}/${ECS}\n`,
    containerId: ECS,
    cgroupId: `/ecs/${ECS_TASK}/${ECS}`,
    cgroupManager: 'containerd',
  },
  {
    name: 'sandbox with one v1 controller below the root (32 hex digits: no container)',
    text: '9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/process_api/5184e26ef87544163dd83553400becd2\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n',
    containerId: '',
    cgroupId: '/process_api/5184e26ef87544163dd83553400becd2',
    cgroupManager: '',
  },
  // Root cgroup
  { name: 'root cgroup, v2', text: '0::/\n', containerId: '', cgroupId: '', cgroupManager: '' },
  { name: 'root cgroup, v1', text: v1('/', []), containerId: '', cgroupId: '', cgroupManager: '' },
  { name: 'empty file', text: '', containerId: '', cgroupId: '', cgroupManager: '' },
];

const identityOf = (row: Row) => ({
  containerId: row.containerId,
  cgroupId: row.cgroupId,
  cgroupManager: row.cgroupManager,
});

describe('parseCgroupFile on real-world /proc/<pid>/cgroup files', () => {
  it.each(ROWS)('$name', (row) => {
    expect(parseCgroupFile(row.text)).toEqual(identityOf(row));
  });

  it.each(ROWS)('$name, with CRLF line breaks and blank lines', (row) => {
    const text = `\n\r\n${row.text.replaceAll('\n', '\r\n\n')}\r\n`;
    expect(parseCgroupFile(text)).toEqual(identityOf(row));
  });
});

describe('parseCgroupFile line handling', () => {
  it('reads a last line without its line break', () => {
    expect(parseCgroupFile(`0::/system.slice/docker-${DOCKER}.scope`)).toEqual({
      containerId: DOCKER,
      cgroupId: `/system.slice/docker-${DOCKER}.scope`,
      cgroupManager: 'docker',
    });
    expect(parseCgroupFile('0::/system.slice/nginx.service')).toEqual({
      containerId: '',
      cgroupId: '/system.slice/nginx.service',
      cgroupManager: 'systemd',
    });
  });

  it('takes the container id of a possibly cut last line from its last component only', () => {
    // Cut inside the inner id: reading on up the path would wrongly give the outer container.
    const cut = `0::/system.slice/docker-${DOCKER}.scope/docker/${INNER.slice(0, 20)}`;
    expect(parseCgroupFile(cut)).toEqual({ containerId: '', cgroupId: cut.slice(3), cgroupManager: '' });
    expect(parseCgroupFile(cut.slice(0, -20)).containerId).toBe('');
    // A complete line resolves a container's sub-cgroup to the container.
    expect(parseCgroupFile(`0::/system.slice/docker-${DOCKER}.scope/init\n`).containerId).toBe(DOCKER);
  });

  it('reads a cut exactly after an enclosing container as that container (the text is a valid path of it)', () => {
    expect(parseCgroupFile(`0::/docker/${DOCKER}/docker/${INNER}`).containerId).toBe(INNER);
    expect(parseCgroupFile(`0::/docker/${DOCKER}`).containerId).toBe(DOCKER);
  });

  it('prefers complete lines over a possibly cut last one', () => {
    const text = `${v1(`/docker/${DOCKER}/docker/${INNER}`)}0::/docker/${DOCKER}`;
    expect(parseCgroupFile(text)).toMatchObject({
      containerId: INNER,
      cgroupId: `/docker/${DOCKER}/docker/${INNER}`,
    });
  });

  it('prefers the 0:: path, then the deepest v1 path, then memory, pids, cpu, cpuacct, name=systemd', () => {
    expect(parseCgroupFile('3:memory:/a/b\n0::/c\n').cgroupId).toBe('/c');
    expect(parseCgroupFile('0::/\n3:memory:/a\n').cgroupId).toBe('/a');
    expect(parseCgroupFile('3:memory:/a\n2:devices:/b/c\n').cgroupId).toBe('/b/c');
    expect(
      parseCgroupFile('5:devices:/d\n4:name=systemd:/s\n3:cpu,cpuacct:/c\n2:pids:/p\n1:memory:/m\n').cgroupId,
    ).toBe('/m');
    expect(parseCgroupFile('5:devices:/d\n4:name=systemd:/s\n3:cpu,cpuacct:/c\n2:pids:/p\n').cgroupId).toBe(
      '/p',
    );
    expect(parseCgroupFile('5:devices:/d\n4:name=systemd:/s\n3:cpuacct,cpu:/c\n').cgroupId).toBe('/c');
    expect(parseCgroupFile('5:devices:/d\n4:name=systemd:/s\n').cgroupId).toBe('/s');
    // Other controllers: file order.
    expect(parseCgroupFile('5:devices:/d\n4:blkio:/b\n').cgroupId).toBe('/d');
  });

  it('prefers a path naming a container over a preferred one that does not', () => {
    const text = `0::/system.slice/containerd.service\n4:blkio:/x/y/z\n2:devices:/docker/${DOCKER}\n`;
    expect(parseCgroupFile(text)).toEqual({
      containerId: DOCKER,
      cgroupId: `/docker/${DOCKER}`,
      cgroupManager: 'docker',
    });
  });

  it.each([
    ['no colon', 'garbage'],
    ['one colon', '0:/docker'],
    ['hierarchy not a number', `x::/docker/${DOCKER}`],
    ['negative hierarchy', `-1::/docker/${DOCKER}`],
    ['v1 hierarchy without controllers', `3::/docker/${DOCKER}`],
    ['relative path', `0::docker/${DOCKER}`],
    ['empty path', '0::'],
  ])('skips a junk line (%s)', (_, line) => {
    expect(parseCgroupFile(`${line}\n`)).toEqual({ containerId: '', cgroupId: '', cgroupManager: '' });
    expect(parseCgroupFile(`${line}\n0::/system.slice/nginx.service\n`).cgroupId).toBe(
      '/system.slice/nginx.service',
    );
  });

  it('keeps colons inside the path', () => {
    expect(parseCgroupFile('0::/a:b:c\n').cgroupId).toBe('/a:b:c');
  });
});

describe('containerIdFromCgroupPath', () => {
  it.each([
    [`/docker/${DOCKER}`, DOCKER, 'docker'],
    [`/system.slice/docker-${DOCKER}.scope`, DOCKER, 'docker'],
    [`/docker/${DOCKER}/docker/${INNER}`, INNER, 'docker'],
    [`/kubepods/burstable/pod${POD_UID}/${CONTAINERD}`, CONTAINERD, 'containerd'],
    [COLON_PATH, CONTAINERD, 'containerd'],
    [`${POD_SLICE}/cri-containerd-${CONTAINERD}.scope`, CONTAINERD, 'containerd'],
    [`/kubepods/burstable/pod${POD_UID}/crio-${CRIO}`, CRIO, 'cri-o'],
    [`${POD_SLICE}/crio-conmon-${CRIO}.scope`, '', 'cri-o'],
    [`/libpod_parent/libpod-${PODMAN}`, PODMAN, 'podman'],
    [`/machine.slice/libpod-conmon-${PODMAN}.scope`, '', 'podman'],
    [`/ecs/${ECS_TASK}/${ECS}`, ECS, 'containerd'],
    ['/system.slice/nginx.service', '', 'systemd'],
    ['/user.slice', '', 'systemd'],
    // Not hex: a scope, but no container's.
    [`/system.slice/docker-${DOCKER.slice(0, 63)}g.scope`, '', 'systemd'],
  ])('%s', (path, containerId, cgroupManager) => {
    expect(containerIdFromCgroupPath(path)).toEqual({ containerId, cgroupManager });
  });

  it.each([
    ['/'],
    [''],
    ['/process_api/5184e26ef87544163dd83553400becd2'],
    [`/docker/${DOCKER.slice(1)}`],
    [`/docker/${DOCKER}0`],
    [`/system.slice/docker-${DOCKER}.scop`],
    [`/kubepods/burstable/pod${POD_UID}`],
  ])('%s names no runtime', (path) => {
    expect(containerIdFromCgroupPath(path)).toBeUndefined();
  });

  it('accepts upper-case hex digits and returns them lowercase', () => {
    expect(containerIdFromCgroupPath(`/system.slice/docker-${DOCKER.toUpperCase()}.scope`)).toEqual({
      containerId: DOCKER,
      cgroupManager: 'docker',
    });
    expect(parseCgroupFile(`0::/docker/${DOCKER.toUpperCase()}\n`)).toMatchObject({
      containerId: DOCKER,
      cgroupId: `/docker/${DOCKER.toUpperCase()}`,
    });
  });
});

/** The parser's contract for any input: three strings, never an exception. */
function expectStrings(text: string): void {
  const identity = parseCgroupFile(text);
  expect(Object.keys(identity).sort()).toEqual(['cgroupId', 'cgroupManager', 'containerId']);
  for (const value of Object.values(identity)) expect(typeof value).toBe('string');
}

/** Pieces of cgroup lines, so that random texts come close to real ones. */
const cgroupToken = fc.constantFrom(
  '0',
  '12',
  ':',
  '::',
  '/',
  '\n',
  '\r',
  '\r\n',
  'memory',
  'name=systemd',
  'docker',
  'docker-',
  'crio-conmon-',
  ':cri-containerd:',
  '.scope',
  ' (deleted)',
  DOCKER,
  DOCKER.slice(0, 31),
  'é',
  '\u{1F600}',
  '\uD800',
);

/** Lines that are not cgroup lines, in any code points but the line break. */
const junkLine = fc
  .string({ unit: 'binary', maxLength: 80 })
  .filter((line) => !line.includes('\n') && !/^\d+:[^:]*:\//.test(line));

describe('parseCgroupFile properties', () => {
  it('returns three strings for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => expectStrings(text)),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(cgroupToken, { maxLength: 200 }), (tokens) => expectStrings(tokens.join(''))),
      { numRuns: 2000 },
    );
  });

  it('returns three strings for any prefix of a real file', () => {
    const rows = fc.constantFrom(...ROWS);
    fc.assert(
      fc.property(
        rows.chain((row) => fc.tuple(fc.constant(row), fc.nat({ max: row.text.length }))),
        ([row, cut]) => expectStrings(row.text.slice(0, cut)),
      ),
    );
  });

  it('reads a huge text', () => {
    const longPath = `0::/${'a/'.repeat(500_000)}docker-${DOCKER}.scope\n`;
    const manyLines = '7:memory:/x\n\n junk\n'.repeat(100_000);
    expect(parseCgroupFile(longPath).containerId).toBe(DOCKER);
    expect(parseCgroupFile(manyLines + longPath).containerId).toBe(DOCKER);
    expectStrings(`${'x'.repeat(2_000_000)}:${':'.repeat(1_000_000)}`);
    expectStrings(`0::/${'0:'.repeat(1_000_000)}:cri-containerd:${DOCKER}`);
  });

  it('finds a docker line among junk lines', () => {
    fc.assert(
      fc.property(
        fc.array(junkLine, { maxLength: 8 }),
        fc.array(junkLine, { maxLength: 8 }),
        fc.constantFrom(`0::/system.slice/docker-${DOCKER}.scope`, `8:memory:/docker/${DOCKER}`),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (before, after, line, eol, final) => {
          const text = [...before, line, ...after].join(eol) + (final ? eol : '');
          expect(parseCgroupFile(text)).toMatchObject({ containerId: DOCKER, cgroupManager: 'docker' });
        },
      ),
      { numRuns: 1000 },
    );
  });

  // Every offset rather than a sample: the files are small, and the cuts that matter are single offsets.
  it('never gives a wrong container id for a file cut at any offset', () => {
    for (const row of ROWS) {
      for (let cut = 0; cut <= row.text.length; cut++) {
        const text = row.text.slice(0, cut);
        const { containerId } = parseCgroupFile(text);
        if (containerId === '' || containerId === row.containerId) continue;
        // Only a cut right after an enclosing container's component reads as it.
        expect(row.enclosing ?? []).toContain(containerId);
        expect(text).toMatch(new RegExp(`${containerId}(\\.scope)?$`));
      }
    }
  });
});

const SELF_CGROUP = '/proc/self/cgroup';
const selfText = existsSync(SELF_CGROUP) ? readFileSync(SELF_CGROUP, 'utf8') : undefined;

it.skipIf(selfText === undefined)(
  selfText === undefined
    ? `reads ${SELF_CGROUP} (skipped: ${SELF_CGROUP} does not exist on this machine)`
    : `reads ${SELF_CGROUP} of this machine`,
  () => expectStrings(selfText ?? ''),
);
