import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateWorkload, WORKLOAD_FILE } from '../examples/workload/generate.js';
import { parseCwsEvent } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 60_000;

/** Runs an example the way a user would (`node --import tsx`), from the repository root. */
async function runExample(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    timeout: TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout; // execFile rejects on a non-zero exit code, failing the test.
}

describe('examples', () => {
  it(
    'demo.ts builds the tree of the bundled workload',
    async () => {
      const out = await runExample('examples/demo.ts');
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
