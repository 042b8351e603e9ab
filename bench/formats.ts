import { Packr } from 'msgpackr';
import { Bench } from 'tinybench';
import { ActivityDump } from '../src/dump/activity-dump.js';
import { emptyMetadata } from '../src/dump/dump-metadata.js';
import { decodeDump } from '../src/encoding/decode-dump.js';
import { encodeDump } from '../src/encoding/encode-dump.js';
import { writeJsonDump } from '../src/encoding/json-dump-writer.js';
import { createProcesses, createRng, flat } from './workload.js';

const TARGET_NODES = 100_000;

/** A realistic dump of at least 100k nodes: processes with deep file trees, DNS and binds. */
function bigDump(): ActivityDump {
  const dump = new ActivityDump({
    host: 'bench-host',
    source: 'runtime-security-agent',
    tags: ['image_name:bench', 'image_tag:1.0'],
    metadata: emptyMetadata({ name: 'activity-dump-BenchBench', protobufVersion: 'v1', start: 1n, end: 2n }),
  });
  const rng = createRng(3);
  const processes = createProcesses(60, rng);
  let i = 0;
  while (dump.tree.stats.fileNodes + dump.tree.stats.processNodes < TARGET_NODES) {
    const process = processes[i % processes.length]!;
    const path = flat(`/srv/app/m${i % 13}/pkg${(i >> 4) % 50}/mod-${i}.py`);
    dump.tree.insert(
      { type: 'open', process, file: { path, inode: BigInt(i), mode: 0o100644 }, flags: 0 },
      { imageTag: '1.0' },
    );
    if (i % 500 === 0) {
      dump.tree.insert(
        { type: 'dns', process, dns: { name: `svc${i}.example.com`, type: 1 } },
        { imageTag: '1.0' },
      );
    }
    i++;
  }
  return dump;
}

function countNodes(dump: ActivityDump): number {
  let n = 0;
  for (const p of dump.tree.processNodes()) {
    n++;
    const stack = [...p.files];
    while (stack.length > 0) {
      const f = stack.pop()!;
      n++;
      stack.push(...f.children);
    }
    n += p.dnsNames.size + p.sockets.length + p.syscalls.length;
  }
  return n;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Encode/decode MB/s and dumps/s per format, beside msgpackr and JSON on a plain mirror. */
export async function runFormatsBench(): Promise<Record<string, unknown>> {
  const dump = bigDump();
  const encoded: Record<string, Uint8Array> = {};
  for (const format of ['json', 'protobuf', 'msgpack', 'profile', 'dot'])
    encoded[format] = encodeDump(dump, format);
  // The same dump as a plain object graph, the best case for general-purpose serialisers.
  const mirror = JSON.parse(writeJsonDump(dump)) as unknown;
  const packr = new Packr({ useRecords: true });
  const mirrorMsgpack = packr.pack(mirror);
  const mirrorJson = JSON.stringify(mirror);

  const bench = new Bench({ name: 'formats', time: 1500, warmupTime: 300 });
  for (const format of ['json', 'protobuf', 'msgpack', 'profile', 'dot']) {
    bench.add(`${format} encode`, () => {
      encodeDump(dump, format);
    });
    if (format !== 'dot') {
      bench.add(`${format} decode`, () => {
        decodeDump(encoded[format]!, { format });
      });
    }
  }
  bench.add('msgpackr pack (mirror)', () => {
    packr.pack(mirror);
  });
  bench.add('msgpackr unpack (mirror)', () => {
    packr.unpack(mirrorMsgpack);
  });
  bench.add('JSON.stringify (mirror)', () => {
    JSON.stringify(mirror);
  });
  bench.add('JSON.parse (mirror)', () => {
    JSON.parse(mirrorJson);
  });
  await bench.run();

  const ms: Record<string, number> = {};
  for (const task of bench.tasks) ms[task.name] = (task.result as { latency: { mean: number } }).latency.mean;
  const sizeOf = (name: string): number => {
    if (name.startsWith('msgpackr')) return mirrorMsgpack.length;
    if (name.startsWith('JSON')) return Buffer.byteLength(mirrorJson);
    return encoded[name.split(' ')[0]!]!.length;
  };
  const tasks: Record<string, { ms: number; mbPerSec: number; dumpsPerSec: number; bytes: number }> = {};
  for (const [name, mean] of Object.entries(ms)) {
    const bytes = sizeOf(name);
    tasks[name] = {
      ms: round(mean),
      mbPerSec: round(bytes / 1e6 / (mean / 1000)),
      dumpsPerSec: round(1000 / mean),
      bytes,
    };
  }
  return {
    nodes: countNodes(dump),
    tasks,
    ratios: {
      msgpackEncodeVsMsgpackrPack: round(ms['msgpack encode']! / ms['msgpackr pack (mirror)']!),
      msgpackDecodeVsMsgpackrUnpack: round(ms['msgpack decode']! / ms['msgpackr unpack (mirror)']!),
      jsonEncodeVsJsonStringify: round(ms['json encode']! / ms['JSON.stringify (mirror)']!),
      jsonDecodeVsJsonParse: round(ms['json decode']! / ms['JSON.parse (mirror)']!),
    },
  };
}
