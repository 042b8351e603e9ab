/**
 * Builds the activity tree of a container from a bundled stream of Datadog CWS events, the way the
 * Datadog Agent builds an activity dump, and prints it.
 *
 *   npx tsx examples/replay-cws.ts
 *
 * The events (`workload/container-workload.jsonl`, one agent JSON event per line) are about two
 * minutes of a container running nginx, an `apt-get install`, and a Python app that calls curl;
 * `workload/generate.ts` writes them.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
// Applications import from 'activity-dump'; the examples import the sources so they run without a build.
import {
  ActivityTree,
  type DropReason,
  EVENT_TYPES,
  type InsertOutcome,
  parseCwsEvent,
  renderTreeDebug,
} from '../src/index.js';
import { CONTAINER_ID } from './workload/generate.js';

const IMAGE_TAG = 'nginx:1.25';
const WORKLOAD = fileURLToPath(new URL('./workload/container-workload.jsonl', import.meta.url));

/** What each drop reason means, for the summary. */
const DROP_HINTS: Record<DropReason, string> = {
  event_type: 'event type not traced',
  invalid_root_node: 'no process of the lineage can be the root of the tree',
  bind_family: 'bind on an address family other than IPv4/IPv6',
  broken_event: 'malformed event',
  broken_lineage: 'lineage does not reach pid 1',
  process_node_not_created: 'process outside the selector, here runc on the host',
  imds_filtered: 'IMDS response without credentials, or request without URL',
};

// An activity dump records one workload: the selector keeps the processes of the container (their
// host ancestors, containerd-shim and pid 1, stay out of the tree), and every event type is traced.
const tree = new ActivityTree({
  selector: (process) => process.containerId === CONTAINER_ID,
  tracedEventTypes: EVENT_TYPES,
});

// Parse each line and insert it. `insertWithOutcome` says what happened to the event: 'added' (the
// tree learned something), 'unchanged' (already known: de-duplicated), or why it was dropped.
const lines = readFileSync(WORKLOAD, 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const outcomes = new Map<InsertOutcome, number>();
for (const line of lines) {
  const outcome = tree.insertWithOutcome(parseCwsEvent(line), { imageTag: IMAGE_TAG });
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

console.log(`Activity dump of container ${CONTAINER_ID.slice(0, 12)} (image ${IMAGE_TAG})`);
console.log(`  ${lines.length} events read from ${relative(process.cwd(), WORKLOAD)}`);
console.log(`  ${outcomes.get('added') ?? 0} added something to the tree`);
console.log(`  ${outcomes.get('unchanged') ?? 0} were already known (de-duplicated)`);
for (const [outcome, n] of outcomes) {
  if (outcome === 'added' || outcome === 'unchanged') continue;
  console.log(`  ${n} dropped as ${outcome}: ${DROP_HINTS[outcome]}`);
}

// The tree, as the agent's debug text: each process with its files, DNS names and IMDS requests
// (sockets are counted below but not listed). Processes are told apart by executable, so the nginx
// workers, forks of the master, share its node; `is_exec_exec` marks an exec that replaced an
// exec'd image in place (`sh -c curl …` becoming curl).
console.log('\nTree:');
console.log(renderTreeDebug(tree));

// Node counts, event counters per type, and the size estimate a dump's budget is checked against.
const stats = tree.stats;
console.log('\nNodes:');
const nodeCounts = {
  process: stats.processNodes,
  file: stats.fileNodes,
  dns: stats.dnsNodes,
  socket: stats.socketNodes,
  imds: stats.imdsNodes,
};
for (const [kind, n] of Object.entries(nodeCounts))
  console.log(`  ${kind.padEnd(10)}${String(n).padStart(6)}`);

const counters = stats.counters();
const sum = (counts: Partial<Record<string, number>> = {}) =>
  Object.values(counts).reduce<number>((total, n) => total + (n ?? 0), 0);
const row = (cells: (string | number)[]) =>
  `  ${String(cells[0]).padEnd(10)}${cells
    .slice(1)
    .map((cell) => String(cell).padStart(10))
    .join('')}`;
// `added` under exec also counts each process node created, whatever the event that created it.
console.log('\nEvents:');
console.log(row(['type', 'processed', 'added', 'dropped']));
for (const type of EVENT_TYPES) {
  const processed = counters.processed[type] ?? 0;
  const added = sum(counters.added[type]);
  const dropped = sum(counters.dropped[type]);
  if (processed + added + dropped > 0) console.log(row([type, processed, added, dropped]));
}

console.log(`\nApproximate size: ${(tree.approximateSize() / 1024).toFixed(1)} KiB`);
