/**
 * Records this machine for about 10 seconds from /proc, with a small workload started alongside
 * so there is always something to see, and writes the activity dumps (JSON) and a drawing of
 * each activity tree (SVG) to ./dumps/.
 *
 *   npm run demo
 *
 * No root, no server, no account: the recorder polls /proc (Linux). The workload is a shell
 * script that runs a few commands, reads files, keeps one open, and has node listen on a TCP
 * port of 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// Applications import from 'activity-dump'; the examples import the sources so they run without a build.
import { main } from '../src/cli/main.js';
import { renderSvg, tryLoadViz } from '../src/cli/svg-renderer.js';
import { ActivityDump, decodeDump, encodeDump, type FileNode, type ProcessNode } from '../src/index.js';

const OUTPUT = resolve('dumps');
const SECONDS = 10;

/** The workload: each step lasts long enough for the 250 ms polls to see it. */
const WORKLOAD = `
cd "$1"
exec 3< "$1/settings.conf"                  # keep a file open for the whole run
for round in 1 2; do
  timeout 1 tail -f /etc/hostname > /dev/null # a command that reads a file for a second
  ls -l "$1" > "$1/listing.txt"               # too quick for polling to see: see README
  sleep 1 < "$1/settings.conf"
done
"$2" -e "
const server = require('node:net').createServer().listen(0, '127.0.0.1', () => {
  console.log('demo workload: listening on 127.0.0.1:' + server.address().port);
  setTimeout(() => process.exit(0), 3000);
});"
`;

if (!existsSync('/proc/self/stat')) {
  console.error('The demo records /proc: it runs on Linux only. Try `npx tsx examples/replay-cws.ts`.');
  process.exit(1);
}

const work = await mkdtemp(join(tmpdir(), 'activity-dump-demo-'));
await writeFile(join(work, 'settings.conf'), 'color=blue\nretries=3\n');
await writeFile(join(work, 'workload.sh'), WORKLOAD);
await rm(OUTPUT, { recursive: true, force: true });

console.log(`Recording this machine for ${SECONDS} s; the demo workload runs from ${work}\n`);
const workload = spawn('/bin/sh', [join(work, 'workload.sh'), work, process.execPath], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
const code = await main(
  [
    'record',
    '--duration',
    `${SECONDS}s`,
    '--output',
    OUTPUT,
    '--formats',
    'json',
    '--svg',
    '--interval',
    '100ms',
  ],
  { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
);
workload.kill();

/** Where the demo workload landed: its process nodes, as an indented list. */
function describe(node: ProcessNode, depth: number, lines: string[]): void {
  const p = node.process;
  const files = [...node.files].flatMap(function walk(f: FileNode): string[] {
    return [...(f.file === undefined ? [] : [f.file.path]), ...f.children.flatMap(walk)];
  });
  const binds = node.sockets.flatMap((s) => s.binds.map((b) => `${b.ip}:${b.port}`));
  const shown = files.filter((f) => f.startsWith(work) || f.startsWith('/etc/'));
  const args = (p.args ?? []).join(' ').replace(/\s+/g, ' ');
  lines.push(
    `${'  '.repeat(depth)}${p.file.path} ${args.length > 60 ? `${args.slice(0, 57)}...` : args}`.trimEnd() +
      (shown.length > 0 ? `  files: ${shown.join(', ')}` : '') +
      (binds.length > 0 ? `  listens: ${binds.join(', ')}` : ''),
  );
  for (const child of node.children) describe(child, depth + 1, lines);
}

const jsonFiles = (await readdir(OUTPUT).catch(() => [])).filter((f) => f.endsWith('.json'));
for (const file of jsonFiles) {
  const dump = decodeDump(await readFile(join(OUTPUT, file)));
  const node = [...dump.tree.processNodes()].find((n) =>
    (n.process.args ?? []).some((a) => a.endsWith('workload.sh')),
  );
  if (node === undefined) continue;
  const lines: string[] = [];
  describe(node, 1, lines);
  console.log(`The demo workload in ${file}:\n${lines.join('\n')}\n`);
  // The whole machine makes a wide picture: draw the workload's own subtree too.
  const alone = new ActivityDump({
    host: dump.host,
    source: dump.source,
    tags: dump.tags,
    metadata: dump.metadata,
  });
  alone.tree.appendRoot(node);
  alone.tree.recountNodes();
  const viz = await tryLoadViz();
  const svg =
    viz === null ? undefined : await renderSvg(viz, new TextDecoder().decode(encodeDump(alone, 'dot')));
  if (svg !== undefined && svg.error === undefined) {
    await writeFile(join(OUTPUT, 'demo-workload.svg'), svg.output);
    console.log(`The demo workload alone: ${join(OUTPUT, 'demo-workload.svg')}`);
  }
}
console.log(`Open ${join(OUTPUT, '*.svg')} in a browser to see each activity tree, or run`);
console.log(`  npx tsx src/cli/bin.ts inspect ${join(OUTPUT, jsonFiles[0] ?? '<dump>.json')}`);
await rm(work, { recursive: true, force: true });
process.exitCode = code;
