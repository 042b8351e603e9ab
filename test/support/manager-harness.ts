import { createClock } from '@sinonjs/fake-timers';
import type { ActivityDump } from '../../src/dump/activity-dump.js';
import type { ActivityEvent } from '../../src/events/activity-event.js';
import type { ProcessContext } from '../../src/events/process.js';
import { ActivityDumpManager } from '../../src/manager/activity-dump-manager.js';
import type { ActivityDumpManagerOptions } from '../../src/manager/manager-options.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import { buildLineage, event } from '../../src/testing/event-builders.js';
import { clockFromFakeTimers } from '../../src/testing/fake-clock.js';
import { RecordingMetrics } from '../../src/testing/recording-metrics.js';

/** 2023-11-14T22:13:20Z: a fixed start so times in assertions are readable. */
export const T0 = 1_700_000_000_000;
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/** What a harness saw the manager emit, in order. */
export type SeenEvent = [name: string, dump: string, detail?: unknown];

/** A manager on a fake clock with in-memory storage and metrics, and a log of its events. */
export function createHarness(options: Partial<ActivityDumpManagerOptions> = {}) {
  const fake = createClock(T0);
  const storage = new MemoryStorage();
  const metrics = new RecordingMetrics();
  const manager = new ActivityDumpManager({
    // The StorageManager counts the persist metrics; MemoryStorage keeps the bytes of both types.
    storage: new StorageManager({
      backends: [storage, { type: 'remote_storage', store: (item) => storage.store(item) }],
      metrics,
    }),
    metrics,
    clock: clockFromFakeTimers(fake),
    hostname: 'test-host',
    localStorage: { formats: ['msgpack'], outputDirectory: '/dumps' },
    ...options,
  });
  const seen: SeenEvent[] = [];
  manager.on('dump:started', (d, origin) => seen.push(['dump:started', d.name, origin]));
  manager.on('dump:paused', (d) => seen.push(['dump:paused', d.name]));
  manager.on('dump:split', (d, next, reductions) => seen.push(['dump:split', d.name, { next, reductions }]));
  manager.on('dump:finalized', (d) => seen.push(['dump:finalized', d.name]));
  manager.on('dump:persisted', (d) => seen.push(['dump:persisted', d.name]));
  manager.on('dump:dropped', (d, reason) => seen.push(['dump:dropped', d.name, reason]));
  manager.on('persist:failed', (d, outcome) => seen.push(['persist:failed', d.name, outcome.error.message]));
  manager.on('error', (error) => seen.push(['error', '', error.message]));
  return {
    fake,
    storage,
    metrics,
    manager,
    seen,
    /** The names of the events of one kind, in order (with `detail` when `withDetail`). */
    names(kind: string): string[] {
      return seen.filter(([name]) => name === kind).map(([, dump]) => dump);
    },
    /** Advances virtual time, letting promises settle between timers. */
    tick: (ms: number) => fake.tickAsync(ms),
  };
}

/** A process of a container: `sh` → `<binary>`, pid 1 outside it. */
export function containerProcess(
  containerId: string,
  binary = '/usr/bin/app',
  firstPid = 100,
): ProcessContext {
  return buildLineage(['/bin/sh', binary], { containerId, firstPid });
}

/** Events that grow a dump by one new file each. */
export function openEvents(process: ProcessContext, count: number, prefix = '/data/file'): ActivityEvent[] {
  return Array.from({ length: count }, (_, i) =>
    event('open', process, { file: { path: `${prefix}-${i}` } }),
  );
}

/** `count` distinct processes of a container (each a new process node of ~1 KiB in the size budget). */
export function execEvents(containerId: string, count: number): ActivityEvent[] {
  return Array.from({ length: count }, (_, i) =>
    event(
      'exec',
      buildLineage(['/bin/sh', `/usr/bin/tool-${i}`], { containerId, firstPid: 1000 + 2 * i }),
      {},
    ),
  );
}

/** The dump of a container among the active ones. */
export function dumpOf(manager: ActivityDumpManager, containerId: string): ActivityDump | undefined {
  return manager.listDumps().find((d) => d.metadata?.containerId === containerId);
}
