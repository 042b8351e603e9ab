import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import { encodeDump } from '../../src/encoding/encode-dump.js';
import { formatFromPath, isSafeDumpName } from '../../src/encoding/file-naming.js';
import { transcodeDump, transcodeFile } from '../../src/encoding/transcode.js';
import { InvalidArgumentError, UnsupportedFormatError } from '../../src/errors.js';
import { canonicalDump } from '../support/canonical-dump.js';
import { DATADOG_FIXTURES, hasDatadogFixtures } from '../support/fixtures.js';
import { sampleDump } from '../support/sample-dump.js';

const temp = () => mkdtempSync(join(tmpdir(), 'ad-transcode-'));

describe('transcode', () => {
  it('writes every requested format under the agent naming, atomically', async () => {
    const dir = temp();
    const dump = sampleDump();
    const written = await transcodeDump(dump, {
      formats: ['json', 'PROTOBUF', 'msgpack', 'dot', 'profile', 'json'],
      outputDir: join(dir, 'out'),
      compression: true,
    });
    expect(written.map((w) => w.format)).toEqual(['json', 'protobuf', 'msgpack', 'dot', 'profile']);
    const names = readdirSync(join(dir, 'out')).sort();
    expect(names).toEqual(
      ['dot', 'json', 'msgpack', 'profile', 'protobuf'].map((ext) => `activity-dump-AbCdEfGhIj.${ext}.gz`),
    );
    for (const file of written) {
      expect(statSync(file.path).size).toBe(file.size);
      expect(formatFromPath(file.path)).toBe(file.format);
    }
    const back = decodeDump(readFileSync(written[2]!.path));
    expect(canonicalDump(back)).toEqual(canonicalDump(dump));
  });

  it('checks every format before writing anything', async () => {
    const dir = temp();
    await expect(transcodeDump(sampleDump(), { formats: ['json', 'yaml'], outputDir: dir })).rejects.toThrow(
      UnsupportedFormatError,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never writes outside the output directory', async () => {
    const dump = sampleDump();
    dump.metadata = { ...dump.metadata!, name: '../../escape' };
    await expect(transcodeDump(dump, { formats: ['json'], outputDir: temp() })).rejects.toThrow(
      InvalidArgumentError,
    );
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', '-x', 'x'.repeat(300)])
      expect(isSafeDumpName(bad)).toBe(false);
    expect(isSafeDumpName('activity-dump-AbCdEfGhIj')).toBe(true);
  });

  it('names files after the input when the dump has no usable name', async () => {
    const dir = temp();
    const dump = sampleDump();
    dump.metadata = undefined;
    const input = join(dir, 'my-dump.protobuf');
    writeFileSync(input, encodeDump(dump, 'protobuf'));
    const written = await transcodeFile(input, { formats: ['json'], outputDir: dir });
    expect(written[0]!.path).toBe(join(dir, 'my-dump.json'));
  });

  it.skipIf(!hasDatadogFixtures)('transcodes adv1 from the command line', async () => {
    const dir = temp();
    let stdout = '';
    const code = await main(
      [
        'transcode',
        join(DATADOG_FIXTURES, 'dumps', 'adv1.protobuf'),
        '--format',
        'json,protobuf,msgpack,dot',
        '--format',
        'profile',
        '--output',
        dir,
      ],
      { stdout: (t) => (stdout += t), stderr: () => {} },
    );
    // adv1 has no image tags, so a profile cannot be written: the command fails cleanly.
    expect(code).toBe(1);
    const ok = await main(
      ['transcode', join(DATADOG_FIXTURES, 'dumps', 'adv1.protobuf'), '--format', 'json,msgpack', '-o', dir],
      {
        stdout: (t) => (stdout += t),
        stderr: () => {},
      },
    );
    expect(ok).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'activity-dump-YYOOqLSQPZ.json',
      'activity-dump-YYOOqLSQPZ.msgpack',
    ]);
    expect(stdout).toContain('activity-dump-YYOOqLSQPZ.json');
  });

  it('reports usage errors', async () => {
    const run = (...args: string[]) => main(['transcode', ...args], { stdout: () => {}, stderr: () => {} });
    expect(await run('x.json')).toBe(2);
    expect(await run('x.json', '--format', 'json')).toBe(2);
  });
});
