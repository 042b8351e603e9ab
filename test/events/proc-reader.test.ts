import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createServer, type Server, SocketAddress } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { parseNetSockets, parseSocketTarget } from '../../src/events/procfs/net-sockets.js';
import {
  parseBootTime,
  parseCmdline,
  parseMaps,
  parseStat,
  parseStatus,
} from '../../src/events/procfs/proc-parsers.js';
import { type ProcFileSystem, ProcReader } from '../../src/events/procfs/proc-reader.js';
import { seededRandom } from '../../src/testing/seeded-random.js';

// Fields 4.. of a real /proc/<pid>/stat line (a shell on a 6.x kernel); field 9 (flags) is 4194560.
const STAT_TAIL =
  '1 1234 1234 0 -1 4194560 1530 0 0 0 12 4 0 0 20 0 1 0 423865 9891840 1012 18446744073709551615 ' +
  '94155283992576 94155284012457 140726163353680 0 0 0 0 4096 134295555 0 0 0 17 1 0 0 0 0 0 ' +
  '94155284028464 94155284030080 94156349091840 140726163356190 140726163356210 140726163356210 140726163357675 0';
const TMUX_STAT = `1234 (tmux: server) S ${STAT_TAIL}\n`;
const SD_PAM_STAT = `1235 ((sd-pam)) S ${STAT_TAIL}\n`;
const KTHREADD_STAT =
  '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 26 0 0 18446744073709551615 0 0 0 0 0 0 0 ' +
  '2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n';
const KWORKER_STAT =
  '57 (kworker/1:1-events) I 2 0 0 0 -1 69238880 0 0 0 0 0 3 0 0 20 0 1 0 31 0 0 18446744073709551615 0 0 0 0 ' +
  '0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

const STATUS = `Name:\tsshd
Umask:\t0022
State:\tS (sleeping)
Tgid:\t812
Ngid:\t0
Pid:\t812
PPid:\t1
TracerPid:\t0
Uid:\t1000\t1001\t1002\t1003
Gid:\t2000\t2001\t2002\t2003
FDSize:\t64
Groups:\t4 24 27 1000 
NStgid:\t812
NSpid:\t812
VmPeak:\t   15396 kB
Threads:\t1
SigQ:\t0/96363
CapInh:\t0000000000000000
CapPrm:\t000001ffffffffff
CapEff:\t0000000000003000
CapBnd:\t000001ffffffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t0
Seccomp:\t0
Cpus_allowed_list:\t0-1
voluntary_ctxt_switches:\t33
nonvoluntary_ctxt_switches:\t2
`;

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 184 1 00000000e2f002b9 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D3A4 01 00000000:00000000 00:00000000 00000000  1000        0 5151 1 0000000000000000 20 4 30 10 -1
   3: garbage line that is not a socket
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6002 1 0000000000000000 100 0 0 10 0
   2: 000000FD000000000000000002000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6003 1 0000000000000000 100 0 0 10 0
   3: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6004 1 0000000000000000 100 0 0 10 0
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 7001 2 0000000000000000 0
  456: 0100007F:A1B2 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 7002 2 0000000000000000 0
`;

const MAPS = `55f4eadd4000-55f4eadd6000 r--p 00000000 fe:00 260386                     /usr/bin/app
55f4eadd6000-55f4eaddc000 r-xp 00002000 fe:00 260386                     /usr/bin/app
55f4eb9f3000-55f4eba14000 rw-p 00000000 00:00 0                          [heap]
7f0c3c000000-7f0c3c021000 rw-p 00000000 00:00 0 
7f0c40a00000-7f0c40a28000 r--p 00000000 fe:00 262171                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f0c40a28000-7f0c40bbd000 r-xp 00028000 fe:00 262171                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f0c40c00000-7f0c40c10000 r--s 00000000 fe:00 300001                     /opt/My App/data  file.bin
7f0c40d00000-7f0c40d01000 rw-s 00000000 00:01 1029                       /memfd:shm (deleted)
7f0c40e00000-7f0c40e01000 r--p 00000000 fe:00 300002                     /var/lib/app/old.so (deleted)
7ffd1e9f0000-7ffd1ea11000 rw-p 00000000 00:00 0                          [stack]
7ffd1eb8a000-7ffd1eb8e000 r--p 00000000 00:00 0                          [vvar]
7ffd1eb8e000-7ffd1eb90000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`;
// smaps repeats each maps line followed by `Key: value` lines (VmFlags has more than six fields).
const SMAPS = `7f0c40a00000-7f0c40a28000 r--p 00000000 fe:00 262171                     /usr/lib/x86_64-linux-gnu/libm.so.6
Size:                160 kB
Rss:                 160 kB
VmFlags: rd mr mw me sd ac
7f0c40c00000-7f0c40c10000 r--s 00000000 fe:00 300001                     /opt/smaps only
VmFlags: rd mr mw me sd ac /not/a/path
`;

describe('parseStat', () => {
  it('takes comm between the first ( and the last ), whatever it contains', () => {
    expect(parseStat(TMUX_STAT)).toEqual({
      pid: 1234,
      ppid: 1,
      comm: 'tmux: server',
      state: 'S',
      startTicks: 423865,
      kernelThread: false,
    });
    expect(parseStat(SD_PAM_STAT)).toMatchObject({ pid: 1235, comm: '(sd-pam)', state: 'S', ppid: 1 });
    expect(parseStat(`9 (a) b) c) R ${STAT_TAIL}`)).toMatchObject({ comm: 'a) b) c', state: 'R', ppid: 1 });
    expect(parseStat(`9 () Z ${STAT_TAIL}`)).toMatchObject({ comm: '', state: 'Z' });
  });

  it('recognises kernel threads by their PF_KTHREAD flag', () => {
    expect(parseStat(KTHREADD_STAT)).toMatchObject({ pid: 2, ppid: 0, comm: 'kthreadd', kernelThread: true });
    expect(parseStat(KWORKER_STAT)).toMatchObject({
      ppid: 2,
      comm: 'kworker/1:1-events',
      kernelThread: true,
    });
    // A process whose parent is pid 2 inside a pid namespace is not a kernel thread.
    expect(parseStat(`5 (sh) S 2 ${STAT_TAIL.split(' ').slice(1).join(' ')}`)).toMatchObject({
      ppid: 2,
      kernelThread: false,
    });
  });

  it('refuses text without the kernel shape', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('1234 tmux S 1')).toBeUndefined();
    expect(parseStat(`x (a) S ${STAT_TAIL}`)).toBeUndefined();
    expect(parseStat(`1 (a) S ${STAT_TAIL.slice(0, 40)}`)).toBeUndefined();
    expect(parseStat(`1 (a) SS ${STAT_TAIL}`)).toBeUndefined();
    expect(parseStat(`1 (a) S -1 ${STAT_TAIL.split(' ').slice(1).join(' ')}`)).toBeUndefined();
  });
});

describe('parseStatus', () => {
  it('reads real, effective and file-system ids, capabilities and tgid', () => {
    expect(parseStatus(STATUS)).toEqual({
      uid: 1000,
      euid: 1001,
      fsuid: 1003,
      gid: 2000,
      egid: 2001,
      fsgid: 2003,
      capEff: 0x3000n,
      capPrm: 0x1ffffffffffn,
      tgid: 812,
    });
  });

  it('refuses a status with a missing or malformed line', () => {
    expect(parseStatus('')).toBeUndefined();
    expect(parseStatus(STATUS.replace(/^Tgid:.*\n/m, ''))).toBeUndefined();
    expect(parseStatus(STATUS.replace('Uid:\t1000\t1001\t1002\t1003', 'Uid:\t1000\t1001'))).toBeUndefined();
    expect(parseStatus(STATUS.replace('CapEff:\t0000000000003000', 'CapEff:\tzz'))).toBeUndefined();
  });
});

describe('parseNetSockets', () => {
  it('decodes IPv4 tables, header and malformed rows skipped', () => {
    expect(parseNetSockets(TCP, 'AF_INET', 6)).toEqual([
      { inode: 184n, family: 'AF_INET', protocol: 6, ip: '0.0.0.0', port: 2024, state: 10 },
      { inode: 4242n, family: 'AF_INET', protocol: 6, ip: '127.0.0.1', port: 8080, state: 10 },
      { inode: 5151n, family: 'AF_INET', protocol: 6, ip: '127.0.0.1', port: 8080, state: 1 },
    ]);
    expect(parseNetSockets(UDP, 'AF_INET', 17)).toEqual([
      { inode: 7001n, family: 'AF_INET', protocol: 17, ip: '127.0.0.53', port: 53, state: 7 },
      { inode: 7002n, family: 'AF_INET', protocol: 17, ip: '127.0.0.1', port: 0xa1b2, state: 1 },
    ]);
  });

  it('decodes IPv6 tables into inet_ntop text', () => {
    expect(parseNetSockets(TCP6, 'AF_INET6', 6).map(({ ip, port, inode }) => ({ ip, port, inode }))).toEqual([
      { ip: '::1', port: 8080, inode: 6001n },
      { ip: '::ffff:127.0.0.1', port: 80, inode: 6002n },
      { ip: 'fd00::2', port: 443, inode: 6003n },
      { ip: '::', port: 22, inode: 6004n },
    ]);
  });

  it('refuses addresses of the wrong family width', () => {
    expect(parseNetSockets(TCP6, 'AF_INET', 6)).toEqual([]);
    expect(parseNetSockets(TCP, 'AF_INET6', 6)).toEqual([]);
  });

  it('reads socket inodes from fd targets', () => {
    expect(parseSocketTarget('socket:[4242]')).toBe(4242n);
    expect(parseSocketTarget('socket:[18446744073709551615]')).toBe(18446744073709551615n);
    expect(parseSocketTarget('pipe:[4242]')).toBeUndefined();
    expect(parseSocketTarget('/tmp/socket:[1]')).toBeUndefined();
    expect(parseSocketTarget('socket:[]')).toBeUndefined();
  });
});

describe('parseMaps', () => {
  it('keeps absolute paths, with their spaces, without (deleted), distinct and sorted', () => {
    expect(parseMaps(MAPS)).toEqual([
      '/memfd:shm',
      '/opt/My App/data  file.bin',
      '/usr/bin/app',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      '/var/lib/app/old.so',
    ]);
  });

  it('skips the Key: value lines of smaps', () => {
    expect(parseMaps(SMAPS)).toEqual(['/opt/smaps only', '/usr/lib/x86_64-linux-gnu/libm.so.6']);
  });
});

describe('parseCmdline and parseBootTime', () => {
  it('splits NUL-separated arguments and drops one terminating NUL', () => {
    expect(parseCmdline('/usr/bin/tmux\0new\0-s\0main\0')).toEqual(['/usr/bin/tmux', 'new', '-s', 'main']);
    expect(parseCmdline('sh\0-c\0\0')).toEqual(['sh', '-c', '']);
    expect(parseCmdline('nginx: worker process')).toEqual(['nginx: worker process']);
    expect(parseCmdline('')).toEqual([]);
  });

  it('reads btime from /proc/stat', () => {
    const text = 'cpu  1 2 3 4\nintr 5 6\nctxt 17\nbtime 1796155043\nprocesses 29000\n';
    expect(parseBootTime(text)).toBe(1796155043);
    expect(parseBootTime('cpu 1 2\n')).toBeUndefined();
    expect(parseBootTime('btime soon\n')).toBeUndefined();
  });
});

/** A system error as node:fs raises it. */
function systemError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code, path });
}

/** node:fs/promises, except that paths matching `refuse` fail with `code`. */
function refusingFileSystem(refuse: (path: string) => string | undefined): ProcFileSystem {
  const guarded =
    <T>(read: (path: string) => Promise<T>) =>
    async (path: string): Promise<T> => {
      const code = refuse(path);
      if (code !== undefined) throw systemError(code, path);
      return read(path);
    };
  return {
    readFile: guarded((path) => fsp.readFile(path)),
    readdir: guarded((path) => fsp.readdir(path)),
    readlink: guarded((path) => fsp.readlink(path)),
  };
}

describe('ProcReader on a fake procfs tree', () => {
  let dir: string;
  let root: string;
  let openedFile: string;

  beforeAll(async () => {
    dir = realpathSync(await fsp.mkdtemp(join(tmpdir(), 'ad-procfs-')));
    root = join(dir, 'proc');
    openedFile = join(dir, 'data file.log');
    await fsp.writeFile(openedFile, 'x');
    await fsp.writeFile(join(dir, 'app'), '');
    const pid = async (id: number, files: Record<string, string>, links: Record<string, string>) => {
      const base = join(root, String(id));
      await fsp.mkdir(join(base, 'fd'), { recursive: true });
      await fsp.mkdir(join(base, 'net'), { recursive: true });
      for (const [name, text] of Object.entries(files)) await fsp.writeFile(join(base, name), text);
      for (const [name, target] of Object.entries(links)) await fsp.symlink(target, join(base, name));
    };
    await pid(
      100,
      {
        stat: `100 (app (main)) S ${STAT_TAIL}`,
        status: STATUS,
        cmdline: `${join(dir, 'app')}\0--listen\0:8080\0`,
        cgroup: '0::/system.slice/app.service\n',
        maps: MAPS,
        smaps: SMAPS,
        'net/tcp': TCP,
        'net/tcp6': TCP6,
        'net/udp': UDP,
        'net/udp6': UDP.split('\n')[0]!,
      },
      {
        exe: join(dir, 'app'),
        'fd/0': openedFile,
        'fd/1': 'socket:[4242]',
        'fd/2': 'pipe:[77]',
        'fd/10': 'anon_inode:[eventfd]',
        'fd/3': 'socket:[7001]',
      },
    );
    await pid(200, { stat: `200 (worker) R ${STAT_TAIL}`, cmdline: '' }, { exe: '/usr/bin/gone (deleted)' });
    await pid(300, { stat: 'not a stat line', status: 'Name:\tx\n' }, {});
    // Entries of /proc that are not processes.
    await fsp.mkdir(join(root, 'sys'));
    await fsp.symlink('100', join(root, 'self'));
    await fsp.writeFile(join(root, '0123'), '');
    await fsp.writeFile(join(root, 'stat'), 'cpu  1 2 3\nbtime 1700000000\nprocesses 5\n');
  });

  afterAll(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('lists numeric entries only, sorted', async () => {
    expect(await new ProcReader({ root }).listPids()).toEqual([100, 200, 300]);
  });

  it('reads stat, boot time, exe, cmdline, cgroup and status', async () => {
    const reader = new ProcReader({ root });
    expect(await reader.readStat(100)).toMatchObject({
      pid: 100,
      ppid: 1,
      comm: 'app (main)',
      kernelThread: false,
    });
    expect(await reader.readBootTime()).toBe(1700000000);
    expect(await reader.readExe(100)).toEqual({ path: join(dir, 'app'), deleted: false });
    expect(await reader.readExe(200)).toEqual({ path: '/usr/bin/gone', deleted: true });
    expect(await reader.readCmdline(100)).toEqual([join(dir, 'app'), '--listen', ':8080']);
    expect(await reader.readCmdline(200)).toEqual([]);
    expect(await reader.readCgroup(100)).toBe('0::/system.slice/app.service\n');
    expect(await reader.readStatus(100)).toMatchObject({ uid: 1000, euid: 1001, capEff: 0x3000n, tgid: 812 });
    expect(reader.skipped).toEqual({ vanished: 0, permission: 0, malformed: 0 });
  });

  it('reads fd targets in fd order: paths, sockets, pipes, anonymous inodes', async () => {
    const reader = new ProcReader({ root });
    expect(await reader.readFdTargets(100)).toEqual({
      targets: [openedFile, 'socket:[4242]', 'pipe:[77]', 'socket:[7001]', 'anon_inode:[eventfd]'],
      total: 5,
    });
    expect(await reader.readFdTargets(200)).toEqual({ targets: [], total: 0 });
    expect(reader.skipped.vanished).toBe(0);
  });

  it('reads mapped files without the executable, capped', async () => {
    const reader = new ProcReader({ root });
    expect(await reader.readMappedFiles(100, '/usr/bin/app')).toEqual([
      '/memfd:shm',
      '/opt/My App/data  file.bin',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      '/var/lib/app/old.so',
    ]);
    expect(await reader.readMappedFiles(100, undefined, 2)).toEqual([
      '/memfd:shm',
      '/opt/My App/data  file.bin',
    ]);
    expect(await reader.readMappedFiles(100, undefined, 0)).toEqual([]);
  });

  it('keeps listening TCP and unconnected UDP sockets, by inode', async () => {
    const reader = new ProcReader({ root });
    const sockets = await reader.readSockets(100);
    expect([...sockets.keys()].sort((a, b) => Number(a - b))).toEqual([
      184n,
      4242n,
      6001n,
      6002n,
      6003n,
      6004n,
      7001n,
    ]);
    expect(sockets.get(4242n)).toEqual({
      inode: 4242n,
      family: 'AF_INET',
      protocol: 6,
      ip: '127.0.0.1',
      port: 8080,
      state: 10,
    });
    expect(sockets.get(7001n)).toMatchObject({ protocol: 17, ip: '127.0.0.53', port: 53, state: 7 });
    expect(sockets.get(6002n)).toMatchObject({ family: 'AF_INET6', ip: '::ffff:127.0.0.1', port: 80 });
    // The process's own sockets are the ones its fds point at.
    const { targets } = await reader.readFdTargets(100);
    const own = targets.map(parseSocketTarget).filter((inode) => inode !== undefined && sockets.has(inode));
    expect(own).toEqual([4242n, 7001n]);
  });

  it('counts a process that vanished between listPids and readStat', async () => {
    const reader = new ProcReader({ root });
    const base = join(root, '400');
    await fsp.mkdir(base);
    await fsp.writeFile(join(base, 'stat'), `400 (short) S ${STAT_TAIL}`);
    expect(await reader.listPids()).toContain(400);
    await fsp.rm(base, { recursive: true });
    expect(await reader.readStat(400)).toBeUndefined();
    expect(await reader.readExe(400)).toBeUndefined();
    expect(await reader.readFdTargets(400)).toEqual({ targets: [], total: 0 });
    expect(await reader.readMappedFiles(400)).toEqual([]);
    expect((await reader.readSockets(400)).size).toBe(0);
    // One count per call: the four socket tables of readSockets count once.
    expect(reader.skipped).toEqual({ vanished: 5, permission: 0, malformed: 0 });
  });

  it('counts malformed entries', async () => {
    const reader = new ProcReader({ root });
    expect(await reader.readStat(300)).toBeUndefined();
    expect(await reader.readStatus(300)).toBeUndefined();
    expect(reader.skipped).toEqual({ vanished: 0, permission: 0, malformed: 2 });
  });

  it('counts permission errors, and reads smaps when maps is refused', async () => {
    const refused = (path: string) =>
      path.endsWith('/100/status') || path.endsWith('/100/maps') || path.endsWith('/100/fd/1')
        ? 'EACCES'
        : undefined;
    const reader = new ProcReader({ root, fileSystem: refusingFileSystem(refused) });
    expect(await reader.readStatus(100)).toBeUndefined();
    expect(reader.skipped).toEqual({ vanished: 0, permission: 1, malformed: 0 });
    expect(await reader.readMappedFiles(100)).toEqual([
      '/opt/smaps only',
      '/usr/lib/x86_64-linux-gnu/libm.so.6',
    ]);
    const { targets, total } = await reader.readFdTargets(100);
    expect(total).toBe(5);
    expect(targets).not.toContain('socket:[4242]');
    expect(reader.skipped).toEqual({ vanished: 0, permission: 2, malformed: 0 });
  });

  it('maps EPERM and ESRCH, other system errors and missing IPv6 tables', async () => {
    const codes: Record<string, string> = {
      stat: 'ESRCH',
      cgroup: 'EPERM',
      cmdline: 'EIO',
      tcp6: 'ENOENT',
      udp6: 'ENOENT',
    };
    const reader = new ProcReader({ root, fileSystem: refusingFileSystem((path) => codes[basename(path)]) });
    expect(await reader.readStat(100)).toBeUndefined();
    expect(await reader.readCgroup(100)).toBeUndefined();
    expect(await reader.readCmdline(100)).toBeUndefined();
    // A kernel without IPv6 has no tcp6/udp6: the IPv4 sockets are still read, nothing is counted for it.
    expect([...(await reader.readSockets(100)).keys()]).toEqual([184n, 4242n, 7001n]);
    expect(reader.skipped).toEqual({ vanished: 1, permission: 1, malformed: 1 });
  });

  it('rethrows errors that are not system errors', async () => {
    const broken: ProcFileSystem = {
      readFile: () => Promise.reject(new TypeError('bug')),
      readdir: () => Promise.reject(new TypeError('bug')),
      readlink: () => Promise.reject(new TypeError('bug')),
    };
    await expect(new ProcReader({ root, fileSystem: broken }).readStat(100)).rejects.toThrow(TypeError);
  });

  it('refuses invalid pids and maxima', async () => {
    const reader = new ProcReader({ root });
    await expect(reader.readStat(0)).rejects.toThrow(InvalidArgumentError);
    await expect(reader.readExe(1.5)).rejects.toThrow(InvalidArgumentError);
    await expect(reader.readFdTargets(100, -1)).rejects.toThrow(InvalidArgumentError);
    await expect(reader.readMappedFiles(100, undefined, Number.NaN)).rejects.toThrow(InvalidArgumentError);
  });

  it('samples file descriptors above the maximum', async () => {
    const base = join(root, '500', 'fd');
    await fsp.mkdir(base, { recursive: true });
    for (let fd = 0; fd < 40; fd++) await fsp.symlink(join(dir, `file-${fd}`), join(base, String(fd)));
    const reader = new ProcReader({ root, random: seededRandom(7) });
    const { targets, total } = await reader.readFdTargets(500, 16);
    expect(total).toBe(40);
    expect(new Set(targets).size).toBe(16);
    // In fd order.
    const fds = targets.map((target) => Number(target.slice(target.lastIndexOf('-') + 1)));
    expect(fds).toEqual([...fds].sort((a, b) => a - b));
  });
});

/** An in-memory /proc/1/fd with `total` fds pointing at distinct targets. */
function fdFileSystem(total: number): ProcFileSystem {
  return {
    readFile: (path) => Promise.reject(systemError('ENOENT', path)),
    readdir: async () => Array.from({ length: total }, (_, fd) => String(fd)),
    readlink: async (path) => `target-${basename(path)}`,
  };
}

describe('fd sampling', () => {
  it('keeps exactly max distinct targets when there are more', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 60 })
          .chain((total) => fc.tuple(fc.constant(total), fc.nat({ max: total - 1 }))),
        // Including 1, which a careless `random` could return.
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1 }),
        async ([total, max], draws) => {
          let i = 0;
          const random = () => draws[i++ % draws.length]!;
          const reader = new ProcReader({ root: '/proc', fileSystem: fdFileSystem(total), random });
          const { targets, total: listed } = await reader.readFdTargets(1, max);
          expect(listed).toBe(total);
          expect(targets).toHaveLength(max);
          expect(new Set(targets).size).toBe(max);
          for (const target of targets) expect(Number(target.slice('target-'.length))).toBeLessThan(total);
        },
      ),
    );
  });

  it('keeps every fd when there are at most max', async () => {
    const reader = new ProcReader({ fileSystem: fdFileSystem(8) });
    expect((await reader.readFdTargets(1, 8)).targets).toEqual(
      Array.from({ length: 8 }, (_, fd) => `target-${fd}`),
    );
  });

  it('gives every fd the same chance', async () => {
    const reader = new ProcReader({ fileSystem: fdFileSystem(4), random: seededRandom(42) });
    const seen = new Map<string, number>();
    for (let round = 0; round < 4000; round++) {
      const [target] = (await reader.readFdTargets(1, 1)).targets;
      seen.set(target!, (seen.get(target!) ?? 0) + 1);
    }
    expect(seen.size).toBe(4);
    for (const count of seen.values()) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});

const hexByte = (byte: number) => byte.toString(16).padStart(2, '0').toUpperCase();

/** The /proc/net text of network-order `bytes`: each 32-bit word printed from little-endian memory. */
function procHex(bytes: readonly number[]): string {
  let text = '';
  for (let word = 0; word < bytes.length; word += 4) {
    for (let i = 3; i >= 0; i--) text += hexByte(bytes[word + i]!);
  }
  return text;
}

function netRow(address: string, port: number, state: number, inode: bigint): string {
  const zero = '0'.repeat(address.length);
  return `   0: ${address}:${port.toString(16).padStart(4, '0').toUpperCase()} ${zero}:0000 ${hexByte(state)} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0`;
}

// Characters the formats give meaning to, so that arbitrary text often looks almost right.
const structural = fc.string({
  unit: fc.constantFrom(
    '(',
    ')',
    ' ',
    '\t',
    '\n',
    '\0',
    ':',
    '/',
    '-',
    '[',
    ']',
    '0',
    '1',
    '7',
    'A',
    'f',
    'x',
  ),
});

/** Truncations of a real input, real inputs with junk inside, and arbitrary text. */
function inputs(...samples: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'grapheme' }),
    structural,
    fc
      .constantFrom(...samples)
      .chain((text) => fc.nat({ max: text.length }).map((end) => text.slice(0, end))),
    fc
      .tuple(fc.constantFrom(...samples), fc.nat(), fc.oneof(fc.string(), structural))
      .map(([text, at, junk]) => text.slice(0, at % text.length) + junk + text.slice(at % text.length)),
  );
}

describe('parser properties', () => {
  it('parseStat never throws and returns well-typed fields', () => {
    fc.assert(
      fc.property(inputs(TMUX_STAT, SD_PAM_STAT, KTHREADD_STAT), (text) => {
        const stat = parseStat(text);
        if (stat === undefined) return;
        expect(Number.isSafeInteger(stat.pid) && Number.isSafeInteger(stat.ppid)).toBe(true);
        expect(Number.isSafeInteger(stat.startTicks)).toBe(true);
        expect(stat.state).toHaveLength(1);
        expect(typeof stat.comm).toBe('string');
        expect(typeof stat.kernelThread).toBe('boolean');
      }),
    );
  });

  it('parseStat gives back any comm', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }), fc.nat(), (comm, pid) => {
        expect(parseStat(`${pid} (${comm}) S ${STAT_TAIL}`)).toMatchObject({
          pid,
          comm,
          ppid: 1,
          state: 'S',
        });
      }),
    );
  });

  it('parseStatus never throws and returns well-typed fields', () => {
    fc.assert(
      fc.property(inputs(STATUS), (text) => {
        const status = parseStatus(text);
        if (status === undefined) return;
        for (const id of [
          status.uid,
          status.gid,
          status.euid,
          status.egid,
          status.fsuid,
          status.fsgid,
          status.tgid,
        ]) {
          expect(Number.isSafeInteger(id) && id >= 0).toBe(true);
        }
        expect(typeof status.capEff === 'bigint' && typeof status.capPrm === 'bigint').toBe(true);
      }),
    );
  });

  it('parseNetSockets never throws and returns well-typed sockets', () => {
    fc.assert(
      fc.property(
        inputs(TCP, TCP6, UDP),
        fc.constantFrom<'AF_INET' | 'AF_INET6'>('AF_INET', 'AF_INET6'),
        (text, family) => {
          for (const socket of parseNetSockets(text, family, 6)) {
            expect(socket.family).toBe(family);
            expect(typeof socket.inode).toBe('bigint');
            expect(Number.isInteger(socket.port) && socket.port >= 0 && socket.port <= 0xffff).toBe(true);
            expect(Number.isInteger(socket.state) && socket.state >= 0 && socket.state <= 0xff).toBe(true);
            expect(
              new SocketAddress({ address: socket.ip, family: family === 'AF_INET' ? 'ipv4' : 'ipv6' })
                .address,
            ).toBe(socket.ip);
          }
        },
      ),
    );
  });

  it('parseNetSockets writes addresses as Node does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
          // Mostly zero addresses reach the `::`, mapped and compatible forms.
          fc.array(fc.constantFrom(0, 0, 0, 1, 0xff), { minLength: 16, maxLength: 16 }),
          fc
            .uint8Array({ minLength: 4, maxLength: 4 })
            .map((v4) => [...new Array(10).fill(0), 0xff, 0xff, ...v4]),
        ),
        fc.integer({ min: 0, max: 0xffff }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (raw, port, inode) => {
          const bytes = [...raw];
          const groups = Array.from({ length: 8 }, (_, i) =>
            ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16),
          );
          const expected6 = new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
          const [socket6] = parseNetSockets(netRow(procHex(bytes), port, 10, inode), 'AF_INET6', 6);
          expect(socket6).toEqual({ inode, family: 'AF_INET6', protocol: 6, ip: expected6, port, state: 10 });
          const v4 = bytes.slice(0, 4);
          const [socket4] = parseNetSockets(netRow(procHex(v4), port, 7, inode), 'AF_INET', 17);
          expect(socket4?.ip).toBe(v4.join('.'));
        },
      ),
    );
  });

  it('parseMaps never throws and returns distinct sorted absolute paths', () => {
    fc.assert(
      fc.property(inputs(MAPS, SMAPS), (text) => {
        const paths = parseMaps(text);
        expect(paths).toEqual([...new Set(paths)].sort());
        for (const path of paths) {
          expect(path.startsWith('/')).toBe(true);
          expect(path.endsWith(' (deleted)')).toBe(false);
        }
      }),
    );
  });

  it('parseMaps gives back any path', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), structural), (text) => {
        const name = text.replaceAll('\n', '');
        const path = `/${name}`;
        expect(parseMaps(`7f00-7f01 r--p 00000000 fe:00 12     ${path} (deleted)\n`)).toEqual([path]);
      }),
    );
  });

  it('parseCmdline never throws and gives back the arguments', () => {
    fc.assert(
      fc.property(inputs('/usr/bin/tmux\0new\0-s\0main\0'), (text) => {
        expect(parseCmdline(text).every((arg) => typeof arg === 'string')).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.string().map((s) => s.replaceAll('\0', '')),
          { minLength: 1 },
        ),
        (args) => {
          expect(parseCmdline(`${args.join('\0')}\0`)).toEqual(args);
        },
      ),
    );
  });

  it('parseBootTime never throws', () => {
    fc.assert(
      fc.property(inputs('cpu  1 2 3\nbtime 1796155043\nprocesses 5\n'), (text) => {
        const btime = parseBootTime(text);
        expect(btime === undefined || Number.isSafeInteger(btime)).toBe(true);
      }),
    );
  });
});

const hasProc = existsSync('/proc/self/stat');

describe.skipIf(!hasProc)(
  hasProc
    ? 'ProcReader on the real /proc'
    : 'ProcReader on the real /proc (skipped: /proc/self/stat does not exist)',
  () => {
    const reader = new ProcReader();

    it('lists this process', async () => {
      const pids = await reader.listPids();
      expect(pids).toContain(process.pid);
      expect(pids).toEqual([...pids].sort((a, b) => a - b));
    });

    it('reads this process stat, boot time, exe, cmdline, cgroup and status', async () => {
      const stat = await reader.readStat(process.pid);
      expect(stat).toMatchObject({ pid: process.pid, ppid: process.ppid, kernelThread: false });
      expect(stat?.comm.length).toBeGreaterThan(0);
      // Start time = boot time + start ticks at USER_HZ = 100, which Linux uses on every architecture.
      const bootTime = await reader.readBootTime();
      const started = (bootTime ?? 0) + (stat?.startTicks ?? 0) / 100;
      expect(Math.abs(started - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
      expect(await reader.readExe(process.pid)).toEqual({
        path: realpathSync(process.execPath),
        deleted: false,
      });
      const cmdline = (await reader.readCmdline(process.pid)) ?? [];
      expect(basename(cmdline[0] ?? '')).toBe(basename(process.argv0));
      expect(cmdline).toContain(process.argv[1]);
      expect(await reader.readCgroup(process.pid)).toBe(readFileSync(`/proc/${process.pid}/cgroup`, 'utf8'));
      expect(await reader.readStatus(process.pid)).toMatchObject({
        uid: process.getuid?.(),
        euid: process.geteuid?.(),
        gid: process.getgid?.(),
        egid: process.getegid?.(),
        tgid: process.pid,
      });
    });

    it('sees an open file among the fd targets', async () => {
      const dir = realpathSync(await fsp.mkdtemp(join(tmpdir(), 'ad-procfs-real-')));
      const path = join(dir, 'open me.txt');
      const handle = await fsp.open(path, 'w');
      try {
        const { targets, total } = await reader.readFdTargets(process.pid);
        expect(targets).toContain(path);
        expect(total).toBeGreaterThanOrEqual(targets.length);
      } finally {
        await handle.close();
        await fsp.rm(dir, { recursive: true, force: true });
      }
    });

    it('finds a listening TCP server and a bound UDP socket, matched by fd inode', async () => {
      const server: Server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const udp: UdpSocket = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      try {
        const tcpPort = (server.address() as { port: number }).port;
        const udpPort = udp.address().port;
        const sockets = await reader.readSockets(process.pid);
        const inodes = new Set((await reader.readFdTargets(process.pid)).targets.map(parseSocketTarget));
        const tcp = [...sockets.values()].find((s) => s.protocol === 6 && s.port === tcpPort);
        expect(tcp).toMatchObject({
          family: 'AF_INET',
          protocol: 6,
          state: 10,
          ip: '127.0.0.1',
          port: tcpPort,
        });
        expect(inodes.has(tcp!.inode)).toBe(true);
        const bound = [...sockets.values()].find((s) => s.protocol === 17 && s.port === udpPort);
        expect(bound).toMatchObject({ family: 'AF_INET', state: 7, ip: '127.0.0.1' });
        expect(inodes.has(bound!.inode)).toBe(true);
      } finally {
        udp.close();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('finds a listening TCP server on ::1', async (ctx) => {
      const server: Server = createServer();
      const listening = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(0, '::1', () => resolve(true));
      });
      if (!listening) ctx.skip('::1 is not available on this machine');
      try {
        const port = (server.address() as { port: number }).port;
        const found = [...(await reader.readSockets(process.pid)).values()].find((s) => s.port === port);
        expect(found).toMatchObject({ family: 'AF_INET6', protocol: 6, state: 10, ip: '::1' });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('lists mapped libraries without the executable', async () => {
      const mapped = await reader.readMappedFiles(process.pid, process.execPath);
      expect(mapped.some((path) => /\.so(\.|$)|\/node_modules\//.test(path))).toBe(true);
      expect(mapped).not.toContain(process.execPath);
      expect(mapped.length).toBeLessThanOrEqual(128);
      expect(mapped).toEqual([...new Set(mapped)].sort());
    });
  },
);
