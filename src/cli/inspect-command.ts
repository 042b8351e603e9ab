import type { ActivityDump } from '../dump/activity-dump.js';
import { readDumpFile } from '../encoding/read-dump-file.js';
import { type Command, parseCommandArgs } from './command.js';
import { UsageError } from './usage-error.js';

/** What `inspect` reports about a dump. */
export interface DumpSummary {
  name: string;
  host: string;
  service: string;
  source: string;
  containerId: string;
  start: string;
  end: string;
  tags: string[];
  nodes: Record<string, number>;
  approximateSizeBytes: number;
}

/** Summarises a dump: identity, time range, tags and node counts per kind. */
export function summarizeDump(dump: ActivityDump): DumpSummary {
  const s = dump.tree.stats;
  const m = dump.metadata;
  return {
    name: m?.name ?? '',
    host: dump.host,
    service: dump.service,
    source: dump.source,
    containerId: m?.containerId ?? '',
    start: m === undefined ? '' : nsToIso(m.start),
    end: m === undefined ? '' : nsToIso(m.end),
    tags: dump.tags,
    nodes: {
      process: s.processNodes,
      file: s.fileNodes,
      dns: s.dnsNodes,
      socket: s.socketNodes,
      imds: s.imdsNodes,
      syscall: s.syscallNodes,
      capability: s.capabilityNodes,
      flow: s.flowNodes,
    },
    approximateSizeBytes: dump.tree.approximateSize(),
  };
}

function nsToIso(ns: bigint): string {
  return ns === 0n ? '' : new Date(Number(ns / 1_000_000n)).toISOString();
}

function formatSummary(summary: DumpSummary): string {
  const rows: [string, string][] = [
    ['name', summary.name],
    ['host', summary.host],
    ['service', summary.service],
    ['source', summary.source],
    ['container', summary.containerId],
    ['start', summary.start],
    ['end', summary.end],
    ['tags', summary.tags.join(', ')],
    ...Object.entries(summary.nodes).map(([kind, n]): [string, string] => [`${kind} nodes`, String(n)]),
    ['approx. size', `${summary.approximateSizeBytes} bytes`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v === '' ? '-' : v}`).join('\n')}\n`;
}

/** `activity-dump inspect <file> [--json]`: metadata, node counts and size of a dump. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: "show a dump's metadata, node counts per kind and size",
  usage: [
    'Usage: activity-dump inspect <file> [--json] [--format <format>]',
    '',
    'Shows the metadata, tags, node counts per kind and approximate size of a dump file.',
    '',
    'Options:',
    '  --json             print the summary as JSON',
    '  --format <format>  format of the file (default: detected from its content)',
  ].join('\n'),
  async run(args, io) {
    const { positionals, values } = parseCommandArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, format: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one dump file');
    const summary = summarizeDump(await readDumpFile(positionals[0]!, { format: values.format }));
    io.stdout(values.json === true ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return 0;
  },
};
