import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, ProcfsError } from '../../errors.js';
import { parseNetSockets } from './net-sockets.js';
import {
  type ProcStatus,
  parseBootTime,
  parseCmdline,
  parseMaps,
  parseStat,
  parseStatus,
  stripDeleted,
} from './proc-parsers.js';
import type { ProcSocket, ProcStat } from './proc-types.js';

/** The file-system calls {@link ProcReader} makes; node:fs/promises by default. */
export interface ProcFileSystem {
  readFile(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
}

/** Options of {@link ProcReader}. */
export interface ProcReaderOptions {
  /** Mount point of procfs. @default '/proc' */
  root?: string;
  /** The file system to read through. @default node:fs/promises */
  fileSystem?: ProcFileSystem;
  /** Uniform random numbers in [0, 1), used to sample file descriptors. @default Math.random */
  random?: () => number;
}

/**
 * Why a read returned nothing or less than asked:
 * - `vanished`: the process (or one of its fds) went away mid-read (`ENOENT`, `ESRCH`);
 * - `permission`: the kernel refused (`EACCES`, `EPERM`);
 * - `malformed`: the entry could not be read otherwise, or its content does not parse.
 */
export type ProcSkipReason = 'vanished' | 'permission' | 'malformed';

/** The executable of a process. */
export interface ProcExe {
  /** Path of the executable, without the kernel's ` (deleted)` suffix. */
  readonly path: string;
  /** Whether the file was unlinked since the exec (the link ended with ` (deleted)`). */
  readonly deleted: boolean;
}

/** The targets of a process's file descriptors. */
export interface ProcFdTargets {
  /**
   * Link targets, in fd order: paths, `socket:[<inode>]`, `pipe:[<inode>]`, `anon_inode:<kind>`…
   * At most the `max` asked for; fds closed while being read are missing.
   */
  readonly targets: string[];
  /** How many fds the process had when listed. */
  readonly total: number;
}

type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: ProcSkipReason };

const NET_TABLES = [
  { file: 'tcp', family: 'AF_INET', protocol: 6 },
  { file: 'tcp6', family: 'AF_INET6', protocol: 6 },
  { file: 'udp', family: 'AF_INET', protocol: 17 },
  { file: 'udp6', family: 'AF_INET6', protocol: 17 },
] as const;
const TCP = 6;
const TCP_LISTEN = 0x0a;
const UDP_UNCONNECTED = 0x07;
const PID_NAME = /^[1-9]\d*$/;
const FD_NAME = /^(0|[1-9]\d*)$/;
const utf8 = new TextDecoder();

const nodeFileSystem: ProcFileSystem = {
  readFile: (path) => readFile(path),
  readdir: (path) => readdir(path),
  readlink: (path) => readlink(path),
};

/** Maps a system error to why the read is skipped; anything else is a bug and is rethrown. */
function skipReason(error: unknown): ProcSkipReason {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') throw error;
  if (code === 'ENOENT' || code === 'ESRCH') return 'vanished';
  if (code === 'EACCES' || code === 'EPERM') return 'permission';
  return 'malformed';
}

function decode(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

async function settle<T>(read: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, reason: skipReason(error) };
  }
}

/** `count` items of `items` chosen uniformly (a partial Fisher–Yates shuffle). */
function sample<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = items.slice();
  for (let i = 0; i < count; i++) {
    const left = pool.length - i;
    // Clamped so that a `random` returning exactly 1 (or a negative) cannot pick outside the pool.
    const j = i + Math.min(left - 1, Math.max(0, Math.floor(random() * left)));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

function checkPid(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new InvalidArgumentError(`pid must be a positive integer, got ${pid}`);
  }
}

function checkMax(max: number): void {
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new InvalidArgumentError(`max must be a non-negative integer, got ${max}`);
  }
}

/**
 * Reads what a procfs tree says about running processes, without extra software.
 *
 * Processes come and go while they are read: every method turns the expected failures (the
 * process vanished, permission refused, unreadable or malformed entries) into `undefined` or an
 * empty result and counts them in {@link ProcReader.skipped}; none of them throws. Only invalid
 * arguments ({@link InvalidArgumentError}) and errors that are not system errors are thrown.
 *
 * @example
 * ```ts
 * const reader = new ProcReader();
 * for (const pid of await reader.listPids()) {
 *   const stat = await reader.readStat(pid);
 *   if (stat !== undefined && !stat.kernelThread) console.log(pid, stat.comm, await reader.readExe(pid));
 * }
 * ```
 */
export class ProcReader {
  readonly #root: string;
  readonly #fs: ProcFileSystem;
  readonly #random: () => number;
  readonly #skipped: Record<ProcSkipReason, number> = { vanished: 0, permission: 0, malformed: 0 };

  constructor(options: ProcReaderOptions = {}) {
    this.#root = options.root ?? '/proc';
    this.#fs = options.fileSystem ?? nodeFileSystem;
    this.#random = options.random ?? Math.random;
  }

  /** How many method calls lost data, by reason (each call counts a reason at most once). */
  get skipped(): Readonly<Record<ProcSkipReason, number>> {
    return { ...this.#skipped };
  }

  /** The process ids (numeric entries of the root), ascending. */
  async listPids(): Promise<number[]> {
    let names: string[];
    try {
      names = await this.#fs.readdir(this.#root);
    } catch (error) {
      // Not a race on one process: procfs itself is missing or closed to us.
      throw new ProcfsError(`cannot list processes in ${this.#root}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return names
      .filter((name) => PID_NAME.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** `/proc/<pid>/stat`. */
  async readStat(pid: number): Promise<ProcStat | undefined> {
    return this.#parsed(await this.#text(pid, 'stat'), parseStat);
  }

  /** The boot time, in seconds since the Unix epoch (`btime` of `/proc/stat`). */
  async readBootTime(): Promise<number | undefined> {
    const text = await this.#settled(async () => decode(await this.#fs.readFile(join(this.#root, 'stat'))));
    return this.#parsed(text, parseBootTime);
  }

  /**
   * The executable (`/proc/<pid>/exe`). Kernel threads and zombies have none: `undefined`, counted
   * as `vanished`. A file whose real name ends with ` (deleted)` cannot be told from an unlinked one.
   */
  async readExe(pid: number): Promise<ProcExe | undefined> {
    checkPid(pid);
    const link = await this.#settled(() => this.#fs.readlink(join(this.#root, String(pid), 'exe')));
    return link === undefined ? undefined : stripDeleted(link);
  }

  /** The arguments (`/proc/<pid>/cmdline`), `[]` for kernel threads and zombies. */
  async readCmdline(pid: number): Promise<string[] | undefined> {
    const text = await this.#text(pid, 'cmdline');
    return text === undefined ? undefined : parseCmdline(text);
  }

  /** The raw text of `/proc/<pid>/cgroup`. */
  async readCgroup(pid: number): Promise<string | undefined> {
    return this.#text(pid, 'cgroup');
  }

  /** Identities, capabilities and thread group (`/proc/<pid>/status`). */
  async readStatus(pid: number): Promise<ProcStatus | undefined> {
    return this.#parsed(await this.#text(pid, 'status'), parseStatus);
  }

  /**
   * The targets of the process's file descriptors (`/proc/<pid>/fd/*`). When there are more than
   * `max`, a uniform random sample of `max` of them is read.
   */
  async readFdTargets(pid: number, max = 1024): Promise<ProcFdTargets> {
    checkPid(pid);
    checkMax(max);
    const dir = join(this.#root, String(pid), 'fd');
    const listed = await settle(() => this.#fs.readdir(dir));
    if (!listed.ok) {
      this.#skip(listed.reason);
      return { targets: [], total: 0 };
    }
    const fds = listed.value.filter((name) => FD_NAME.test(name));
    const chosen = (fds.length > max ? sample(fds, max, this.#random) : fds).sort(
      (a, b) => Number(a) - Number(b),
    );
    const links = await Promise.all(chosen.map((fd) => settle(() => this.#fs.readlink(join(dir, fd)))));
    const targets: string[] = [];
    const lost = new Set<ProcSkipReason>();
    for (const link of links) {
      if (link.ok) targets.push(link.value);
      else lost.add(link.reason);
    }
    for (const reason of lost) this.#skip(reason);
    return { targets, total: fds.length };
  }

  /**
   * The files the process maps (`/proc/<pid>/maps`, else `smaps` when `maps` cannot be read):
   * absolute paths, distinct, sorted, without `exclude` (the executable), the first `max` of them.
   */
  async readMappedFiles(pid: number, exclude?: string, max = 128): Promise<string[]> {
    checkPid(pid);
    checkMax(max);
    const dir = join(this.#root, String(pid));
    let read = await settle(() => this.#fs.readFile(join(dir, 'maps')));
    // A vanished process has no smaps either.
    if (!read.ok && read.reason !== 'vanished') {
      read = await settle(() => this.#fs.readFile(join(dir, 'smaps')));
    }
    if (!read.ok) {
      this.#skip(read.reason);
      return [];
    }
    return parseMaps(decode(read.value))
      .filter((path) => path !== exclude)
      .slice(0, max);
  }

  /**
   * The listening TCP sockets (state LISTEN) and unconnected UDP sockets (state 7, bound to a local
   * address) of the process's network namespace, by inode (`/proc/<pid>/net/{tcp,tcp6,udp,udp6}`).
   * The tables hold every socket of the namespace: match the inodes against the process's fd
   * targets `socket:[<inode>]` to keep its own. See {@link parseNetSockets} for the address form.
   */
  async readSockets(pid: number): Promise<Map<bigint, ProcSocket>> {
    checkPid(pid);
    const dir = join(this.#root, String(pid), 'net');
    const reads = await Promise.all(
      NET_TABLES.map((table) => settle(() => this.#fs.readFile(join(dir, table.file)))),
    );
    const sockets = new Map<bigint, ProcSocket>();
    const lost = new Set<ProcSkipReason>();
    NET_TABLES.forEach((table, i) => {
      const read = reads[i]!;
      if (!read.ok) {
        // Without IPv6 in the kernel there are no tcp6/udp6 tables; a vanished process shows in tcp/udp.
        if (!(table.family === 'AF_INET6' && read.reason === 'vanished')) lost.add(read.reason);
        return;
      }
      const kept = table.protocol === TCP ? TCP_LISTEN : UDP_UNCONNECTED;
      for (const socket of parseNetSockets(decode(read.value), table.family, table.protocol)) {
        if (socket.state === kept) sockets.set(socket.inode, socket);
      }
    });
    for (const reason of lost) this.#skip(reason);
    return sockets;
  }

  #skip(reason: ProcSkipReason): void {
    this.#skipped[reason]++;
  }

  /** The result of `read`, or `undefined` (counted) when it fails with a system error. */
  async #settled<T>(read: () => Promise<T>): Promise<T | undefined> {
    const outcome = await settle(read);
    if (outcome.ok) return outcome.value;
    this.#skip(outcome.reason);
    return undefined;
  }

  /** The text of `/proc/<pid>/<file>`. */
  async #text(pid: number, file: string): Promise<string | undefined> {
    checkPid(pid);
    return this.#settled(async () => decode(await this.#fs.readFile(join(this.#root, String(pid), file))));
  }

  /** `parse(text)`, counting a parse failure as `malformed`. */
  #parsed<T>(text: string | undefined, parse: (text: string) => T | undefined): T | undefined {
    if (text === undefined) return undefined;
    const value = parse(text);
    if (value === undefined) this.#skip('malformed');
    return value;
  }
}
