// Convert a dump between formats, in memory and on disk.
//
//   npx tsx examples/transcode.ts [dump file]
//
// Without an argument it uses a dump built from a few events. Applications import from
// 'activity-dump'; the examples import the sources so they run without a build.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ActivityDump,
  DUMP_FORMATS,
  decodeDump,
  emptyMetadata,
  encodeDump,
  readDumpFile,
  transcodeDump,
} from '../src/index.js';
import { buildLineage, event } from '../src/testing/index.js';

async function loadDump(): Promise<ActivityDump> {
  const path = process.argv[2];
  if (path !== undefined) return readDumpFile(path); // format from the extension, else sniffed
  const dump = new ActivityDump({
    host: 'example-host',
    source: 'runtime-security-agent',
    tags: ['image_name:nginx', 'image_tag:1.25'],
    metadata: emptyMetadata({ name: 'activity-dump-ExampleAbc', protobufVersion: 'v1' }),
  });
  const nginx = buildLineage(['/bin/sh', '/usr/sbin/nginx'], { containerId: 'c0ffee' });
  dump.tree.insert(event('exec', nginx, {}), { imageTag: '1.25' });
  dump.tree.insert(event('open', nginx, { file: { path: '/etc/nginx/nginx.conf' } }), { imageTag: '1.25' });
  dump.tree.insert(
    event('bind', nginx, { bind: { family: 'AF_INET', ip: '0.0.0.0', port: 80, protocol: 6 } }),
  );
  return dump;
}

const dump = await loadDump();

// In memory: every format, plain and gzipped. Decoding sniffs the format and unwraps gzip.
for (const format of DUMP_FORMATS) {
  if (format === 'profile' && !dump.tags.some((t) => t.startsWith('image_tag:'))) continue; // needs a selector
  const plain = encodeDump(dump, format);
  const gzipped = encodeDump(dump, format, { compression: true });
  const line = `${format.padEnd(9)} ${String(plain.length).padStart(8)} B  gzipped ${String(gzipped.length).padStart(7)} B`;
  if (format === 'dot') {
    console.log(`${line}  (output only)`);
    continue;
  }
  const back = decodeDump(gzipped, format === 'profile' ? { format } : {});
  console.log(
    `${line}  decoded: ${back.tree.stats.processNodes} process nodes, ${back.tree.stats.fileNodes} file nodes`,
  );
}

// On disk: the agent's "generate encoding" flow, `<name>.<format>[.gz]` files in a directory.
const outputDir = await mkdtemp(join(tmpdir(), 'activity-dump-'));
const written = await transcodeDump(dump, { formats: ['json', 'protobuf', 'msgpack', 'dot'], outputDir });
for (const file of written) console.log(`wrote ${file.path} (${file.size} B)`);
