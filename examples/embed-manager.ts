/**
 * Embeds an `ActivityDumpManager` the way a service would, on virtual time: the manager records
 * the containers it sees, drops a deny-listed image, pauses a dump that outgrows its size budget
 * and splits it at the next load-controller pass, records a dump started and stopped by hand, and
 * persists everything when it closes. Then it prints what was stored.
 *
 *   npx tsx examples/embed-manager.ts
 *
 * Time is a `@sinonjs/fake-timers` clock (a dev dependency), so 90 seconds of the manager's life
 * run in a moment and the output is the same on every run, except the dump names: they are random.
 */
// Applications import from 'activity-dump' and 'activity-dump/testing'. The examples import the
// sources instead: the package's own name resolves to its build (dist/), absent from a fresh clone.
import { readFileSync } from 'node:fs';
import { createClock } from '@sinonjs/fake-timers';
import {
  type ActivityDump,
  ActivityDumpError,
  ActivityDumpManager,
  type ActivityEvent,
  type EventOutcome,
  type LoadReduction,
  METRIC_NAMES,
  parseCwsEvent,
  StorageManager,
  type TagsResolver,
} from '../src/index.js';
import {
  buildLineage,
  clockFromFakeTimers,
  event,
  MemoryStorage,
  RecordingMetrics,
} from '../src/testing/index.js';
import { CONTAINER_ID as STOREFRONT, WORKLOAD_FILE } from './workload/generate.js';

const BUILDER = '5b0e3c9d7a21f4e8b6c0d2a4f1e3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e3f5a7';
const DEBUG_SHELL = 'd3b06e1f2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e';
const REPORTS = '8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d';
const CONTAINERS = new Map([
  [STOREFRONT, 'storefront'],
  [BUILDER, 'builder'],
  [DEBUG_SHELL, 'debug-shell'],
  [REPORTS, 'reports'],
]);

const SECOND = 1000;
const MINUTE = 60 * SECOND;
/** 2024-06-03T14:00:00Z: virtual time starts here. */
const T0 = Date.UTC(2024, 5, 3, 14, 0, 0);

// What the container runtime would tell about each container. A dump gets its workload selector
// (image and tag) from the `image_name:` and `image_tag:` tags; `service:` names the dump's service.
const RUNTIME_TAGS: Readonly<Record<string, readonly string[]>> = {
  [STOREFRONT]: ['image_name:storefront', 'image_tag:1.25', 'service:storefront'],
  [BUILDER]: ['image_name:ci-builder', 'image_tag:2024.06', 'service:ci'],
  [DEBUG_SHELL]: ['image_name:debug-tools', 'image_tag:latest'],
  [REPORTS]: ['image_name:report-batch', 'image_tag:7.2', 'service:reports'],
};

// Asynchronous, as a lookup in the runtime would be; an empty list means "not known yet, ask again".
const tagsResolver: TagsResolver = {
  async resolve(workload) {
    return RUNTIME_TAGS[workload.containerId] ?? [];
  },
};

const clock = createClock(T0);
const metrics = new RecordingMetrics();
// In memory, so the example leaves nothing behind: MemoryStorage serves as the local backend of a
// StorageManager, which encodes each dump once per format and counts what is written. A service
// would leave `storage` out and get a LocalStorage in `localStorage.outputDirectory`.
const storage = new MemoryStorage();

const manager = new ActivityDumpManager({
  clock: clockFromFakeTimers(clock),
  storage: new StorageManager({ backends: [storage], metrics }),
  tagsResolver,
  metrics,
  // Fixed recorder fields, so that the stored bytes are the same on every machine.
  hostname: 'node-7',
  tags: ['env:staging'],
  metadata: { agentVersion: '0.1.0', kernelVersion: '6.8.0-31-generic', arch: 'x64' },
  localStorage: { formats: ['protobuf', 'profile'] },
  maxDumpSize: 100, // KiB, the smallest budget allowed: the builder's dump outgrows it in seconds
  workloadDenyList: ['debug-tools'], // never record this image
});

// ---- what the manager tells ------------------------------------------------------------------

function label(dump: ActivityDump): string {
  const id = dump.metadata?.containerId ?? '';
  return `${CONTAINERS.get(id) ?? 'unknown'} (${id.slice(0, 12)})`;
}
const seconds = (ms: number) => `${ms / SECOND} s`;

function log(what: string, detail: string): void {
  console.log(`[${String((clock.now - T0) / SECOND).padStart(3)} s] ${what.padEnd(10)} ${detail}`);
}

function describeReduction(reduction: LoadReduction): string {
  switch (reduction.kind) {
    case 'rate':
      return `rate ${reduction.from} → ${reduction.to} events/s`;
    case 'dump_timeout':
      return `time left ${seconds(reduction.from)} → ${seconds(reduction.to)}`;
    case 'traced_event_types':
      return `stops tracing ${reduction.eventType}`;
  }
}

manager.on('dump:started', (dump, origin) => log('started', `${label(dump)}, ${origin}`));
manager.on('dump:paused', (dump) =>
  log('paused', `${label(dump)}: ${dump.tree.approximateSize()} B, budget ${dump.maxSize} B`),
);
manager.on('dump:split', (previous, _next, reductions) =>
  log('split', `${label(previous)}: ${reductions.map(describeReduction).join(', ')}`),
);
const persisted: ActivityDump[] = [];
manager.on('dump:persisted', (dump, outcomes) => {
  persisted.push(dump);
  const copies = outcomes.map((o) =>
    o.ok ? `${o.request.format} ${o.size} B` : `${o.request.format} failed`,
  );
  log('persisted', `${label(dump)}: ${copies.join(', ')}`);
});
manager.on('dump:dropped', (dump, reason) => log('dropped', `${label(dump)}: ${reason}`));
manager.on('persist:failed', (dump, outcome) =>
  log('failed', `${label(dump)}: ${outcome.request.format}: ${outcome.error.message}`),
);
manager.on('error', (error) => log('error', error.message));

/** Feeds events and says what happened to them: how many were added, unchanged, turned away and why. */
function feed(name: string, events: Iterable<ActivityEvent>): void {
  const outcomes = new Map<EventOutcome, number>();
  let total = 0;
  for (const e of events) {
    const outcome = manager.handleEvent(e);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    total++;
  }
  const parts = [...outcomes].map(([outcome, n]) => `${n} ${outcome}`);
  log('events', `${name}: ${total} → ${parts.join(', ')}`);
}

async function advanceTo(ms: number): Promise<void> {
  await clock.tickAsync(T0 + ms - clock.now); // timers fire, and the promises they start settle
}

// ---- 0 s: two containers start ---------------------------------------------------------------

manager.start(); // the periodic tasks: cleanup, tag resolution, load controller, silent workloads, stats

// The bundled stream of CWS events: a storefront container (nginx, apt-get, a Python app). Its first
// event makes the admission start tracing it. Events of the host's runc are `host_process`; `bind`
// is not among the traced event types by default (exec, open, dns, imds); the tree itself filters an
// IMDS response that carries no credentials (`imds_filtered`).
const replay = readFileSync(WORKLOAD_FILE, 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => parseCwsEvent(line));
feed('storefront', replay);

// Someone opens a shell in a debug container. It is traced too, until its tags say it is deny-listed.
const curl = buildLineage(['/bin/sh', { path: '/usr/bin/curl', args: ['-s', 'http://storefront/'] }], {
  containerId: DEBUG_SHELL,
  firstPid: 300,
});
feed('debug-shell', [
  event('exec', curl, {}),
  event('dns', curl, { dns: { name: 'storefront.default.svc.cluster.local' } }),
]);

await advanceTo(1 * SECOND); // the tags resolve: the debug dump is dropped, never persisted

// ---- 1 s: a dump asked for by hand -----------------------------------------------------------

// Like the agent's `DumpActivity` API: this container, five minutes, stored as JSON only (an
// empty directory means the manager's).
const reports = manager.startDump({
  containerId: REPORTS,
  timeout: 5 * MINUTE,
  storage: { localStorageFormats: ['json'] },
});
try {
  manager.startDump({ containerId: REPORTS });
} catch (error) {
  if (!(error instanceof ActivityDumpError)) throw error;
  log('refused', `startDump again: ${error.name} (${error.code})`);
}
const report = buildLineage(['/bin/sh', { path: '/usr/bin/python3', args: ['report.py', '--daily'] }], {
  containerId: REPORTS,
  firstPid: 200,
});
feed('reports', [
  event('exec', report, {}),
  event('open', report, { file: { path: '/app/report.py' } }),
  event('open', report, { file: { path: '/data/orders.csv' } }),
  event('dns', report, { dns: { name: 'db.internal' } }),
  event('open', report, { file: { path: '/data/orders.csv' } }), // known: unchanged
]);

// ---- 1–7 s: a build outgrows the size budget -------------------------------------------------

// The builder's compiler opens 300 new source files a second (the rate limit allows 500). Its dump
// pauses at once when its tree reaches 100 KiB; later events are turned away as `paused`.
const tsc = buildLineage(
  ['/bin/sh', '/usr/bin/make', { path: '/usr/local/bin/node', args: ['node_modules/.bin/tsc', '-p', '.'] }],
  { containerId: BUILDER, firstPid: 400 },
);
feed('builder', [event('exec', tsc, {})]);
for (let second = 0; second < 6; second++) {
  const opens = Array.from({ length: 300 }, (_, i) => {
    const n = second * 300 + i;
    return event('open', tsc, {
      file: { path: `/workspace/src/pkg-${Math.floor(n / 40)}/mod-${n % 40}.ts` },
    });
  });
  feed('builder', opens);
  await advanceTo((2 + second) * SECOND);
}

// The debug container stays on the wait list for `cgroupWaitListTimeout` (75 min) after its tracing began.
feed('debug-shell', [event('exec', curl, {})]);

// ---- 20 s: the hand-started dump is stopped --------------------------------------------------

await advanceTo(20 * SECOND);
const ended = await manager.stopDump({ name: reports.name });
log('stopped', `${label(ended.dump)}: ${ended.status}`);
await manager.stopDump({ name: reports.name }).catch((error: ActivityDumpError) => {
  log('refused', `stopDump again: ${error.name} (${error.code})`);
});

// ---- 60 s: the load controller splits the paused dump ----------------------------------------

// The first dump is persisted; a continuation records on under the same tracing slot, with a tighter
// envelope since the dump filled up fast: a lower rate, less time, one event type fewer (imds).
await advanceTo(61 * SECOND);
const jest = buildLineage(
  ['/bin/sh', '/usr/bin/make', { path: '/usr/local/bin/node', args: ['node_modules/.bin/jest'] }],
  { containerId: BUILDER, firstPid: 500 },
);
feed('builder', [
  event('exec', jest, {}),
  ...Array.from({ length: 20 }, (_, i) =>
    event('open', jest, { file: { path: `/workspace/test/t-${i}.test.ts` } }),
  ),
  event('dns', jest, { dns: { name: 'registry.npmjs.org' } }),
  event('imds', jest, { imds: { type: 'request', cloudProvider: 'aws', url: '/latest/meta-data/' } }),
]);

// ---- 90 s: the service shuts down ------------------------------------------------------------

await advanceTo(90 * SECOND);
await manager.close(); // ends every active dump, persists it, waits for the persists, sends the last stats
log('closed', `${manager.listDumps().length} active dumps`);

// ---- summary ---------------------------------------------------------------------------------

console.log('\nPersisted dumps:');
for (const dump of persisted) {
  const stats = dump.tree.stats;
  const copies = storage.find(dump.name); // the encoded bytes MemoryStorage keeps
  console.log(`  ${label(dump)}  ${dump.name}`);
  console.log(`    tags    ${dump.tags.join(' ')}`);
  console.log(
    `    nodes   ${stats.processNodes} processes, ${stats.fileNodes} files, ${stats.dnsNodes} dns names`,
  );
  console.log(`    stored  ${copies.map((c) => `${c.request.format} ${c.bytes.length} B`).join(', ')}`);
}

const a = manager.accounting();
const dropped = Object.entries(a.dropped)
  .filter(([, n]) => n > 0)
  .map(([reason, n]) => `${reason} ${n}`);
console.log(
  `\nAccounting: started ${a.started} = persisted ${a.persisted} + dropped ${a.droppedTotal}` +
    ` (${dropped.join(', ')}) + active ${a.active} + persisting ${a.persisting}`,
);

/** Sum of a counter, and its split by the values of one tag. */
function counter(name: string, by?: string): string {
  const split = new Map<string, number>();
  for (const record of metrics.records) {
    if (record.name !== name || record.kind !== 'count' || by === undefined) continue;
    const tag = record.tags.find((t) => t.startsWith(`${by}:`)) ?? `${by}:none`;
    split.set(tag, (split.get(tag) ?? 0) + record.value);
  }
  const total = String(metrics.total(name)).padStart(7);
  const parts = [...split].map(([tag, n]) => `${tag} ${n}`);
  return parts.length === 0 ? total : `${total}  (${parts.join(', ')})`;
}
const show = (name: string) => name.replace(/^datadog\.runtime_security\.activity_dump\./, '');

console.log('\nMetrics (counter totals):');
const rows: [string, string][] = [
  [METRIC_NAMES.persistedDumps, counter(METRIC_NAMES.persistedDumps, 'format')],
  [METRIC_NAMES.sizeInBytes, counter(METRIC_NAMES.sizeInBytes)],
  [METRIC_NAMES.droppedDumps, counter(METRIC_NAMES.droppedDumps, 'reason')],
  [METRIC_NAMES.workloadDenyListHits, counter(METRIC_NAMES.workloadDenyListHits)],
  [METRIC_NAMES.loadControllerTriggered, counter(METRIC_NAMES.loadControllerTriggered, 'reduction')],
  [METRIC_NAMES.admissionRejected, counter(METRIC_NAMES.admissionRejected, 'reason')],
  [METRIC_NAMES.eventProcessed, counter(METRIC_NAMES.eventProcessed)],
  [METRIC_NAMES.eventAdded, counter(METRIC_NAMES.eventAdded)],
  [METRIC_NAMES.eventDropped, counter(METRIC_NAMES.eventDropped, 'reason')],
];
for (const [name, value] of rows) console.log(`  ${show(name).padEnd(26)}${value}`);
console.log(
  `  ${show(METRIC_NAMES.activeDumps).padEnd(26)}${String(metrics.lastGauge(METRIC_NAMES.activeDumps)).padStart(7)}  (gauge)`,
);
