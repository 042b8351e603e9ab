import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecordCommand } from '../../src/cli/record-command.js';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import { type CliResult, runCli } from '../support/cli.js';

const HAS_PROC = existsSync('/proc/self/stat');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROCESS_STROKE = 'stroke="#8fbbff"'; // the DOT encoder's process-node color

function run(...argv: string[]): Promise<CliResult> {
  return runCli(argv);
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('activity-dump record', () => {
  it.skipIf(!HAS_PROC)(
    `records this machine for 3 s and writes dumps that decode, with an SVG per dump${HAS_PROC ? '' : ' (no /proc: Linux only)'}`,
    async () => {
      const output = await mkdtemp(join(tmpdir(), 'ad-record-'));
      dirs.push(output);
      const result = await run(
        'record',
        '--duration',
        '3s',
        '--output',
        output,
        '--svg',
        '--formats',
        'json,msgpack',
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^recording: \ds left, \d+ events seen, \d+ nodes recorded$/m);
      expect(result.stdout).toMatch(/^workload +processes +files +dns +sockets +size +files written$/m);
      const files = (await readdir(output)).sort();
      const names = [...new Set(files.map((f) => f.slice(0, f.indexOf('.'))))];
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        expect(files).toEqual(expect.arrayContaining([`${name}.json`, `${name}.msgpack`, `${name}.svg`]));
        const dump = decodeDump(await readFile(join(output, `${name}.json`)));
        const packed = decodeDump(await readFile(join(output, `${name}.msgpack`)));
        expect(packed.tree.stats.processNodes).toBe(dump.tree.stats.processNodes);
        expect(dump.tree.stats.processNodes).toBeGreaterThan(0);
        const svg = await readFile(join(output, `${name}.svg`), 'utf8');
        expect(svg).toMatch(
          /^<\?xml[^>]*\?>\s*<!DOCTYPE svg[^>]*>\s*<!--[\s\S]*?-->\s*<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
        );
        expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
        // One drawn node per process node: the process nodes are the ones in the process color.
        const nodes = svg.split('<g id="node').slice(1);
        const processNodes = nodes.filter((node) =>
          node.slice(0, node.indexOf('</g>')).includes(PROCESS_STROKE),
        );
        expect(processNodes).toHaveLength(dump.tree.stats.processNodes);
        expect(result.stdout).toContain(name);
      }
    },
    60_000,
  );

  it.skipIf(!HAS_PROC)(
    'writes the dumps when interrupted with Ctrl-C (SIGINT) before the time is up',
    async () => {
      const output = await mkdtemp(join(tmpdir(), 'ad-record-int-'));
      dirs.push(output);
      const cli = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/bin.ts', 'record', '--duration', '10m', '--output', output, '--host'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      cli.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      // Interrupt once it records (its first progress line is printed when it starts).
      while (!stdout.includes('recording:')) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 500));
      cli.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
      expect(code).toBe(0);
      expect(stdout).toContain('interrupted: writing the dumps');
      const files = await readdir(output);
      expect(files.some((f) => f.endsWith('.json'))).toBe(true);
      expect(
        decodeDump(await readFile(join(output, files.find((f) => f.endsWith('.json'))!))).tree.isEmpty(),
      ).toBe(false);
    },
    60_000,
  );

  it('refuses conflicting or malformed options with exit code 2', async () => {
    expect((await run('record', '--workload', 'abc', '--host')).code).toBe(2);
    const bad = await run('record', '--duration', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--duration: not a duration: 'soon'");
    expect((await run('record', '--duration', '0s')).code).toBe(2);
    expect((await run('record', '--formats', 'yaml')).code).toBe(2);
    expect((await run('record', 'extra')).code).toBe(2);
    expect((await run('record', '--help')).stdout).toContain('Usage: activity-dump record');
  });

  it('says how to get SVG rendering when @viz-js/viz is missing', async () => {
    const missing = Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' });
    const command = createRecordCommand(() => Promise.reject(missing));
    let stderr = '';
    const code = await command.run(['--svg', '--duration', '1s'], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
    });
    expect(code).toBe(1);
    expect(stderr).toContain('npm install @viz-js/viz');
  });
});
