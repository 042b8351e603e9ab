import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateWorkload, WORKLOAD_FILE } from '../examples/workload/generate.js';
import { parseCwsEvent } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 60_000;

/** Runs an example the way a user would (`node --import tsx`), from the repository root. */
async function runExample(file: string, args: readonly string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    timeout: TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout; // execFile rejects on a non-zero exit code, failing the test.
}

describe('examples', () => {
  it.skipIf(!existsSync('/proc/self/stat'))(
    'demo.ts records this machine with its workload and writes JSON and SVG to ./dumps',
    async () => {
      const out = await runExample('examples/demo.ts');
      expect(out).toMatch(/^recording: \d+s left, \d+ events seen, \d+ nodes recorded$/m);
      expect(out).toMatch(/^The demo workload in activity-dump-[A-Za-z]{10}\.json:$/m);
      expect(out).toMatch(/^ {4}\S*timeout 1 tail -f \/etc\/hostname/m);
      expect(out).toMatch(/^ {6}\S*tail -f \/etc\/hostname +files: \/etc\/hostname/m);
      expect(out).toMatch(/listens: 127\.0\.0\.1:\d+$/m);
      const written = readdirSync(join(ROOT, 'dumps'));
      expect(written.some((f) => f.endsWith('.json'))).toBe(true);
      expect(written.some((f) => f.endsWith('.svg'))).toBe(true);
    },
    TIMEOUT_MS,
  );

  it.skipIf(!existsSync('/proc/self/stat'))(
    'record-procfs.ts records from /proc through the library parts',
    async () => {
      const out = await runExample('examples/record-procfs.ts', ['1']);
      expect(out).toMatch(/^started activity-dump-[A-Za-z]{10} \(admission\)$/m);
      expect(out).toMatch(/^wrote activity-dump-[A-Za-z]{10}: \d+ processes, \d+ files, \d+ sockets$/m);
      expect(out).toMatch(/^files in \S+: 2$/m);
    },
    TIMEOUT_MS,
  );

  it(
    'replay-cws.ts builds the tree of the bundled workload',
    async () => {
      const out = await runExample('examples/replay-cws.ts');
      const lines = out.split('\n');
      expect(lines).toContain('- process: /bin/sh (argv0: /bin/sh) (is_exec_exec:false)');
      expect(lines).toContain('    - process: /usr/sbin/nginx (argv0: nginx) (is_exec_exec:false)');
      expect(lines).toContain('    - process: /usr/bin/apt-get (argv0: apt-get) (is_exec_exec:false)');
      expect(lines).toContain('    - process: /usr/local/bin/python3 (argv0: python3) (is_exec_exec:false)');
      expect(lines).toContain('            - process: /usr/bin/curl (argv0: curl) (is_exec_exec:true)');
      expect(out).toContain('- process: /usr/bin/dpkg-deb');
      expect(out).toContain('- deb.debian.org');
      expect(out).toContain('- aws | request');
      expect(out).toMatch(/^ {2}\d+ events read from /m);
      expect(out).toMatch(/^ {2}\d+ dropped as process_node_not_created: /m);
      const processNodes = /^ {2}process +(\d+)$/m.exec(out);
      expect(Number(processNodes?.[1])).toBeGreaterThan(0);
      expect(out).toMatch(/^Approximate size: [\d.]+ KiB$/m);
    },
    TIMEOUT_MS,
  );

  it(
    'custom-backend.ts passes the conformance suite and stores the manager dumps in the bucket',
    async () => {
      const out = await runExample('examples/custom-backend.ts');
      expect(out).not.toContain('FAIL');
      expect(out.match(/^ {2}ok {4}/gm)?.length).toBeGreaterThanOrEqual(10);
      expect(out).toMatch(/^ {2}stored prod\/checkout\/activity-dump-[A-Za-z]{10}\.protobuf\.gz \(\d+ B\)$/m);
      expect(out).toMatch(/^ {2}stored prod\/checkout\/activity-dump-[A-Za-z]{10}\.json\.gz \(\d+ B\)$/m);
      expect(out).toContain('Objects in the bucket: 2');
    },
    TIMEOUT_MS,
  );

  it(
    'basic-tree.ts shows insert results, contains and a drop reason',
    async () => {
      const out = await runExample('examples/basic-tree.ts');
      expect(out).toMatch(/^\.\.\. and again: +false$/m);
      expect(out).toMatch(/^contains \/etc\/hosts\? +true$/m);
      expect(out).toMatch(/^exec without pid 1: +broken_lineage$/m);
      expect(out).toContain('- process: /bin/bash (argv0: bash) (is_exec_exec:false)');
      expect(out).toContain('    - process: /usr/bin/curl (argv0: curl) (is_exec_exec:false)');
    },
    TIMEOUT_MS,
  );

  it(
    'transcode.ts encodes and decodes every format and writes the files',
    async () => {
      const out = await runExample('examples/transcode.ts');
      for (const format of ['json', 'protobuf', 'msgpack', 'profile']) {
        expect(out).toMatch(new RegExp(`^${format} .* decoded: 2 process nodes, 1 file nodes$`, 'm'));
      }
      expect(out).toMatch(/^dot .*\(output only\)$/m);
      expect(out).toMatch(/^wrote .*activity-dump-ExampleAbc\.msgpack \(\d+ B\)$/m);
    },
    TIMEOUT_MS,
  );

  it(
    'embed-manager.ts runs the manager on virtual time: deny list, user dump, pause and split, close',
    async () => {
      const out = await runExample('examples/embed-manager.ts');
      // The event log, `[ 60 s] split      builder …` read as `60 s split builder …`.
      const log = out
        .split('\n')
        .filter((l) => l.startsWith('['))
        .map((l) => l.replace(/^\[ *(\d+) s\] (\S+) +/, '$1 s $2 '));
      expect(log).toContain('0 s started storefront (19e5f8ef6e36), admission');
      expect(log).toContain('0 s dropped debug-shell (d3b06e1f2a4c): deny_list');
      expect(log).toContain('1 s started reports (8c1d2e3f4a5b), api');
      expect(log).toContain(
        '1 s refused startDump again: DumpAlreadyRunningError (AD_ERR_DUMP_ALREADY_RUNNING)',
      );
      expect(log).toContain('5 s paused builder (5b0e3c9d7a21): 102432 B, budget 102400 B');
      expect(log).toContain('6 s events builder: 300 → 300 paused');
      expect(log).toContain('7 s events debug-shell: 1 → 1 wait_list');
      expect(log).toContain('20 s stopped reports (8c1d2e3f4a5b): persisted');
      expect(log).toContain('20 s refused stopDump again: DumpNotFoundError (AD_ERR_DUMP_NOT_FOUND)');
      expect(log).toContain('60 s started builder (5b0e3c9d7a21), split');
      expect(log).toContain(
        '60 s split builder (5b0e3c9d7a21): rate 500 → 375 events/s, time left 841 s → 630.75 s, stops tracing imds',
      );
      expect(log).toContain('61 s events builder: 23 → 22 added, 1 event_type');
      expect(log).toContain('90 s closed 0 active dumps');
      expect(out).toMatch(/^\[ 20 s\] persisted +reports \(8c1d2e3f4a5b\): json \d+ B$/m);
      expect(out).toMatch(/^\[ 60 s\] persisted +builder \(5b0e3c9d7a21\): protobuf \d+ B, profile \d+ B$/m);

      // One block per persisted dump, in the order they were persisted; names are random.
      const persisted = [...out.matchAll(/^ {2}([\w-]+) \([0-9a-f]{12}\) {2}activity-dump-[A-Za-z]{10}$/gm)];
      expect(persisted.map((m) => m[1])).toEqual(['reports', 'builder', 'storefront', 'builder']);
      expect(out).toMatch(
        /^ {4}tags {4}image_name:report-batch image_tag:7\.2 service:reports host:node-7 env:staging source:runtime-security-agent container_id:8c1d2e3f4a5b\w+$/m,
      );
      expect(out).toMatch(/^ {4}nodes {3}2 processes, 4 files, 1 dns names$/m);
      expect(out).toMatch(/^ {4}stored {2}json \d+ B$/m);
      expect(out.match(/^ {4}stored {2}protobuf \d+ B, profile \d+ B$/gm)).toHaveLength(3);

      const accounting =
        /^Accounting: started (\d+) = persisted (\d+) \+ dropped (\d+) \(deny_list 1\) \+ active (\d+) \+ persisting (\d+)$/m.exec(
          out,
        );
      const [started, ...ends] = (accounting?.slice(1) ?? []).map(Number);
      expect(started).toBe(5);
      expect(ends).toEqual([4, 1, 0, 0]);

      expect(out).toMatch(
        /^ {2}persisted_dumps +7 {2}\(format:json 1, format:protobuf 3, format:profile 3\)$/m,
      );
      expect(out).toMatch(/^ {2}dropped_dumps +1 {2}\(reason:deny_list 1\)$/m);
      expect(out).toMatch(/^ {2}workload_deny_list_hits +1$/m);
      expect(out).toMatch(
        /^ {2}load_controller_triggered +3 {2}\(reduction:rate 1, reduction:dump_timeout 1, reduction:traced_event_types 1\)$/m,
      );
      expect(out).toMatch(/^ {2}admission\.rejected +\d+ {2}\(.*reason:paused \d+.*reason:wait_list 1.*\)$/m);
      expect(out).toMatch(/^ {2}active_dumps +0 {2}\(gauge\)$/m);
    },
    TIMEOUT_MS,
  );
});

describe('bundled workload', () => {
  const lines = generateWorkload();

  it('is what the generator writes (regenerate with `npx tsx examples/workload/generate.ts`)', () => {
    expect(readFileSync(WORKLOAD_FILE, 'utf8')).toBe(`${lines.join('\n')}\n`);
  });

  it('stays small: 300–1500 events, under 1 MB', () => {
    expect(lines.length).toBeGreaterThanOrEqual(300);
    expect(lines.length).toBeLessThanOrEqual(1500);
    expect(statSync(WORKLOAD_FILE).size).toBeLessThan(1_000_000);
  });

  it('parses line by line with parseCwsEvent', () => {
    const types = new Set<string>();
    for (const line of lines) types.add(parseCwsEvent(line).type);
    expect([...types].sort()).toEqual(['bind', 'dns', 'exec', 'exit', 'fork', 'imds', 'open']);
  });
});
