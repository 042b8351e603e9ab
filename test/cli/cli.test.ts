import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeDump } from '../../src/encoding/encode-dump.js';
import { conformanceDump } from '../../src/testing/storage-conformance.js';
import { type CliResult, runCli } from '../support/cli.js';
import { DATADOG_FIXTURES, hasDatadogFixtures } from '../support/fixtures.js';
import { IntakeServer } from '../support/intake-server.js';

function runWith(env: Record<string, string>, ...argv: string[]): Promise<CliResult> {
  return runCli(argv, env);
}

function run(...argv: string[]): Promise<CliResult> {
  return runCli(argv);
}

const fixture = join(DATADOG_FIXTURES, 'activity-tree-suite', 'exec-12_wanted_tree.json');

describe('activity-dump CLI', () => {
  it('prints help and the version', async () => {
    expect((await run('--help')).stdout).toContain('Usage: activity-dump <command>');
    expect((await run()).code).toBe(2);
    expect((await run('--version')).stdout).toMatch(/^\d+\.\d+\.\d+/);
    for (const command of ['inspect', 'tree', 'render']) {
      const result = await run(command, '--help');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: activity-dump ${command}`);
    }
  });

  it('rejects unknown commands and options with exit code 2', async () => {
    expect((await run('frobnicate')).code).toBe(2);
    const bad = await run('inspect', '--bogus', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--bogus'");
    expect((await run('inspect')).stderr).toContain('expected exactly one dump file');
  });

  it('reports unreadable and undecodable files with exit code 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ad-cli-'));
    const missing = await run('inspect', join(dir, 'nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{"tree": [{"process": 42}]}');
    const corrupt = await run('inspect', garbage);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toContain('AD_ERR_CORRUPT_INPUT');
  });

  it.skipIf(!hasDatadogFixtures)('inspects and renders an agent JSON dump', async () => {
    const inspect = await run('inspect', fixture, '--json');
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout).nodes.process).toBe(10);
    const text = await run('inspect', fixture);
    expect(text.stdout).toMatch(/process nodes\s+10/);
    const tree = await run('tree', fixture);
    expect(tree.stdout.split('\n')[0]).toBe('- process: /bin/bash (argv0: bash) (is_exec_exec:false)');
  });

  it('runs as an executable', () => {
    const bin = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', bin, '--version'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('activity-dump transcode --remote', () => {
  async function dumpFile(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'ad-cli-remote-'));
    const path = join(dir, 'input.protobuf');
    writeFileSync(path, encodeDump(conformanceDump([]), 'protobuf'));
    return path;
  }

  it('uploads each format to the intake with the key from DD_API_KEY, and never prints it', async () => {
    const intake = await IntakeServer.start();
    try {
      const input = await dumpFile();
      const key = 'cli-secret-key-0123456789';
      const result = await runWith(
        { DD_API_KEY: key },
        'transcode',
        input,
        '--format',
        'protobuf,json',
        '--remote',
        intake.url,
        '--compression',
      );
      expect(result.code).toBe(0);
      expect(
        intake.uploads.map((u) => [u.headers['dd-api-key'], u.headers['content-encoding'], u.dump?.filename]),
      ).toEqual([
        [key, 'gzip', 'dump.protobuf'],
        [key, 'gzip', 'dump.json'],
      ]);
      expect(result.stdout).toContain('sent to http://127.0.0.1:');
      expect(result.stdout + result.stderr).not.toContain(key);
      intake.reply(413, 413, 413, 413);
      const refused = await runWith(
        { DD_API_KEY: key },
        'transcode',
        input,
        '--format',
        'json',
        '--remote',
        intake.url,
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('not sent');
      expect(refused.stderr).not.toContain(key);
    } finally {
      await intake.close();
    }
  });

  it('needs DD_API_KEY, and --output or --remote', async () => {
    const input = await dumpFile();
    const noKey = await runWith({}, 'transcode', input, '--format', 'json', '--remote', 'http://127.0.0.1:9');
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('DD_API_KEY');
    const nowhere = await runWith({}, 'transcode', input, '--format', 'json');
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('--output or --remote');
  });
});
