import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActivityDump } from '../dump/activity-dump.js';
import { encodeDot } from '../encoding/dot-encoder.js';
import { FORMAT_EXTENSIONS, parseDumpFormat } from '../encoding/dump-format.js';
import type { ProcEntry } from '../events/procfs/process-table.js';
import { ProcfsEventSource } from '../events/procfs/procfs-event-source.js';
import { ProcfsSnapshotter } from '../events/procfs/procfs-snapshotter.js';
import { ActivityDumpManager } from '../manager/activity-dump-manager.js';
import type { PersistOutcome } from '../storage/dump-persister.js';
import { type Command, type CommandIo, parseCommandArgs } from './command.js';
import { parseDuration } from './duration.js';
import { loadViz, renderSvg, tryLoadViz, VIZ_MISSING, type VizLoader } from './svg-renderer.js';
import { UsageError } from './usage-error.js';

/** One dump the recording wrote. */
interface Written {
  dump: ActivityDump;
  files: string[];
}

const RECORDED_TYPES = ['exec', 'open', 'dns', 'imds', 'bind'] as const;

function workloadOf(dump: ActivityDump): string {
  const id = dump.metadata?.containerId ?? '';
  if (id !== '') return `container ${id.slice(0, 12)}`;
  const cgroup = dump.metadata?.cgroupId ?? '';
  return cgroup === '' ? 'host' : `cgroup ${cgroup}`;
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows
    .map((row) =>
      row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n');
}

/** A progress line: a bar on a terminal, plain lines otherwise. */
function progress(io: CommandIo, left: number, total: number, events: number, nodes: number): void {
  const seconds = Math.ceil(left / 1000);
  const text = `${seconds}s left, ${events} events seen, ${nodes} nodes recorded`;
  if (io.isTTY === true) {
    const width = 24;
    const done = Math.round(((total - left) / total) * width);
    io.stdout(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${text}   `);
  } else {
    io.stdout(`recording: ${text}\n`);
  }
}

function nodeCount(manager: ActivityDumpManager): number {
  let n = 0;
  for (const dump of manager.listDumps()) {
    const s = dump.tree.stats;
    n += s.processNodes + s.fileNodes + s.dnsNodes + s.socketNodes + s.imdsNodes;
  }
  return n;
}

/** Waits `ms`, or less when the signal is aborted first. */
function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Builds the `record` command; `load` replaces the `@viz-js/viz` import (tests use it). */
export function createRecordCommand(load: VizLoader = loadViz): Command {
  return {
    name: 'record',
    summary: 'record what runs on this machine from /proc into activity dumps',
    usage: [
      'Usage: activity-dump record [--duration 30s] [--output ./dumps] [--formats json,protobuf,msgpack,dot]',
      '                            [--svg] [--workload <container id> | --host] [--interval 250ms]',
      '',
      'Records the processes of this machine (their exec tree, open files and bound sockets) by',
      'polling /proc, with one activity dump per container and one for the host, and writes the',
      'dumps to a directory when the time is up or on Ctrl-C. Needs no root, no server and no',
      'account (without root, other users’ processes show less).',
      '',
      'Options:',
      '  --duration <time>     how long to record (30s, 2m, …) (default: 30s)',
      '  --output <dir>        where the dumps go (default: ./dumps)',
      '  --formats <formats>   comma-separated formats to write (default: json)',
      '  --svg                 also draw each dump as <name>.svg (needs @viz-js/viz)',
      '  --workload <id>       record only this container (a prefix of its id is enough)',
      '  --host                record only processes outside containers',
      '  --interval <time>     time between two polls of /proc (default: 250ms)',
    ].join('\n'),
    async run(args, io) {
      const { values, positionals } = parseCommandArgs({
        args,
        allowPositionals: false,
        options: {
          duration: { type: 'string' },
          output: { type: 'string', short: 'o' },
          formats: { type: 'string', multiple: true },
          svg: { type: 'boolean' },
          workload: { type: 'string' },
          host: { type: 'boolean' },
          interval: { type: 'string' },
        },
      });
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${String(positionals.at(0))}'`);
      if (values.workload !== undefined && values.host === true) {
        throw new UsageError('--workload and --host cannot go together');
      }
      const duration = parseDuration(values.duration ?? '30s', '--duration');
      const interval = parseDuration(values.interval ?? '250ms', '--interval');
      const output = values.output ?? 'dumps';
      const formats = [
        ...new Set((values.formats ?? ['json']).flatMap((f) => f.split(',')).filter((f) => f.trim() !== '')),
      ].map((f) => {
        try {
          return parseDumpFormat(f);
        } catch (error) {
          throw new UsageError(error instanceof Error ? error.message : String(error));
        }
      });
      const viz = values.svg === true ? await tryLoadViz(load) : undefined;
      if (viz === null) {
        io.stderr(`activity-dump record: ${VIZ_MISSING}or leave --svg out\n`);
        return 1;
      }
      const workload = values.workload;
      const filter =
        workload !== undefined
          ? (entry: ProcEntry) =>
              entry.identity.containerId !== '' && entry.identity.containerId.startsWith(workload)
          : values.host === true
            ? (entry: ProcEntry) => entry.identity.containerId === ''
            : undefined;

      const manager = new ActivityDumpManager({
        localStorage: { formats, outputDirectory: output },
        // Every dump lives as long as the recording: close() ends and writes them.
        dumpDuration: duration + 60_000,
        tracedEventTypes: [...RECORDED_TYPES],
        traceHostProcesses: workload === undefined,
        tracedCgroupsCount: 128,
        rateLimit: 100_000,
        processSnapshotter: new ProcfsSnapshotter(),
      });
      const written: Written[] = [];
      manager.on('dump:persisted', (dump, outcomes: readonly PersistOutcome[]) => {
        written.push({ dump, files: outcomes.flatMap((o) => (o.ok ? [o.location] : [])) });
      });
      manager.on('persist:failed', (dump, outcome) => {
        io.stderr(
          `activity-dump record: couldn't write ${dump.name} as ${outcome.request.format}: ${outcome.error.message}\n`,
        );
      });
      const aborted = new AbortController();
      const source = new ProcfsEventSource({
        sink: manager,
        interval,
        signal: aborted.signal,
        ...(filter === undefined ? {} : { filter }),
        onError: (error) => io.stderr(`activity-dump record: ${error.message}\n`),
      });
      const stop = () => aborted.abort();
      process.once('SIGINT', stop);
      try {
        const start = Date.now();
        manager.start();
        source.start();
        const every = io.isTTY === true ? 250 : Math.max(1000, Math.round(duration / 10));
        let last = 0;
        while (!aborted.signal.aborted) {
          const left = duration - (Date.now() - start);
          if (left <= 0) break;
          if (io.isTTY === true || Date.now() - last >= every) {
            progress(io, left, duration, source.stats.events, nodeCount(manager));
            last = Date.now();
          }
          await sleepUnlessAborted(Math.min(every, left), aborted.signal);
        }
        if (io.isTTY === true) io.stdout('\n');
        io.stdout(aborted.signal.aborted ? 'interrupted: writing the dumps\n' : 'done: writing the dumps\n');
        await source.stop();
        await manager.close();
      } finally {
        process.removeListener('SIGINT', stop);
      }

      if (viz !== undefined) {
        for (const entry of written) {
          const path = join(output, `${entry.dump.name}.svg`);
          const svg = await renderSvg(viz, encodeDot(entry.dump));
          if (svg.error !== undefined) {
            io.stderr(`activity-dump record: couldn't draw ${entry.dump.name}: ${svg.error}\n`);
            continue;
          }
          await writeFile(path, svg.output);
          entry.files.push(path);
        }
      }
      const rows = [['workload', 'processes', 'files', 'dns', 'sockets', 'size', 'files written']];
      for (const { dump, files } of written) {
        const s = dump.tree.stats;
        rows.push([
          workloadOf(dump),
          String(s.processNodes),
          String(s.fileNodes),
          String(s.dnsNodes),
          String(s.socketNodes),
          size(dump.tree.approximateSize()),
          files.map((f) => f.slice(f.lastIndexOf('/') + 1)).join(' '),
        ]);
      }
      io.stdout(`\n${table(rows)}\n\n`);
      const accounting = manager.accounting();
      io.stdout(
        `${written.length} dump(s) written to ${output} (${formats.map((f) => `.${FORMAT_EXTENSIONS[f]}`).join(', ')}${viz === undefined ? '' : ', .svg'}); ` +
          `${accounting.droppedTotal} dropped (${
            Object.entries(accounting.dropped)
              .filter(([, n]) => n > 0)
              .map(([reason, n]) => `${reason} ${n}`)
              .join(', ') || 'none'
          })\n`,
      );
      return written.length > 0 ? 0 : 1;
    },
  };
}

/** `activity-dump record`: records this machine from /proc into dumps. */
export const recordCommand: Command = createRecordCommand();
