/**
 * Records real activity from /proc with the library's own parts — what `activity-dump record`
 * does, in a few lines you can adapt: a ProcfsEventSource polls /proc and feeds the manager, a
 * ProcfsSnapshotter fills each new dump with what already runs, and the manager's default
 * storage writes the dumps when it closes.
 *
 *   npx tsx examples/record-procfs.ts [seconds]
 *
 * Linux only; no root needed (other users' processes then show less).
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Applications import from 'activity-dump'; the examples import the sources so they run without a build.
import { ActivityDumpManager, ProcfsEventSource, ProcfsSnapshotter } from '../src/index.js';

const seconds = Number(process.argv[2] ?? 3);
const output = await mkdtemp(join(tmpdir(), 'activity-dumps-'));
const snapshotter = new ProcfsSnapshotter();

const manager = new ActivityDumpManager({
  localStorage: { formats: ['json', 'protobuf'], outputDirectory: output },
  tracedEventTypes: ['exec', 'open', 'bind'],
  traceHostProcesses: true, // machines without containers have only the host workload
  processSnapshotter: snapshotter,
  dumpDuration: (seconds + 60) * 1000, // close() ends the dumps, not their timeout
});
manager.on('dump:started', (dump, origin) => console.log(`started ${dump.name} (${origin})`));
manager.on('dump:persisted', (dump, outcomes) => {
  const s = dump.tree.stats;
  console.log(
    `wrote ${dump.name}: ${s.processNodes} processes, ${s.fileNodes} files, ${s.socketNodes} sockets`,
  );
  for (const outcome of outcomes) if (outcome.ok) console.log(`  ${outcome.location} (${outcome.size} B)`);
});

const source = new ProcfsEventSource({ sink: manager, interval: 250 });
manager.start();
source.start();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
await source.stop();
await manager.close();

console.log(`\n${source.stats.polls} polls, ${source.stats.events} events; snapshot read`, snapshotter.stats);
console.log(`files in ${output}: ${(await readdir(output)).length}`);
