import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityEvent, BindEvent } from '../../src/events/activity-event.js';
import { parseCgroupFile } from '../../src/events/procfs/cgroup-identity.js';
import { ProcReader } from '../../src/events/procfs/proc-reader.js';
import { ProcessTable } from '../../src/events/procfs/process-table.js';
import { ProcfsSnapshotter } from '../../src/events/procfs/procfs-snapshotter.js';
import type { WorkloadRef } from '../../src/manager/workload-ref.js';
import { ActivityTree } from '../../src/tree/activity-tree.js';
import { GenerationType } from '../../src/tree/generation-type.js';

const HAS_PROC = existsSync('/proc/self/stat');
const NO_PROC = 'no /proc on this system: procfs snapshots are Linux only';

/** A child that opens a file, listens on 127.0.0.1 and writes its port, then waits. */
const CHILD = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], 'r');
const server = require('node:net').createServer().listen(0, '127.0.0.1', () => {
  fs.writeFileSync(process.argv[2], String(server.address().port));
});
setTimeout(() => { fs.closeSync(fd); server.close(); }, 60000).unref();
process.stdin.on('data', () => process.exit(0));
`;

async function collect(events: AsyncIterable<ActivityEvent>): Promise<ActivityEvent[]> {
  const out: ActivityEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe.skipIf(!HAS_PROC)(
  `ProcfsSnapshotter on the test runner and its child (${HAS_PROC ? 'Linux' : NO_PROC})`,
  () => {
    let dir: string;
    let child: ChildProcess;
    let held: string;
    let port: number;
    let workload: WorkloadRef;

    beforeAll(async () => {
      dir = await realpath(await mkdtemp(join(tmpdir(), 'ad-snapshot-')));
      held = join(dir, 'held-open.txt');
      await writeFile(held, 'kept open by the child\n');
      const portFile = join(dir, 'port');
      child = spawn(process.execPath, ['-e', CHILD, held, portFile], {
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      // The child writes its port once it listens (polling a file: no timing assumption).
      for (;;) {
        const text = await readFile(portFile, 'utf8').catch(() => '');
        if (text !== '') {
          port = Number(text);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const identity = parseCgroupFile(await readFile('/proc/self/cgroup', 'utf8'));
      workload = {
        containerId: identity.containerId,
        cgroupId: identity.containerId === '' ? '' : identity.cgroupId,
      };
    });

    afterAll(async () => {
      child.stdin?.write('bye');
      await rm(dir, { recursive: true, force: true });
    });

    it('yields the processes of the workload with their lineage, files, mapped files and socket', async () => {
      const snapshotter = new ProcfsSnapshotter();
      const events = await collect(
        snapshotter.snapshot({
          workload,
          tracedEventTypes: ['exec', 'open', 'bind'],
          signal: new AbortController().signal,
        }),
      );
      const execOf = events.find((e) => e.type === 'exec' && e.process.pid === child.pid);
      expect(execOf?.process.file.path).toBe(await realpath(process.execPath));
      // Lineage: the child's parent is this process, and the chain ends at pid 1 (or a known gap).
      const ancestors = execOf!.process.ancestors ?? [];
      expect(ancestors[0]?.pid).toBe(process.pid);
      const last = ancestors.at(-1)!;
      expect(last.pid === 1 || last.isParentMissing === true).toBe(true);

      const opens = events
        .filter((e) => e.type === 'open' && e.process.pid === child.pid)
        .map((e) => (e as { file: { path: string } }).file.path);
      expect(opens).toContain(held);
      // Mapped files: shared libraries, never the executable itself.
      expect(opens.some((path) => /\.so(\.|$)/.test(path))).toBe(true);
      expect(opens).not.toContain(await realpath(process.execPath));

      const binds = events.filter((e): e is BindEvent => e.type === 'bind' && e.process.pid === child.pid);
      expect(binds.map((b) => b.bind)).toContainEqual({
        family: 'AF_INET',
        ip: '127.0.0.1',
        port,
        protocol: 6,
        retval: 0,
      });
      const stats = snapshotter.stats;
      expect(stats.processes).toBeGreaterThanOrEqual(2);
      expect(stats.files).toBeGreaterThan(0);
      expect(stats.sockets).toBeGreaterThanOrEqual(1);
    });

    it("builds a tree of snapshot nodes holding the child's files and socket", async () => {
      const snapshotter = new ProcfsSnapshotter();
      const tree = new ActivityTree({ pathsReducer: null });
      for await (const event of snapshotter.snapshot({
        workload,
        tracedEventTypes: ['exec', 'open', 'bind'],
        signal: new AbortController().signal,
      })) {
        tree.insert(event, { generationType: GenerationType.Snapshot });
      }
      // The child runs the same executable as this process, its parent: the tree folds it into
      // the parent's node (a fork or re-exec of one image is one node), which gets its activity.
      const node = [...tree.processNodes()].find((n) =>
        n.sockets.some((socket) => socket.binds.some((bind) => bind.port === port)),
      );
      expect(node?.process.file.path).toBe(await realpath(process.execPath));
      expect(node?.generationType).toBe(GenerationType.Snapshot);
      const files = [...node!.files].flatMap(function walk(f): string[] {
        return [...(f.file === undefined ? [] : [f.file.path]), ...f.children.flatMap(walk)];
      });
      expect(files).toContain(held);
    });

    it('reads only exec when open and bind are not traced, and stops when aborted', async () => {
      const snapshotter = new ProcfsSnapshotter();
      const events = await collect(
        snapshotter.snapshot({ workload, tracedEventTypes: ['exec'], signal: new AbortController().signal }),
      );
      expect(new Set(events.map((e) => e.type))).toEqual(new Set(['exec']));
      const controller = new AbortController();
      controller.abort();
      expect(
        await collect(
          snapshotter.snapshot({ workload, tracedEventTypes: ['exec', 'open'], signal: controller.signal }),
        ),
      ).toEqual([]);
    });

    it('skips and counts processes that vanish or refuse to be read, never fails', async () => {
      // A reader over a fake /proc where every read of pid 4242 is refused and pid 4343 is gone.
      const root = await mkdtemp(join(tmpdir(), 'ad-fakeproc-'));
      const { mkdir, symlink } = await import('node:fs/promises');
      await writeFile(join(root, 'stat'), 'cpu 0 0 0 0\nbtime 1700000000\n');
      for (const pid of [1, 4242]) {
        await mkdir(join(root, String(pid), 'fd'), { recursive: true });
        await writeFile(
          join(root, String(pid), 'stat'),
          `${pid} (sh) S 0 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0`,
        );
        await writeFile(join(root, String(pid), 'cmdline'), '/bin/sh\0');
        await writeFile(join(root, String(pid), 'cgroup'), '0::/\n');
        await symlink('/bin/sh', join(root, String(pid), 'exe'));
      }
      await mkdir(join(root, '4343')); // listed, but its files are gone
      const refused = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      const fs = await import('node:fs/promises');
      const reader = new ProcReader({
        root,
        fileSystem: {
          readFile: (p) => (p.includes('/4242/') ? Promise.reject(refused) : fs.readFile(p)),
          readdir: (p) => fs.readdir(p),
          readlink: (p) => fs.readlink(p),
        },
      });
      const table = await ProcessTable.read(reader);
      expect(table.get(1)?.info.file.path).toBe('/bin/sh');
      expect(table.get(4242)).toBeUndefined();
      expect(table.get(4343)).toBeUndefined();
      expect(reader.skipped.permission).toBeGreaterThan(0);
      expect(reader.skipped.vanished).toBeGreaterThan(0);
      await rm(root, { recursive: true, force: true });
    });
  },
);
