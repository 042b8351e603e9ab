import type { ActivityEvent } from '../src/events/activity-event.js';
import type { ProcessContext, ProcessInfo } from '../src/events/process.js';
import { seededRandom } from '../src/testing/seeded-random.js';

/** Deterministic randomness, so every run measures the same events. */
export const createRng = seededRandom;

const BINARIES = [
  '/usr/sbin/nginx',
  '/usr/bin/python3.11',
  '/usr/local/bin/node',
  '/usr/bin/curl',
  '/bin/bash',
  '/usr/bin/apt-get',
  '/usr/lib/apt/methods/http',
  '/usr/bin/dpkg',
  '/usr/bin/gzip',
  '/usr/bin/sed',
];

const KNOWN_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/etc',
  '/etc/nginx/conf.d',
  '/var/log/nginx',
  '/usr/share/zoneinfo/Europe',
  '/usr/local/lib/python3.11/site-packages/requests',
  '/srv/app/static/css',
  '/var/lib/dpkg/info',
];

function info(pid: number, path: string, containerId: string, cookie: bigint): ProcessInfo {
  return {
    pid,
    ppid: 0,
    cookie,
    execTime: 1_700_000_000_000_000_000n + BigInt(pid) * 1_000_000n,
    containerId,
    argv0: path.slice(path.lastIndexOf('/') + 1),
    args: ['-c', 'run'],
    envs: ['PATH=/usr/bin:/bin', 'HOME=/root', 'LANG=C.UTF-8'],
    file: { path, inode: BigInt(1000 + pid), mountId: 42, mode: 0o100755 },
  };
}

/**
 * `count` process contexts inside one container, each with a realistic lineage: pid 1 on the
 * host, a container shim, a shell entrypoint, then one or two application binaries.
 */
export function createProcesses(
  count: number,
  rng: () => number,
  containerId = 'a'.repeat(64),
): ProcessContext[] {
  const init = info(1, '/sbin/init', '', 1n);
  const shim = info(2, '/usr/bin/containerd-shim-runc-v2', '', 2n);
  const shell = info(3, '/bin/sh', containerId, 3n);
  const processes: ProcessContext[] = [];
  for (let i = 0; i < count; i++) {
    const pid = 10 + i * 2;
    const parent = info(pid, BINARIES[i % BINARIES.length]!, containerId, BigInt(pid));
    const deep = rng() < 0.5;
    const self = deep
      ? info(pid + 1, BINARIES[(i * 7 + 3) % BINARIES.length]!, containerId, BigInt(pid + 1))
      : parent;
    const ancestors = deep ? [parent, shell, shim, init] : [shell, shim, init];
    processes.push({ ...self, ancestors });
  }
  return processes;
}

/** A random 64-hex-digit container id, flat like one read from a collector. */
export function randomContainerId(rng: () => number): string {
  let id = '';
  while (id.length < 64) id += Math.floor(rng() * 16).toString(16);
  return flat(id);
}

/** A flat copy of a string, as a collector's JSON or procfs reader produces (template literals build ropes). */
export function flat(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** The file paths a process keeps coming back to. */
export function knownPaths(processIndex: number, perProcess: number): string[] {
  const paths: string[] = [];
  for (let i = 0; i < perProcess; i++) {
    const dir = KNOWN_DIRS[(processIndex + i) % KNOWN_DIRS.length]!;
    paths.push(flat(`${dir}/file-${i % 37}-${processIndex % 5}.conf`));
  }
  return paths;
}

/**
 * A batch of events: mostly repeats of known (process, path) pairs, exec and DNS repeats, and a
 * `newFraction` of never-seen paths (unique per `batch`).
 */
export function mixedBatch(
  processes: readonly ProcessContext[],
  known: readonly string[][],
  size: number,
  newFraction: number,
  batch: number,
  rng: () => number,
): ActivityEvent[] {
  const events: ActivityEvent[] = new Array(size);
  for (let i = 0; i < size; i++) events[i] = mixedEvent(processes, known, newFraction, batch, i, rng);
  return events;
}

/** Event `i` of a {@link mixedBatch}. */
export function mixedEvent(
  processes: readonly ProcessContext[],
  known: readonly string[][],
  newFraction: number,
  batch: number,
  i: number,
  rng: () => number,
): ActivityEvent {
  const p = Math.floor(rng() * processes.length);
  const process = processes[p]!;
  const roll = rng();
  if (roll < newFraction) {
    return {
      type: 'open',
      process,
      file: { path: `/var/cache/app/b${batch}/d${i % 64}/obj-${i}.bin` },
      flags: 0o102,
    };
  }
  if (roll < newFraction + 0.04) return { type: 'exec', process };
  if (roll < newFraction + 0.08) {
    return { type: 'dns', process, dns: { name: `api${p % 7}.example.com`, type: 1 } };
  }
  const paths = known[p]!;
  return { type: 'open', process, file: { path: paths[Math.floor(rng() * paths.length)]! }, flags: 0 };
}

/** A batch where every open is of a path never seen before. */
export function coldBatch(
  processes: readonly ProcessContext[],
  size: number,
  batch: number,
  rng: () => number,
): ActivityEvent[] {
  const events: ActivityEvent[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const process = processes[Math.floor(rng() * processes.length)]!;
    events[i] = {
      type: 'open',
      process,
      file: { path: flat(`/data/cold/b${batch}/d${i % 97}/e${(i >> 7) % 31}/f-${i}.dat`) },
      flags: 0o2,
    };
  }
  return events;
}

/** The baseline's keys: process identity (executable) and the event's de-dup key. */
export function baselineKeys(event: ActivityEvent): [string, string] {
  const exe = event.process.file.path;
  switch (event.type) {
    case 'open':
      return [exe, event.file.path];
    case 'dns':
      return [exe, event.dns.name];
    default:
      return [exe, ''];
  }
}
