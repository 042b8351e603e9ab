/**
 * Generates `container-workload.jsonl`: about two minutes of Datadog CWS events (one JSON object per
 * line, in the shape the Datadog Agent serializes them and `parseCwsEvent` reads) from a small
 * container, for `examples/replay-cws.ts`.
 *
 * The container runs `/bin/sh /docker-entrypoint.sh`, which starts nginx (a master and two workers),
 * installs curl with `apt-get update && apt-get install -y curl`, then starts a Python app that
 * resolves `api.example.com`, queries the AWS instance metadata service, polls its API every 20 s
 * and runs a curl health check every 25 s. A few events of the host's container runtime (runc,
 * outside the container) are mixed in.
 *
 * Lineages follow the agent's process cache: a fork creates an entry for the child that copies its
 * parent's image, an exec creates a new entry for the same pid whose ancestor is the previous one
 * (so a forked-then-exec'd process lists its own pid twice), and `is_exec_child` marks an exec whose
 * previous image was itself exec'd. Like the agent, a forked entry listed right before its parent
 * loses its argv0 and args. Every lineage ends with `/sbin/init` (pid 1) on the host, through
 * `containerd-shim-runc-v2`; container processes carry the container id.
 *
 * To keep the file small, ancestors are leaner than the agent's: their executable has only path,
 * name, inode and mount id, and the uid/gid, fork/exec times and environment are only written for the
 * event's own process. No `credentials`, no `cookie` (the parser does not read it).
 *
 * Deterministic (a seeded PRNG, fixed times): `test/examples.test.ts` checks that the committed file
 * is this generator's output. Regenerate with `npx tsx examples/workload/generate.ts`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { seededRandom } from '../../src/testing/seeded-random.js';

/** Where the script writes the workload (next to this file). */
export const WORKLOAD_FILE = fileURLToPath(new URL('./container-workload.jsonl', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Deterministic randomness and time

const prng = seededRandom;

const SEED = 0x5eed_2024;

function hex(random: () => number, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** The 64-hex id of the container the workload runs in. */
export const CONTAINER_ID = hex(prng(SEED ^ 0xc0ffee), 64);

const NS_PER_MS = 1_000_000n;
/** 2024-06-03T14:02:11Z, when the container starts. */
const START_NS = BigInt(Date.UTC(2024, 5, 3, 14, 2, 11)) * NS_PER_MS;
// Image files keep the whole-second mtime of the layer tarball; their ctime is when the image was pulled.
const IMAGE_MTIME = '2024-05-28T09:41:37Z';
const IMAGE_CTIME = '2024-06-03T13:58:02.417301126Z';
const HOST_MTIME = '2024-03-11T16:20:04Z';
const HOST_CTIME = '2024-03-11T16:20:04.882650117Z';

/**
 * An event time as the agent writes it: RFC 3339 in UTC with nanoseconds, trailing zeros trimmed
 * (Go's `time.RFC3339Nano`). Kernel timestamps are not whole milliseconds: a fixed sub-microsecond
 * offset, derived from the time itself, stands in for that.
 */
function formatTime(ns: bigint): string {
  const stamped = ns + ((((ns / 1_000n) * 2_654_435_761n) >> 16n) % 1_000n);
  const iso = new Date(Number(stamped / NS_PER_MS)).toISOString(); // 2024-06-03T14:02:11.123Z
  const fraction = (stamped % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z`;
}

// ---------------------------------------------------------------------------------------------
// Model: executables, process cache entries, events

const MODE_EXECUTABLE = 0o100755;
const MODE_FILE = 0o100644;

interface FileSpec {
  path: string;
  mode: number;
  host?: boolean;
  procfs?: boolean;
}

/** One process cache entry: a process image after a fork or an exec. */
interface ProcEntry {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  exe: FileSpec;
  argv0: string;
  args: string[];
  envs: string[];
  container: boolean;
  forkTime: bigint;
  execTime: bigint;
  /** Whether this entry was produced by an exec (rather than a fork). */
  isExec: boolean;
  /** `is_exec_child`: an exec whose previous image was itself exec'd. */
  isExecChild: boolean;
  /** The previous entry: the same pid's image before an exec, or the parent for a fork. */
  ancestor: ProcEntry | undefined;
}

type Json = { [key: string]: unknown };

/** The kernel's `comm`: the executable's name, cut to 15 bytes. */
function comm(p: ProcEntry): string {
  return p.exe.path.slice(p.exe.path.lastIndexOf('/') + 1).slice(0, 15);
}

/** A time cursor in ns: `tick(step)` moves it forward by `step` ns and returns the new time. */
class Clock {
  constructor(private now: bigint) {}

  tick(step: number): bigint {
    this.now += BigInt(Math.round(step));
    return this.now;
  }
}

const US = 1_000;
const MS = 1_000_000;

interface Emitted {
  time: bigint;
  seq: number;
  json: Json;
}

class Workload {
  private readonly events: Emitted[] = [];
  private readonly inodes = new Map<string, number>();
  private nextInode: number;
  private seq = 0;

  constructor(readonly random: () => number) {
    this.nextInode = 1_048_576 + Math.floor(random() * 65_536);
  }

  private inode(path: string): number {
    let inode = this.inodes.get(path);
    if (inode === undefined) {
      inode = this.nextInode;
      this.nextInode += 1 + Math.floor(this.random() * 40);
      this.inodes.set(path, inode);
    }
    return inode;
  }

  fileJson(spec: FileSpec): Json {
    const name = spec.path.slice(spec.path.lastIndexOf('/') + 1);
    return {
      path: spec.path,
      name,
      inode: this.inode(spec.path),
      mode: spec.mode,
      mount_id: spec.procfs ? 1412 : spec.host ? 27 : 1407,
      filesystem: spec.procfs ? 'proc' : spec.host ? 'ext4' : 'overlay',
      uid: 0,
      gid: 0,
      modification_time: spec.host ? HOST_MTIME : IMAGE_MTIME,
      change_time: spec.host ? HOST_CTIME : IMAGE_CTIME,
    };
  }

  /** The executable of an ancestor: what identifies it (see the header). */
  leanFileJson(spec: FileSpec): Json {
    const { path, name, inode, mount_id } = this.fileJson(spec);
    return { path, name, inode, mount_id };
  }

  /** A process entry; ids, times and the environment only for the event's own process (see the header). */
  processJson(p: ProcEntry, subject: boolean): Json {
    return {
      pid: p.pid,
      ...(p.pid === 1 ? {} : { ppid: p.ppid }),
      tid: p.pid,
      ...(subject ? { uid: p.uid, gid: p.gid } : {}),
      comm: comm(p),
      ...(subject ? { fork_time: formatTime(p.forkTime), exec_time: formatTime(p.execTime) } : {}),
      executable: subject ? this.fileJson(p.exe) : this.leanFileJson(p.exe),
      ...(p.container ? { container: { id: CONTAINER_ID } } : {}),
      argv0: p.argv0,
      ...(p.args.length > 0 ? { args: p.args } : {}),
      ...(subject && p.envs.length > 0 ? { envs: p.envs } : {}),
      ...(p.isExecChild ? { is_exec_child: true } : {}),
    };
  }

  /** Records one event of `p` at `time`; `fields` are the event-specific top-level fields. */
  emit(name: string, category: string, p: ProcEntry, time: bigint, fields: Json = {}, outcome = 'Success') {
    const ancestors: Json[] = [];
    let previous: ProcEntry | undefined;
    for (let a = p.ancestor; a !== undefined; a = a.ancestor) {
      // The agent's de-duplication: a forked child listed right before its parent, with the same
      // comm, loses its args, envs and argv0 (they are the parent's).
      if (previous !== undefined && previous.ppid === a.pid && comm(previous) === comm(a)) {
        const last = ancestors[ancestors.length - 1]!;
        delete last.argv0;
        delete last.args;
      }
      ancestors.push(this.processJson(a, false));
      previous = a;
    }
    const json: Json = {
      evt: { name, category, outcome },
      date: formatTime(time),
      ...fields,
      process: { ...this.processJson(p, true), ancestors },
      ...(p.container ? { container: { id: CONTAINER_ID } } : {}),
    };
    this.events.push({ time, seq: this.seq++, json });
  }

  /** `parent` forks `pid` at `time`: the child starts as a copy of the parent's image. */
  fork(parent: ProcEntry, pid: number, time: bigint): ProcEntry {
    const child: ProcEntry = {
      ...parent,
      pid,
      ppid: parent.pid,
      forkTime: time,
      isExec: false,
      isExecChild: false,
      ancestor: parent,
    };
    this.emit('fork', 'Process Activity', child, time);
    return child;
  }

  /** `p` executes a new image at `time`. */
  exec(
    p: ProcEntry,
    exe: string,
    argv0: string,
    args: string[],
    time: bigint,
    more: { envs?: string[]; host?: boolean } = {},
  ): ProcEntry {
    const exeSpec: FileSpec = { path: exe, mode: MODE_EXECUTABLE, host: more.host ?? false };
    const next: ProcEntry = {
      ...p,
      exe: exeSpec,
      argv0,
      args,
      envs: more.envs ?? p.envs,
      execTime: time,
      isExec: true,
      isExecChild: p.isExec,
      ancestor: p,
    };
    this.emit('exec', 'Process Activity', next, time, { file: this.fileJson(exeSpec) });
    return next;
  }

  exit(p: ProcEntry, time: bigint, code = 0): void {
    this.emit('exit', 'Process Activity', p, time, { exit: { cause: 'EXITED', code } });
  }

  open(p: ProcEntry, path: string, time: bigint, flags: string[] = ['O_RDONLY', 'O_CLOEXEC']): void {
    const procfs = path.startsWith('/proc/');
    const file: Json = {
      ...this.fileJson({ path, mode: procfs ? 0o100444 : MODE_FILE, host: !p.container, procfs }),
      flags,
    };
    if (flags.includes('O_CREAT')) file.destination = { mode: 0o644 };
    this.emit('open', 'File Activity', p, time, { file });
  }

  /** Opens the dynamic loader's files for `libs`, as every dynamically linked binary does at start. */
  loadLibraries(p: ProcEntry, clock: Clock, libs: string[]): void {
    this.open(p, '/etc/ld.so.cache', clock.tick(200 * US));
    for (const lib of libs) this.open(p, lib, clock.tick(30 * US + this.random() * 50 * US));
  }

  dns(p: ProcEntry, name: string, type: 'A' | 'AAAA', time: bigint): void {
    const id = Math.floor(this.random() * 65_536);
    this.emit('dns', 'Network Activity', p, time, {
      network: {
        l3_protocol: 'ETH_P_IP',
        l4_protocol: 'IP_PROTO_UDP',
        source: { ip: '172.17.0.2', port: 32_768 + Math.floor(this.random() * 28_000) },
        destination: { ip: '192.168.65.7', port: 53 },
        size: 17 + name.length + 12,
      },
      dns: {
        id,
        is_query: true,
        question: { type, class: 'CLASS_INET', name, size: name.length + 2, count: 1 },
      },
    });
  }

  bind(p: ProcEntry, family: 'AF_INET' | 'AF_INET6', ip: string, port: number, time: bigint): void {
    this.emit('bind', 'Network Activity', p, time, {
      bind: { addr: { family, ip, port, is_public: false }, protocol: 'IP_PROTO_TCP' },
    });
  }

  imds(p: ProcEntry, time: bigint, imds: Json): void {
    this.emit('imds', 'Network Activity', p, time, {
      network: {
        l3_protocol: 'ETH_P_IP',
        l4_protocol: 'IP_PROTO_TCP',
        source: { ip: '172.17.0.2', port: 41_876 },
        destination: { ip: '169.254.169.254', port: 80 },
        size: 0,
      },
      imds,
    });
  }

  /** The events in time order (same-time events in the order they were recorded). */
  lines(): string[] {
    const sorted = [...this.events].sort((a, b) =>
      a.time < b.time ? -1 : a.time > b.time ? 1 : a.seq - b.seq,
    );
    return sorted.map((e) => JSON.stringify(e.json));
  }
}

// ---------------------------------------------------------------------------------------------
// The workload

/** The time `n` milliseconds after the container started. */
const ms = (n: number): bigint => START_NS + BigInt(Math.round(n * MS));
/** A clock starting `n` milliseconds after the container started. */
const clockAt = (n: number): Clock => new Clock(ms(n));

const BASE_ENVS = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  `HOSTNAME=${CONTAINER_ID.slice(0, 12)}`,
  'HOME=/root',
];
const LIB = '/lib/x86_64-linux-gnu';
const LIBC = `${LIB}/libc.so.6`;
const NSS_FILES = ['/etc/nsswitch.conf', '/etc/host.conf', '/etc/resolv.conf', '/etc/hosts'];
const CREATE = ['O_WRONLY', 'O_CREAT', 'O_TRUNC'];
const CREATE_NEW = ['O_WRONLY', 'O_CREAT', 'O_EXCL'];
const APPEND = ['O_WRONLY', 'O_CREAT', 'O_APPEND', 'O_CLOEXEC'];

const APT_LISTS = [
  'deb.debian.org_debian_dists_bookworm_InRelease',
  'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4',
  'deb.debian.org_debian-security_dists_bookworm-security_InRelease',
  'deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4',
];
const DEBS = [
  {
    pkg: 'libcurl4',
    file: 'libcurl4_7.88.1-10+deb12u5_amd64.deb',
    installs: [
      '/usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0',
      '/usr/share/doc/libcurl4/copyright',
      '/usr/share/doc/libcurl4/changelog.Debian.gz',
    ],
  },
  {
    pkg: 'curl',
    file: 'curl_7.88.1-10+deb12u5_amd64.deb',
    installs: ['/usr/bin/curl', '/usr/share/doc/curl/copyright', '/usr/share/man/man1/curl.1.gz'],
  },
];

const PYTHON_LIB = '/usr/local/lib/python3.11';
const PYTHON_MODULES = [
  'encodings/__init__',
  'encodings/utf_8',
  'codecs',
  'io',
  'abc',
  'site',
  'os',
  'stat',
  'posixpath',
  '_collections_abc',
  'enum',
  'functools',
  'collections/__init__',
  're/__init__',
  're/_compiler',
  're/_parser',
  'json/__init__',
  'json/decoder',
  'json/encoder',
  'socket',
  'ssl',
  'http/__init__',
  'http/client',
  'email/parser',
  'urllib/parse',
  'urllib/request',
  'logging/__init__',
  'threading',
];

/** Builds the workload's events, in time order, one JSON text per event. */
export function generateWorkload(): string[] {
  const random = prng(SEED);
  const w = new Workload(random);

  // ---- host: pid 1 and the container's shim ----------------------------------------------------
  const init: ProcEntry = {
    pid: 1,
    ppid: 0,
    uid: 0,
    gid: 0,
    exe: { path: '/sbin/init', mode: MODE_EXECUTABLE, host: true },
    argv0: '/sbin/init',
    args: [],
    envs: [],
    container: false,
    forkTime: ms(-86_400_000),
    execTime: ms(-86_400_000),
    isExec: true,
    isExecChild: false,
    ancestor: undefined,
  };
  const shim: ProcEntry = {
    ...init,
    pid: 2841,
    ppid: 1,
    exe: { path: '/usr/bin/containerd-shim-runc-v2', mode: MODE_EXECUTABLE, host: true },
    argv0: '/usr/bin/containerd-shim-runc-v2',
    args: ['-namespace', 'moby', '-id', CONTAINER_ID, '-address', '/run/containerd/containerd.sock'],
    forkTime: ms(-900),
    execTime: ms(-899),
    ancestor: init,
  };

  // The shim runs `runc start` on the host: not part of the container, so the dump drops these.
  const bundle = `/run/containerd/io.containerd.runtime.v2.task/moby/${CONTAINER_ID}`;
  const runc = w.exec(
    w.fork(shim, 2855, ms(-40)),
    '/usr/bin/runc',
    'runc',
    ['--root', '/var/run/docker/runtime-runc/moby', '--log', `${bundle}/log.json`, 'start', CONTAINER_ID],
    ms(-39),
    { host: true },
  );
  w.open(runc, `${bundle}/config.json`, ms(-38));
  w.exit(runc, ms(25));

  // ---- the entrypoint: /bin/sh /docker-entrypoint.sh -----------------------------------------------
  const entrypoint: ProcEntry = {
    ...shim,
    pid: 2862,
    ppid: 2841,
    exe: { path: '/bin/sh', mode: MODE_EXECUTABLE },
    argv0: '/bin/sh',
    args: ['/docker-entrypoint.sh'],
    envs: [...BASE_ENVS, 'NGINX_VERSION=1.25.5'],
    container: true,
    forkTime: ms(-30),
    execTime: ms(0),
    ancestor: shim,
  };
  w.emit('exec', 'Process Activity', entrypoint, ms(0), { file: w.fileJson(entrypoint.exe) });
  w.loadLibraries(entrypoint, clockAt(0), [LIBC]);
  w.open(entrypoint, '/docker-entrypoint.sh', ms(1));

  // ---- nginx -g 'daemon off;' & : a master, two workers ------------------------------------------
  const nginx = w.exec(
    w.fork(entrypoint, 2870, ms(5)),
    '/usr/sbin/nginx',
    'nginx',
    ['-g', 'daemon off;'],
    ms(6),
  );
  let clock = clockAt(6);
  w.loadLibraries(nginx, clock, [
    `${LIB}/libcrypt.so.1`,
    `${LIB}/libpcre2-8.so.0`,
    `${LIB}/libssl.so.3`,
    `${LIB}/libcrypto.so.3`,
    `${LIB}/libz.so.1`,
    LIBC,
  ]);
  for (const path of [
    '/etc/nginx/nginx.conf',
    '/etc/passwd',
    '/etc/group',
    '/etc/nginx/mime.types',
    '/etc/nginx/conf.d/default.conf',
  ]) {
    w.open(nginx, path, clock.tick(150 * US + random() * 100 * US));
  }
  w.open(nginx, '/var/log/nginx/error.log', clock.tick(90 * US), APPEND);
  w.open(nginx, '/var/log/nginx/access.log', clock.tick(90 * US), APPEND);
  w.bind(nginx, 'AF_INET', '0.0.0.0', 80, clock.tick(120 * US));
  w.bind(nginx, 'AF_INET6', '::', 80, clock.tick(40 * US));
  w.open(nginx, '/run/nginx.pid', clock.tick(80 * US), ['O_RDWR', 'O_CREAT', 'O_TRUNC']);
  const workers = [2876, 2877].map((pid) => {
    const worker = w.fork(nginx, pid, clock.tick(300 * US));
    // Workers drop root for the nginx user (101); later events carry the new ids.
    return { ...worker, uid: 101, gid: 101 };
  });
  // Each worker reads its own status every 20 s, and they serve requests (the same two pages).
  for (const [i, worker] of workers.entries()) {
    for (let s = 1; s <= 6; s++) w.open(worker, `/proc/${worker.pid}/status`, ms(s * 20_000 + i * 7));
  }
  for (let at = 2_000 + random() * 1_500; at < 119_000; at += 2_500 + random() * 3_500) {
    const worker = workers[random() < 0.5 ? 0 : 1]!;
    const page = random() < 0.9 ? 'index.html' : '50x.html';
    w.open(worker, `/usr/share/nginx/html/${page}`, ms(at), ['O_RDONLY', 'O_NONBLOCK']);
  }
  // Log rotation at 60 s: master and workers reopen the logs.
  for (const p of [nginx, ...workers]) {
    w.open(p, '/var/log/nginx/access.log', ms(60_000 + random() * 3), APPEND);
    w.open(p, '/var/log/nginx/error.log', ms(60_000 + random() * 3), APPEND);
  }

  // ---- apt-get update && apt-get install -y curl -------------------------------------------------
  const aptEnvs = [...BASE_ENVS, 'DEBIAN_FRONTEND=noninteractive'];
  const aptLibs = [`${LIB}/libapt-private.so.0.0`, `${LIB}/libapt-pkg.so.6.0`, `${LIB}/libstdc++.so.6`, LIBC];
  const aptGet = (pid: number, args: string[], start: number, paths: string[]): ProcEntry => {
    const fork = w.fork(entrypoint, pid, ms(start));
    const apt = w.exec(fork, '/usr/bin/apt-get', 'apt-get', args, ms(start + 1), { envs: aptEnvs });
    const clock = clockAt(start + 1);
    w.loadLibraries(apt, clock, aptLibs);
    for (const path of paths) w.open(apt, path, clock.tick(300 * US + random() * 500 * US));
    return apt;
  };
  // apt-get runs the http method for downloads; it resolves the mirror for each new connection.
  const httpMethod = (apt: ProcEntry, pid: number, start: number, downloads: string[]): void => {
    const http = w.exec(
      w.fork(apt, pid, ms(start)),
      '/usr/lib/apt/methods/http',
      '/usr/lib/apt/methods/http',
      [],
      ms(start + 1),
    );
    const clock = clockAt(start + 1);
    w.loadLibraries(http, clock, [`${LIB}/libapt-pkg.so.6.0`, LIBC]);
    for (const path of NSS_FILES) w.open(http, path, clock.tick(100 * US));
    w.dns(http, 'deb.debian.org', 'A', clock.tick(50 * US));
    w.dns(http, 'deb.debian.org', 'AAAA', clock.tick(20 * US));
    for (const path of downloads) {
      if (random() < 0.5) w.dns(http, 'deb.debian.org', 'A', clock.tick(150 * MS + random() * 500 * MS));
      w.open(http, path, clock.tick(20 * MS), CREATE);
    }
    w.exit(http, clock.tick(200 * MS));
  };

  const update = aptGet(2890, ['update'], 1_000, [
    '/etc/apt/apt.conf.d/docker-clean',
    '/etc/apt/apt.conf.d/docker-gzip-indexes',
    '/etc/apt/sources.list.d/debian.sources',
    '/var/lib/apt/lists/lock',
  ]);
  httpMethod(
    update,
    2891,
    1_300,
    APT_LISTS.map((name) => `/var/lib/apt/lists/partial/${name}`),
  );
  for (const name of APT_LISTS) w.open(update, `/var/lib/apt/lists/${name}`, ms(6_500 + random() * 800));
  w.open(update, '/var/cache/apt/pkgcache.bin', ms(7_500), ['O_RDWR', 'O_CREAT']);
  w.exit(update, ms(8_200));

  const install = aptGet(2903, ['install', '-y', 'curl'], 8_210, [
    '/etc/apt/apt.conf.d/docker-clean',
    '/var/lib/dpkg/lock-frontend',
    '/var/lib/dpkg/lock',
    '/var/lib/dpkg/status',
    '/var/cache/apt/pkgcache.bin',
    ...APT_LISTS.map((name) => `/var/lib/apt/lists/${name}`),
    '/var/cache/apt/archives/lock',
  ]);
  httpMethod(
    install,
    2905,
    9_000,
    DEBS.map((deb) => `/var/cache/apt/archives/partial/${deb.file}`),
  );

  // dpkg --unpack, then dpkg --configure. For each package, --unpack runs `dpkg-deb --control`
  // (which extracts the control files with tar) and `dpkg-deb --fsys-tarfile`, whose output dpkg
  // unpacks itself.
  let nextPid = 2910;
  const runDpkg = (args: string[], clock: Clock, unpack: boolean): void => {
    const start = clock.tick(0);
    const dpkg = w.exec(
      w.fork(install, nextPid, start),
      '/usr/bin/dpkg',
      '/usr/bin/dpkg',
      args,
      clock.tick(MS),
    );
    nextPid += 1;
    w.loadLibraries(dpkg, clock, [`${LIB}/libselinux.so.1`, LIBC]);
    for (const path of [
      '/var/lib/dpkg/lock',
      '/var/lib/dpkg/status',
      '/var/lib/dpkg/diversions',
      '/var/lib/dpkg/statoverride',
      '/var/lib/dpkg/triggers/File',
      '/var/lib/dpkg/info/format',
    ]) {
      w.open(dpkg, path, clock.tick(3 * MS + random() * 4 * MS));
    }
    for (const deb of DEBS) {
      const archive = `/var/cache/apt/archives/${deb.file}`;
      const info = `/var/lib/dpkg/info/${deb.pkg}:amd64`;
      if (unpack) {
        const control = w.exec(
          w.fork(dpkg, nextPid, clock.tick(10 * MS)),
          '/usr/bin/dpkg-deb',
          'dpkg-deb',
          ['--control', archive, '/var/lib/dpkg/tmp.ci'],
          clock.tick(MS),
        );
        w.open(control, archive, clock.tick(2 * MS));
        const tar = w.exec(
          w.fork(control, nextPid + 1, clock.tick(3 * MS)),
          '/bin/tar',
          'tar',
          ['-x', '-f', '-', '--warning=no-timestamp'],
          clock.tick(MS),
        );
        for (const member of ['control', 'md5sums', 'shlibs', 'triggers']) {
          w.open(tar, `/var/lib/dpkg/tmp.ci/${member}`, clock.tick(2 * MS), CREATE_NEW);
        }
        w.exit(tar, clock.tick(5 * MS));
        w.exit(control, clock.tick(2 * MS));
        const data = w.exec(
          w.fork(dpkg, nextPid + 2, clock.tick(10 * MS)),
          '/usr/bin/dpkg-deb',
          'dpkg-deb',
          ['--fsys-tarfile', archive],
          clock.tick(MS),
        );
        w.open(data, archive, clock.tick(2 * MS));
        for (const path of deb.installs) {
          w.open(dpkg, `${path}.dpkg-new`, clock.tick(4 * MS + random() * 6 * MS), CREATE_NEW);
        }
        w.exit(data, clock.tick(3 * MS));
        w.open(dpkg, `${info}.list`, clock.tick(4 * MS), ['O_WRONLY', 'O_CREAT']);
        nextPid += 3;
      } else {
        w.open(dpkg, `${info}.list`, clock.tick(4 * MS));
        w.open(dpkg, `${info}.md5sums`, clock.tick(2 * MS));
      }
      w.open(dpkg, '/var/lib/dpkg/updates/tmp.i', clock.tick(3 * MS), CREATE);
      w.open(dpkg, '/var/lib/dpkg/status', clock.tick(3 * MS));
    }
    w.exit(dpkg, clock.tick(20 * MS));
  };
  clock = clockAt(12_500);
  const archives = DEBS.map((deb) => `/var/cache/apt/archives/${deb.file}`);
  runDpkg(['--status-fd', '35', '--no-triggers', '--unpack', '--auto-deconfigure', ...archives], clock, true);
  clock.tick(200 * MS);
  runDpkg(['--status-fd', '35', '--configure', '--pending'], clock, false);
  w.open(install, '/var/lib/dpkg/status', clock.tick(50 * MS));
  w.exit(install, clock.tick(70 * MS));

  // ---- python3 /app/main.py ---------------------------------------------------------------------
  const python = w.exec(
    w.fork(entrypoint, 2960, ms(15_000)),
    '/usr/local/bin/python3',
    'python3',
    ['/app/main.py'],
    ms(15_001),
    {
      envs: [
        ...BASE_ENVS,
        'LANG=C.UTF-8',
        'PYTHON_VERSION=3.11.9',
        'PYTHONUNBUFFERED=1',
        'API_TOKEN=example-token-not-a-secret',
      ],
    },
  );
  clock = clockAt(15_001);
  w.loadLibraries(python, clock, ['/usr/local/lib/libpython3.11.so.1.0', `${LIB}/libm.so.6`, LIBC]);
  w.open(python, '/app/main.py', clock.tick(200 * US));
  // Imports read the compiled modules.
  for (const module of PYTHON_MODULES) {
    const slash = module.lastIndexOf('/');
    const dir = slash < 0 ? PYTHON_LIB : `${PYTHON_LIB}/${module.slice(0, slash)}`;
    const cached = `${dir}/__pycache__/${module.slice(slash + 1)}.cpython-311.pyc`;
    w.open(python, cached, clock.tick(400 * US + random() * 600 * US));
  }
  for (const ext of ['_ssl', '_socket', '_json', 'select', 'math']) {
    w.open(python, `${PYTHON_LIB}/lib-dynload/${ext}.cpython-311-x86_64-linux-gnu.so`, clock.tick(300 * US));
  }
  w.open(python, '/etc/ssl/certs/ca-certificates.crt', clock.tick(500 * US));
  w.open(python, '/app/config.json', clock.tick(300 * US));
  w.bind(python, 'AF_INET', '127.0.0.1', 8080, ms(15_420));
  // The instance role, from the AWS instance metadata service. The response lists role names, not
  // credentials: the tree ignores it, as the agent does.
  w.imds(python, ms(15_500), {
    type: 'request',
    cloud_provider: 'aws',
    url: '/latest/meta-data/iam/security-credentials/',
    host: '169.254.169.254',
    user_agent: 'Python-urllib/3.11',
    aws: { is_imds_v2: false },
  });
  w.imds(python, ms(15_503), {
    type: 'response',
    cloud_provider: 'aws',
    server: 'EC2ws',
    aws: { is_imds_v2: false },
  });
  // The app polls its API every 20 s: it resolves the name (rereading the resolver's files), then
  // rereads its config.
  for (let s = 16_000; s < 120_000; s += 20_000) {
    const clock = clockAt(s + random() * 200);
    for (const path of NSS_FILES.slice(2)) w.open(python, path, clock.tick(100 * US));
    w.dns(python, 'api.example.com', 'A', clock.tick(50 * US));
    w.dns(python, 'api.example.com', 'AAAA', clock.tick(20 * US));
    w.open(python, '/app/config.json', clock.tick(3 * MS));
  }
  // ... and runs a health check every 25 s: python forks, the child execs `sh -c "curl …"`, and sh
  // execs curl in place (so curl is an exec child).
  nextPid = 3001;
  for (let s = 20_000; s < 120_000; s += 25_000) {
    const command = 'curl -s http://api.example.com/health';
    const sh = w.exec(w.fork(python, nextPid, ms(s)), '/bin/sh', '/bin/sh', ['-c', command], ms(s + 1));
    w.loadLibraries(sh, clockAt(s + 1), [LIBC]);
    const curl = w.exec(sh, '/usr/bin/curl', 'curl', command.split(' ').slice(1), ms(s + 3));
    const clock = clockAt(s + 3);
    w.loadLibraries(curl, clock, [`${LIB}/libcurl.so.4`, LIBC]);
    w.open(curl, '/usr/lib/ssl/openssl.cnf', clock.tick(300 * US));
    for (const path of NSS_FILES) w.open(curl, path, clock.tick(100 * US));
    w.dns(curl, 'api.example.com', 'A', clock.tick(80 * US));
    w.dns(curl, 'api.example.com', 'AAAA', clock.tick(10 * US));
    w.exit(curl, ms(s + 60 + random() * 80));
    nextPid += 1;
  }

  return w.lines();
}

// Run as a script: write the workload next to this file.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const lines = generateWorkload();
  writeFileSync(WORKLOAD_FILE, `${lines.join('\n')}\n`);
  console.log(`wrote ${lines.length} events to ${WORKLOAD_FILE}`);
}
