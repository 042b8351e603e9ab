import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClock } from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityDump } from '../../src/dump/activity-dump.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { ActivityEvent } from '../../src/events/activity-event.js';
import { ProcfsEventSource } from '../../src/events/procfs/procfs-event-source.js';
import { ActivityDumpManager } from '../../src/manager/activity-dump-manager.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { clockFromFakeTimers } from '../../src/testing/fake-clock.js';
import type { FileNode } from '../../src/tree/file-node.js';
import type { ProcessNode } from '../../src/tree/process-node.js';

const HAS_PROC = existsSync('/proc/self/stat');

/**
 * The workload: a shell that keeps a file open, runs `sleep` on another file, runs node to
 * listen on 127.0.0.1 (writing the port it got), then exits. Each step lasts long enough for
 * polls every 50 ms to see it.
 */
const SCRIPT = `
exec 3< "$1/config.txt"
sleep 1 < "$1/data.txt"
"$2" -e "
const s = require('node:net').createServer().listen(0, '127.0.0.1', () => {
  require('node:fs').writeFileSync(process.argv[1], String(s.address().port));
  setTimeout(() => process.exit(0), 1000);
});" "$1/port"
exit 0
`;

function filesOf(node: ProcessNode): string[] {
  const walk = (f: FileNode): string[] => [
    ...(f.file === undefined ? [] : [f.file.path]),
    ...f.children.flatMap(walk),
  ];
  return node.files.flatMap(walk);
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!HAS_PROC)(
  `ProcfsEventSource on real processes${HAS_PROC ? '' : ' (no /proc: Linux only)'}`,
  () => {
    it('records the lineage, files and bind of a real shell workload, and sees its processes exit', async () => {
      const dir = await realpath(await mkdtemp(join(tmpdir(), 'ad-source-')));
      dirs.push(dir);
      await writeFile(join(dir, 'config.txt'), 'setting=1\n');
      await writeFile(join(dir, 'data.txt'), 'payload\n');
      await writeFile(join(dir, 'workload.sh'), SCRIPT);
      const storage = new MemoryStorage();
      const manager = new ActivityDumpManager({
        storage,
        localStorage: { formats: ['msgpack'] },
        traceHostProcesses: true,
        tracedEventTypes: ['exec', 'open', 'bind'],
        rateLimit: 100_000,
      });
      const ended: ActivityDump[] = [];
      manager.on('dump:persisted', (dump) => ended.push(dump));
      const shell = spawn('/bin/sh', [join(dir, 'workload.sh'), dir, process.execPath], { stdio: 'ignore' });
      const root = shell.pid!;
      const source = new ProcfsEventSource({
        sink: manager,
        interval: 50,
        // Only the workload: the shell and whatever descends from it.
        filter: (entry, table) =>
          entry.info.pid === root ||
          (table.context(entry.info.pid)?.ancestors ?? []).some((a) => a.pid === root),
      });
      manager.start();
      source.start();
      await new Promise<void>((resolve) => shell.once('exit', () => resolve()));
      await source.poll(); // the poll after the exit reports it
      await source.stop();
      await manager.close();

      const port = Number(await readFile(join(dir, 'port'), 'utf8'));
      const nodes = ended.flatMap((dump) => [...dump.tree.processNodes()]);
      const sh = nodes.find((n) => n.process.pid === root);
      // The executable as the kernel resolved it (/bin/sh is often a link to dash or bash).
      expect(sh?.process.file.path).toBe(await realpath('/bin/sh'));
      expect(sh?.process.args).toEqual([join(dir, 'workload.sh'), dir, process.execPath]);
      const sleep = sh!.children.find((n) => n.process.argv0 === 'sleep');
      const nodeExecutable = await realpath(process.execPath);
      const node = sh!.children.find((n) => n.process.file.path === nodeExecutable);
      expect(sleep).toBeDefined();
      expect(node).toBeDefined();
      expect(filesOf(sh!)).toContain(join(dir, 'config.txt'));
      expect(filesOf(sleep!)).toContain(join(dir, 'data.txt'));
      expect(node!.sockets.flatMap((s) => s.binds.map((b) => [b.ip, b.port]))).toContainEqual([
        '127.0.0.1',
        port,
      ]);
      // The exits were seen: each finished process node has its exit time.
      for (const n of [sh!, sleep!, node!]) expect(n.process.exitTime ?? 0n).toBeGreaterThan(0n);
      expect(source.stats.polls).toBeGreaterThan(3);
    });
  },
);

describe('ProcfsEventSource over a fake /proc, on fake time', () => {
  async function fakeProc() {
    const { mkdir, symlink } = await import('node:fs/promises');
    const root = await mkdtemp(join(tmpdir(), 'ad-fakeproc-'));
    dirs.push(root);
    await writeFile(join(root, 'stat'), 'cpu 0 0 0 0\nbtime 1700000000\n');
    const add = async (pid: number, ppid: number, exe: string, argv: string[], start = 100) => {
      const d = join(root, String(pid));
      await rm(d, { recursive: true, force: true });
      await mkdir(join(d, 'fd'), { recursive: true });
      const comm = exe.slice(exe.lastIndexOf('/') + 1);
      await writeFile(
        join(d, 'stat'),
        `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ${start} 0 0`,
      );
      await writeFile(join(d, 'cmdline'), `${argv.join('\0')}\0`);
      await writeFile(join(d, 'cgroup'), '0::/system.slice/app.service\n');
      await symlink(exe, join(d, 'exe'));
      return d;
    };
    return {
      root,
      add,
      remove: (pid: number) => rm(join(root, String(pid)), { recursive: true, force: true }),
    };
  }

  it('reports new processes, new images, opened files and exits, one poll at a time', async () => {
    const proc = await fakeProc();
    await proc.add(1, 0, '/sbin/init', ['/sbin/init']);
    await proc.add(10, 1, '/bin/sh', ['/bin/sh', '-c', 'work']);
    const batches: ActivityEvent[][] = [];
    const fake = createClock(1_700_000_000_000);
    const source = new ProcfsEventSource({
      root: proc.root,
      sink: { handleEvents: (events) => batches.push([...events]) },
      interval: 1000,
      clock: clockFromFakeTimers(fake),
    });
    // Polls read real files: after a tick fires one, wait for it (poll() joins the one in flight).
    const tick = async (ms: number) => {
      await fake.tickAsync(ms);
      await source.poll();
    };
    source.start();
    await tick(0);
    expect(batches.at(-1)!.map((e) => [e.type, e.process.pid])).toEqual([
      ['exec', 1],
      ['exec', 10],
    ]);
    const shell = batches.at(-1)![1]!;
    expect(shell.process.ancestors?.map((a) => a.pid)).toEqual([1]);

    // The shell execs a new image and opens a file.
    const { symlink } = await import('node:fs/promises');
    const d = await proc.add(10, 1, '/usr/bin/python3', ['python3', 'app.py']);
    await writeFile(join(proc.root, 'app.py'), '');
    await symlink(join(proc.root, 'app.py'), join(d, 'fd', '3'));
    await tick(1000);
    const second = batches.at(-1)!;
    expect(second.map((e) => e.type)).toEqual(['exec', 'open']);
    expect(second[0]!.process).toMatchObject({ isExecExec: true, file: { path: '/usr/bin/python3' } });
    expect(second[0]!.process.ancestors?.map((a) => [a.pid, a.file.path])).toEqual([
      [10, '/bin/sh'],
      [1, '/sbin/init'],
    ]);
    expect(second[1]).toMatchObject({ type: 'open', file: { path: join(proc.root, 'app.py') } });

    // Nothing changed: no events. Then the process exits.
    const count = batches.length;
    await tick(1000);
    expect(batches.length).toBe(count);
    await proc.remove(10);
    await tick(1000);
    expect(batches.at(-1)!.map((e) => [e.type, e.process.pid])).toEqual([['exit', 10]]);

    // A reused pid is a new process: the old one exited.
    await proc.add(11, 1, '/bin/true', ['true'], 100);
    await tick(1000);
    await proc.add(11, 1, '/bin/false', ['false'], 900);
    await tick(1000);
    expect(batches.at(-1)!.map((e) => [e.type, e.process.file.path])).toEqual([
      ['exit', '/bin/true'],
      ['exec', '/bin/false'],
    ]);
    await source.stop();
    expect(fake.countTimers()).toBe(0);
    expect(source.stats.polls).toBe(6);
  });

  it('treats a zombie as exited instead of reading a new image from its remains', async () => {
    const proc = await fakeProc();
    await proc.add(1, 0, '/sbin/init', ['/sbin/init']);
    const d = await proc.add(20, 1, '/bin/sleep', ['sleep', '1']);
    const batches: ActivityEvent[][] = [];
    const source = new ProcfsEventSource({
      root: proc.root,
      sink: { handleEvents: (e) => batches.push([...e]) },
    });
    await source.poll();
    // Exited, not reaped yet: its exe is gone and its stat says Z.
    await rm(join(d, 'exe'));
    await writeFile(join(d, 'cmdline'), '');
    await writeFile(join(d, 'stat'), '20 (sleep) Z 1 20 20 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0');
    await source.poll();
    expect(batches.at(-1)!.map((e) => [e.type, e.process.file.path])).toEqual([['exit', '/bin/sleep']]);
  });

  it('stops on its abort signal, and checks its options', async () => {
    const proc = await fakeProc();
    await proc.add(1, 0, '/sbin/init', ['/sbin/init']);
    const fake = createClock(0);
    const controller = new AbortController();
    let polls = 0;
    const source = new ProcfsEventSource({
      root: proc.root,
      sink: { handleEvents: () => polls++ },
      clock: clockFromFakeTimers(fake),
      signal: controller.signal,
    });
    source.start();
    await fake.tickAsync(0);
    await source.stop(); // waits for the poll in flight
    controller.abort();
    await fake.tickAsync(10_000);
    expect(polls).toBe(1);
    expect(fake.countTimers()).toBe(0);
    expect(() => new ProcfsEventSource({ sink: {} as never })).toThrow(InvalidArgumentError);
    expect(() => new ProcfsEventSource({ sink: { handleEvents() {} }, interval: 0 })).toThrow(/interval/);
  });

  it('reports a /proc it cannot list, and goes on polling', async () => {
    const errors: string[] = [];
    const fake = createClock(0);
    const source = new ProcfsEventSource({
      root: join(tmpdir(), 'no-such-proc-here'),
      sink: { handleEvents() {} },
      clock: clockFromFakeTimers(fake),
      onError: (error) => errors.push(error.message),
    });
    source.start();
    await fake.tickAsync(0);
    await source.poll();
    await fake.tickAsync(250);
    await source.poll();
    await source.stop();
    expect(source.stats.polls).toBe(0);
    expect(errors).toHaveLength(2); // one a poll: it goes on
    expect(errors[0]).toMatch(/^cannot list processes in .*no-such-proc-here/);
  });
});
