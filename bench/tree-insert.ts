import { Bench } from 'tinybench';
import type { ActivityEvent } from '../src/events/activity-event.js';
import { ActivityTree, type ActivityTreeOptions } from '../src/tree/activity-tree.js';
import type { FileNode } from '../src/tree/file-node.js';
import {
  baselineKeys,
  coldBatch,
  createProcesses,
  createRng,
  flat,
  knownPaths,
  mixedBatch,
} from './workload.js';

const BATCH = 50_000;
const BATCHES = 12;
// One options object for every insert, as an owner such as a dump manager would keep.
const INSERT_OPTIONS = { imageTag: 'v1' } as const;

/** A bare Map-of-Maps de-dup of the same keys: the least work any recorder must do. */
function baselineInsert(store: Map<string, Map<string, true>>, events: readonly ActivityEvent[]): number {
  let added = 0;
  for (const event of events) {
    const [outer, inner] = baselineKeys(event);
    let map = store.get(outer);
    if (map === undefined) {
      map = new Map();
      store.set(outer, map);
    }
    if (!map.has(inner)) {
      map.set(inner, true);
      added++;
    }
  }
  return added;
}

function treeInsert(tree: ActivityTree, events: readonly ActivityEvent[]): number {
  let added = 0;
  for (const event of events) if (tree.insert(event, INSERT_OPTIONS)) added++;
  return added;
}

async function throughput(
  name: string,
  batches: ActivityEvent[][],
  warm: ActivityEvent[],
  options: ActivityTreeOptions = {},
): Promise<Record<string, number>> {
  const tree = new ActivityTree(options);
  const store = new Map<string, Map<string, true>>();
  treeInsert(tree, warm);
  baselineInsert(store, warm);
  let treeCursor = 0;
  let baseCursor = 0;
  const bench = new Bench({ name, iterations: batches.length, time: 0, warmup: false });
  bench.add('tree', () => {
    treeInsert(tree, batches[treeCursor++ % batches.length]!);
  });
  bench.add('baseline', () => {
    baselineInsert(store, batches[baseCursor++ % batches.length]!);
  });
  await bench.run();
  const [treeTask, baseTask] = bench.tasks;
  const treeMs = (treeTask!.result as { latency: { mean: number } }).latency.mean;
  const baseMs = (baseTask!.result as { latency: { mean: number } }).latency.mean;
  const treeRate = (BATCH / treeMs) * 1000;
  const baseRate = (BATCH / baseMs) * 1000;
  return {
    eventsPerSec: Math.round(treeRate),
    baselineEventsPerSec: Math.round(baseRate),
    slowdownVsBaseline: round(baseRate / treeRate),
    processNodes: tree.stats.processNodes,
    fileNodes: tree.stats.fileNodes,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

// V8 sequential one-byte string: 16-byte header, characters padded to 8 bytes.
function stringBytes(s: string): number {
  return 16 + Math.ceil(s.length / 8) * 8;
}

function memory(): Record<string, number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return { skipped: 1 };
  const rng = createRng(7);
  const processes = createProcesses(100, rng);
  gc();
  const before = process.memoryUsage().heapUsed;
  const tree = new ActivityTree({ pathsReducer: null });
  let n = 0;
  // 1.2M leaves in 3-level directories: /srv/data/dA/dB/f-N.bin
  for (let a = 0; a < 100; a++) {
    const proc = processes[a]!;
    for (let b = 0; b < 120; b++) {
      for (let c = 0; c < 100; c++) {
        // Flat strings, as a collector's JSON or procfs reader produces them (template literals are ropes).
        const path = flat(`/srv/data/d${a}/d${b}/f-${n++}.bin`);
        tree.insert({ type: 'open', process: proc, file: { path } });
      }
    }
  }
  gc();
  const delta = process.memoryUsage().heapUsed - before;
  let nodes = 0;
  let leaves = 0;
  let strings = 0;
  const stack: FileNode[] = [];
  for (const p of tree.processNodes()) stack.push(...p.files);
  while (stack.length > 0) {
    const f = stack.pop()!;
    nodes++;
    strings += stringBytes(f.name);
    if (f.hasFile) {
      leaves++;
      strings += stringBytes(f.file!.path);
    }
    for (const c of f.children) stack.push(c);
  }
  return {
    fileNodes: nodes,
    leafNodes: leaves,
    heapDeltaBytes: delta,
    bytesPerFileNode: Math.round(delta / nodes),
    bytesPerFileNodeExcludingStrings: Math.round((delta - strings) / nodes),
  };
}

/** Insert throughput on a repeated and a cold mix against the Map-of-Maps baseline, and bytes per node. */
export async function runTreeInsertBench(): Promise<Record<string, unknown>> {
  const rng = createRng(42);
  const processes = createProcesses(50, rng);
  const known = processes.map((_, i) => knownPaths(i, 60));
  const warm: ActivityEvent[] = [];
  processes.forEach((process, i) => {
    for (const path of known[i]!) warm.push({ type: 'open', process, file: { path } });
  });
  const repeated = Array.from({ length: BATCHES }, (_, b) =>
    mixedBatch(processes, known, BATCH, 0.02, b, rng),
  );
  const cold = Array.from({ length: BATCHES }, (_, b) => coldBatch(processes, BATCH, b, rng));
  return {
    batchSize: BATCH,
    repeatedMix: await throughput('repeated', repeated, warm),
    repeatedMixWithoutCaches: await throughput('repeated-uncached', repeated, warm, {
      processCacheSize: 0,
      fileCacheSize: 0,
    }),
    coldMix: await throughput('cold', cold, warm),
    memory: memory(),
  };
}
