import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRenderCommand, renderCommand } from '../../src/cli/render-command.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { DATADOG_FIXTURES, hasDatadogFixtures, MISSING_FIXTURES_REASON } from '../support/fixtures.js';

type Runner = typeof renderCommand;

async function run(
  command: Runner,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await command.run(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

// A small dump written by hand in the agent's protobuf-JSON form, so the command is exercised
// even without the shared fixtures.
const HAND_DUMP = JSON.stringify({
  host: 'h',
  metadata: { name: 'activity-dump-abcdefghij', container_id: 'c0ffee' },
  tags: ['image_name:nginx'],
  tree: [
    {
      process: { pid: 1, file: { path: '/bin/sh' }, args: ['-c', 'echo "hi" | {x} <y>'] },
      generation_type: 'RUNTIME',
      files: [{ name: 'etc', children: [{ name: 'passwd', file: { path: '/etc/passwd' } }] }],
      children: [{ process: { pid: 2, file: { path: '/bin/ls' } }, generation_type: 'SNAPSHOT' }],
    },
  ],
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ad-render-'));
}

describe('activity-dump render', () => {
  it('describes itself', () => {
    expect(renderCommand.name).toBe('render');
    expect(renderCommand.usage).toContain('Usage: activity-dump render <file> -o <out.svg|out.dot>');
    expect(renderCommand.usage).toContain('npm install @viz-js/viz');
  });

  it('writes the dot source for a .dot output', async () => {
    const dir = tempDir();
    const input = join(dir, 'dump.json');
    writeFileSync(input, HAND_DUMP);
    const out = join(dir, 'graph.dot');
    const result = await run(renderCommand, input, '-o', out);
    expect(result).toEqual({ code: 0, stdout: `wrote ${out}\n`, stderr: '' });
    const dot = readFileSync(out, 'utf8');
    expect(dot.startsWith('digraph {\n')).toBe(true);
    expect(dot).toContain('label = "activity-dump-abcdefghij: image_name:nginx"');
    expect(dot).toContain('node_1 [label="/bin/sh -c echo \\"hi\\" \\| \\{x\\} \\<y\\>|(NoHash)"');
    expect(dot.match(/^\t\tnode_\d+ \[label=/gm)).toHaveLength(4);
    expect(dot.match(/^\t\tnode_\d+ -> node_\d+ /gm)).toHaveLength(3);
  });

  it('renders SVG with @viz-js/viz for a .svg output', async () => {
    const dir = tempDir();
    const input = join(dir, 'dump.json');
    writeFileSync(input, HAND_DUMP);
    const out = join(dir, 'graph.SVG');
    const result = await run(renderCommand, input, '--output', out, '--format', 'json');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const svg = readFileSync(out, 'utf8');
    expect(svg.slice(svg.indexOf('<svg'))).toMatch(/^<svg/);
    expect(svg).toContain('</svg>');
    expect(svg.match(/<g id="node\d+" class="node">/g)).toHaveLength(4);
    expect(svg).toContain('/bin/ls');
  });

  if (!hasDatadogFixtures) console.warn(MISSING_FIXTURES_REASON);
  it.skipIf(!hasDatadogFixtures)('renders an agent fixture to .dot and .svg', async () => {
    const input = join(DATADOG_FIXTURES, 'activity-tree-suite', 'exec-12_wanted_tree.json');
    const dir = tempDir();
    expect((await run(renderCommand, input, '-o', join(dir, 'tree.dot'))).code).toBe(0);
    expect(readFileSync(join(dir, 'tree.dot'), 'utf8')).toContain('/bin/bash');
    expect((await run(renderCommand, input, '-o', join(dir, 'tree.svg'))).code).toBe(0);
    const svg = readFileSync(join(dir, 'tree.svg'), 'utf8');
    expect(svg).toMatch(/^(<\?xml[^>]*>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('tells the user to install @viz-js/viz when it is missing', async () => {
    const dir = tempDir();
    const input = join(dir, 'dump.json');
    writeFileSync(input, HAND_DUMP);
    const missing = createRenderCommand(() => {
      const error = new Error("Cannot find package '@viz-js/viz'") as NodeJS.ErrnoException;
      error.code = 'ERR_MODULE_NOT_FOUND';
      return Promise.reject(error);
    });
    const result = await run(missing, input, '-o', join(dir, 'out.svg'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm install @viz-js/viz');
    // A .dot output never needs it.
    expect((await run(missing, input, '-o', join(dir, 'out.dot'))).code).toBe(0);
  });

  it('reports Graphviz failures with exit code 1', async () => {
    const dir = tempDir();
    const input = join(dir, 'dump.json');
    writeFileSync(input, HAND_DUMP);
    const failing = createRenderCommand(async () => ({
      instance: async () => ({
        render: () => ({
          status: 'failure',
          errors: [{ level: 'error', message: 'syntax error in line 1' }],
        }),
      }),
    }));
    const result = await run(failing, input, '-o', join(dir, 'out.svg'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Graphviz could not render the graph: syntax error in line 1');
  });

  it('rejects bad command lines with usage errors', async () => {
    const dir = tempDir();
    await expect(run(renderCommand, '-o', join(dir, 'x.svg'))).rejects.toThrow(UsageError);
    await expect(run(renderCommand, 'a.json')).rejects.toThrow('missing -o');
    await expect(run(renderCommand, 'a.json', '-o', join(dir, 'x.png'))).rejects.toThrow('use .svg or .dot');
    await expect(run(renderCommand, 'a.json', '-o', 'x.dot', '--bogus')).rejects.toThrow(UsageError);
  });
});
