import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { Bench } from 'tinybench';
import { mapConcurrently } from '../src/concurrency-limiter.js';
import { ProcReader } from '../src/events/procfs/proc-reader.js';
import { ProcessTable, READ_CONCURRENCY } from '../src/events/procfs/process-table.js';
import { ProcfsEventSource } from '../src/events/procfs/procfs-event-source.js';
import { ProcfsSnapshotter } from '../src/events/procfs/procfs-snapshotter.js';

// Extra processes started for the measure, so the machine has at least this many to read.
const EXTRA_PROCESSES = 100;
const SNAPSHOT_PROCESSES = 50;

function meanMs(bench: Bench, name: string): number {
  return (bench.getTask(name)!.result as { latency: { mean: number } }).latency.mean;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** The least any poller does: read `/proc/<pid>/stat` of every process, as many at once as the source. */
async function statScan(): Promise<void> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  await mapConcurrently(pids, READ_CONCURRENCY, (pid) =>
    readFile(`/proc/${pid}/stat`).catch(() => undefined),
  );
}

/**
 * One poll of `/proc` per 100 processes — the first (every process new: everything read) and a
 * steady one (nothing changed: a stat per process, fds of the watched ones) — beside a bare scan
 * of every stat file; and one snapshot, scaled to a 50-process workload.
 */
export async function runProcfsBench(): Promise<Record<string, unknown>> {
  if (!existsSync('/proc/self/stat')) return { skipped: 'no /proc (Linux only)' };
  const children: ChildProcess[] = Array.from({ length: EXTRA_PROCESSES }, () =>
    spawn('sleep', ['600'], { stdio: 'ignore' }),
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the children exec
    const processes = (await ProcessTable.read(new ProcReader())).size;
    const per100 = 100 / processes;
    let events = 0;
    const sink = {
      handleEvents(batch: Iterable<unknown>) {
        for (const _ of batch) events++;
      },
    };
    const bench = new Bench({ iterations: 20, time: 0, warmupIterations: 2 });
    bench.add('first poll', async () => {
      await new ProcfsEventSource({ sink }).poll();
    });
    const steady = new ProcfsEventSource({ sink });
    await steady.poll();
    bench.add('steady poll', async () => {
      await steady.poll();
    });
    bench.add('stat scan', statScan);
    const snapshotter = new ProcfsSnapshotter();
    let snapshotEvents = 0;
    bench.add('snapshot', async () => {
      for await (const _ of snapshotter.snapshot({
        workload: { containerId: '', cgroupId: '' },
        tracedEventTypes: ['exec', 'open', 'bind'],
        signal: new AbortController().signal,
      })) {
        snapshotEvents++;
      }
    });
    await bench.run();
    const snapshotted = snapshotter.stats.processes / (bench.getTask('snapshot')!.runs || 1);
    return {
      processes,
      firstPollMsPer100Processes: round(meanMs(bench, 'first poll') * per100),
      steadyPollMsPer100Processes: round(meanMs(bench, 'steady poll') * per100),
      statScanMsPer100Processes: round(meanMs(bench, 'stat scan') * per100),
      steadyPollVsStatScan: round(meanMs(bench, 'steady poll') / meanMs(bench, 'stat scan')),
      snapshotMsPer50Processes: round((meanMs(bench, 'snapshot') * SNAPSHOT_PROCESSES) / snapshotted),
      snapshotProcesses: Math.round(snapshotted),
      eventsPerFirstPoll: Math.round(events / Math.max(1, bench.getTask('first poll')!.runs)),
      eventsPerSnapshot: Math.round(snapshotEvents / Math.max(1, bench.getTask('snapshot')!.runs)),
    };
  } finally {
    for (const child of children) child.kill();
  }
}
