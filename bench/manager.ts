import { createClock } from '@sinonjs/fake-timers';
import { Bench } from 'tinybench';
import { createLoadConfig, eventTypeMask, eventTypesOfMask } from '../src/dump/load-config.js';
import { WorkloadSelector } from '../src/dump/workload-selector.js';
import type { ActivityEvent, EventType } from '../src/events/activity-event.js';
import type { ProcessContext } from '../src/events/process.js';
import { ActivityDumpManager, type PeriodicTaskName } from '../src/manager/activity-dump-manager.js';
import { type ActivityDumpManagerOptions, MAX_TRACED_CGROUPS_COUNT } from '../src/manager/manager-options.js';
import type { SilentWorkload } from '../src/manager/security-profile-provider.js';
import { InMemoryWorkloadAdmission } from '../src/manager/workload-admission.js';
import type { Metrics } from '../src/metrics.js';
import { MemoryStorage } from '../src/storage/memory-storage.js';
import { clockFromFakeTimers } from '../src/testing/index.js';
import { ActivityTree } from '../src/tree/activity-tree.js';
import { createProcesses, createRng, knownPaths, mixedEvent, randomContainerId } from './workload.js';

const BATCH = 50_000;
const BATCHES = 12;
// Per workload: a container of a few processes, each coming back to its own paths.
const PROCESSES = 16;
const PATHS_PER_PROCESS = 32;
// What mixedEvent emits.
const TRACED: EventType[] = ['exec', 'open', 'dns'];
// Nothing is rate limited, and no dump pauses or expires while measured.
const RATE = Number.MAX_SAFE_INTEGER;
const DUMP_DURATION = 24 * 3_600_000;
const MAX_DUMP_SIZE_KIB = 1 << 30;
const PERIODIC_DUMPS = 1000;
const SILENT_WORKLOADS = 4;
const ROUNDS = 100;
// Events between two rounds, about what 1000 quiet containers send in a stats period.
const FEED = 5_000;
const PERIODIC_TASKS: readonly PeriodicTaskName[] = [
  'cleanup',
  'tagsResolution',
  'loadController',
  'silentWorkloads',
  'stats',
];
const T0 = 1_700_000_000_000;
const SYNC = { async: false } as const;

interface Workload {
  containerId: string;
  processes: ProcessContext[];
  known: string[][];
}

interface Tally {
  added: number;
  unchanged: number;
  other: Record<string, number>;
}

function createWorkloads(count: number, rng: () => number): Workload[] {
  return Array.from({ length: count }, () => {
    const containerId = randomContainerId(rng);
    const processes = createProcesses(PROCESSES, rng, containerId);
    return { containerId, processes, known: processes.map((_, i) => knownPaths(i, PATHS_PER_PROCESS)) };
  });
}

/** Every known (process, path) pair once: what a workload did before the measurement. */
function warmEvents(workloads: readonly Workload[]): ActivityEvent[] {
  return workloads.flatMap(({ processes, known }) =>
    processes.flatMap((process, i) =>
      known[i]!.map((path): ActivityEvent => ({ type: 'open', process, file: { path } })),
    ),
  );
}

/**
 * `size` events, each of a workload picked at random: containers' events arrive mixed. They are
 * allocated in arrival order, as a collector would, so memory order follows it too.
 */
function interleavedBatch(
  workloads: readonly Workload[],
  size: number,
  batch: number,
  rng: () => number,
): ActivityEvent[] {
  return Array.from({ length: size }, (_, i) => {
    const w = workloads[Math.floor(rng() * workloads.length)]!;
    return mixedEvent(w.processes, w.known, 0.02, batch, i, rng);
  });
}

/** An admission with room for `capacity` workloads, giving each the envelope the manager's options set. */
function admission(capacity: number): InMemoryWorkloadAdmission {
  return new InMemoryWorkloadAdmission({
    capacity,
    defaultConfig: (now) =>
      createLoadConfig({ tracedEventTypes: TRACED, timeout: DUMP_DURATION, rate: RATE, start: now }),
  });
}

function managerOptions(): ActivityDumpManagerOptions {
  return {
    storage: new MemoryStorage(),
    localStorage: { formats: ['msgpack'] },
    tracedEventTypes: TRACED,
    rateLimit: RATE,
    dumpDuration: DUMP_DURATION,
    maxDumpSize: MAX_DUMP_SIZE_KIB,
  };
}

/** A tree built with the options the manager gives a dump's tree. */
function bareTree(containerId: string): ActivityTree {
  return new ActivityTree({
    selector: (process) => process.containerId === containerId,
    tracedEventTypes: eventTypesOfMask(eventTypeMask(TRACED)),
  });
}

function managerInsert(manager: ActivityDumpManager, events: readonly ActivityEvent[], tally: Tally): void {
  for (const event of events) {
    const outcome = manager.handleEvent(event);
    if (outcome === 'added') tally.added++;
    else if (outcome === 'unchanged') tally.unchanged++;
    else tally.other[outcome] = (tally.other[outcome] ?? 0) + 1;
  }
}

function bareInsert(events: readonly ActivityEvent[], trees: readonly ActivityTree[]): number {
  let added = 0;
  for (let i = 0; i < events.length; i++) if (trees[i]!.insert(events[i]!)) added++;
  return added;
}

function meanMs(bench: Bench, name: string): number {
  return (bench.getTask(name)!.result as { latency: { mean: number } }).latency.mean;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** handleEvent beside a bare insert into one tree per workload, of the same events in the same order. */
async function throughput(workloadCount: number): Promise<Record<string, unknown>> {
  const rng = createRng(11);
  const workloads = createWorkloads(workloadCount, rng);
  const manager = new ActivityDumpManager({
    ...managerOptions(),
    // The default admission holds tracedCgroupsCount workloads, at most 128; past that, bring one.
    ...(workloadCount <= MAX_TRACED_CGROUPS_COUNT
      ? { tracedCgroupsCount: workloadCount }
      : { admission: admission(workloadCount) }),
  });
  const trees = new Map(workloads.map((w) => [w.containerId, bareTree(w.containerId)]));
  // The first event of each workload starts its dump; then both sides know the same paths, and one
  // batch of the mix gets the JIT to compile both paths before they are measured.
  const warm = [...warmEvents(workloads), ...interleavedBatch(workloads, BATCH, BATCHES, rng)];
  for (const event of warm) {
    manager.handleEvent(event);
    trees.get(event.process.containerId!)!.insert(event);
  }
  const batches = Array.from({ length: BATCHES }, (_, b) => interleavedBatch(workloads, BATCH, b, rng));
  // Each event's tree, looked up here so the bare side measures nothing but the insert.
  const targets = batches.map((events) => events.map((event) => trees.get(event.process.containerId!)!));
  const tally: Tally = { added: 0, unchanged: 0, other: {} };
  let bareAdded = 0;
  let managerMs = 0;
  let bareMs = 0;
  // The previous case's garbage is collected now, not during this measurement.
  collectGarbage();
  // One batch a side in turn, the side going first alternating, so drift in the machine or the
  // heap, and the events left in the CPU caches by the other side, weigh on both alike.
  for (let b = 0; b < BATCHES; b++) {
    const bench = new Bench({ name: `manager-${workloadCount}-${b}`, iterations: 1, time: 0, warmup: false });
    const sides: [string, () => void][] = [
      ['manager', () => managerInsert(manager, batches[b]!, tally)],
      [
        'bare',
        () => {
          bareAdded += bareInsert(batches[b]!, targets[b]!);
        },
      ],
    ];
    if (b % 2 === 1) sides.reverse();
    // Declared sync: tinybench would otherwise call each once more to find out.
    for (const [name, fn] of sides) bench.add(name, fn, SYNC);
    await bench.run();
    managerMs += meanMs(bench, 'manager') / BATCHES;
    bareMs += meanMs(bench, 'bare') / BATCHES;
  }
  const dumps = manager.listDumps();
  let nodes = 0;
  for (const dump of dumps) nodes += dump.tree.stats.processNodes + dump.tree.stats.fileNodes;
  return {
    activeDumps: dumps.length,
    runningDumps: dumps.filter((dump) => dump.state === 'running').length,
    nodesPerDump: Math.round(nodes / dumps.length),
    eventsPerSec: Math.round((BATCH / managerMs) * 1000),
    bareEventsPerSec: Math.round((BATCH / bareMs) * 1000),
    managerVsBare: round(managerMs / bareMs),
    events: BATCH * BATCHES,
    outcomes: { added: tally.added, unchanged: tally.unchanged, ...tally.other },
    bareAdded,
    rejected: Object.values(manager.rejectedEvents()).reduce((sum, n) => sum + n, 0),
  };
}

/** One round of every periodic task over 1000 dumps holding realistic trees, on a clock that stands still. */
async function periodicRound(): Promise<Record<string, unknown>> {
  const rng = createRng(13);
  const workloads = createWorkloads(PERIODIC_DUMPS, rng);
  const tags = new Map(
    workloads.map((w, i) => [w.containerId, [`image_name:app-${i}`, 'image_tag:1.0', 'service:app']]),
  );
  let metricCalls = 0;
  let resolverCalls = 0;
  let silentFetches = 0;
  const metrics: Metrics = {
    count: () => {
      metricCalls++;
    },
    gauge: () => {
      metricCalls++;
    },
  };
  // Workloads already recorded, last in the list: each is checked against every dump and none starts.
  const silent: SilentWorkload[] = workloads.slice(-SILENT_WORKLOADS).map((w) => ({
    selector: WorkloadSelector.fromTags(tags.get(w.containerId)!)!,
    instances: [{ containerId: w.containerId, cgroupId: '' }],
  }));
  const manager = new ActivityDumpManager({
    ...managerOptions(),
    clock: clockFromFakeTimers(createClock(T0)),
    // One slot spare: at capacity the silent-workloads task returns before asking the provider.
    admission: admission(PERIODIC_DUMPS + 1),
    tagsResolver: {
      resolve: (ref) => {
        resolverCalls++;
        return tags.get(ref.containerId) ?? [];
      },
    },
    securityProfileProvider: {
      fetchSilentWorkloads: () => {
        silentFetches++;
        return silent;
      },
    },
    metrics,
  });
  manager.handleEvents(warmEvents(workloads));
  for (let b = 0; b < 4; b++) manager.handleEvents(interleavedBatch(workloads, BATCH, b, rng));
  // Each new dump resolves its tags on a promise chain; let it finish, as it would long before a round.
  await new Promise((resolve) => setImmediate(resolve));
  const feeds = Array.from({ length: 10 }, (_, b) => interleavedBatch(workloads, FEED, 100 + b, rng));
  let feedCursor = 0;
  // Events arrive between rounds, so the stats task has counters to send.
  const feed = () => {
    manager.handleEvents(feeds[feedCursor++ % feeds.length]!);
  };
  const fullRound = async () => {
    for (const name of PERIODIC_TASKS) await manager.runPeriodicTask(name);
  };
  const bench = new Bench({
    name: 'periodic',
    iterations: ROUNDS,
    time: 0,
    warmupIterations: 10,
    warmupTime: 0,
  });
  for (const name of PERIODIC_TASKS) {
    bench.add(name, () => manager.runPeriodicTask(name), { async: true, beforeEach: feed });
  }
  bench.add('round', fullRound, { async: true, beforeEach: feed });
  collectGarbage();
  await bench.run();

  // One more round, counted, to show what a round does.
  feed();
  const before = { metricCalls, resolverCalls, silentFetches };
  await fullRound();
  const dumps = manager.listDumps();
  let nodes = 0;
  for (const dump of dumps) nodes += dump.tree.stats.processNodes + dump.tree.stats.fileNodes;
  const cost = (name: string) => {
    const ms = meanMs(bench, name);
    return { ms: Math.round(ms * 1000) / 1000, usPerDump: round((ms * 1000) / dumps.length) };
  };
  const accounting = manager.accounting();
  return {
    activeDumps: dumps.length,
    withSelector: dumps.filter((dump) => dump.selector !== undefined).length,
    nodesPerDump: Math.round(nodes / dumps.length),
    round: cost('round'),
    tasks: Object.fromEntries(PERIODIC_TASKS.map((name) => [name, cost(name)])),
    oneRound: {
      metricCalls: metricCalls - before.metricCalls,
      tagsResolverCalls: resolverCalls - before.resolverCalls,
      silentWorkloadFetches: silentFetches - before.silentFetches,
    },
    dumpsStarted: accounting.started,
    dumpsEnded: accounting.persisted + accounting.droppedTotal + accounting.persisting,
  };
}

/** handleEvent throughput with 1, 100 and 1000 dumps beside bare tree inserts, and the cost of the periodic tasks. */
export async function runManagerBench(): Promise<Record<string, unknown>> {
  return {
    batchSize: BATCH,
    handleEvent: {
      '1': await throughput(1),
      '100': await throughput(100),
      '1000': await throughput(1000),
    },
    periodicTasks: await periodicRound(),
  };
}
