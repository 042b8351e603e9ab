import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityDump } from '../../src/dump/activity-dump.js';
import { DUMP_FORMATS, type DumpFormat } from '../../src/encoding/dump-format.js';
import {
  ActivityDumpError,
  InvalidArgumentError,
  StorageClosedError,
  StorageError,
  StorageWriteError,
} from '../../src/errors.js';
import { METRIC_NAMES } from '../../src/metrics.js';
import type { FileSystem } from '../../src/storage/file-system.js';
import { LocalStorage, type LocalStorageOptions } from '../../src/storage/local-storage.js';
import { createPersistItems } from '../../src/storage/persist-item.js';
import type { PersistItem } from '../../src/storage/storage-backend.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import type { StorageRequest } from '../../src/storage/storage-request.js';
import { buildLineage, event } from '../../src/testing/event-builders.js';
import { RecordingMetrics } from '../../src/testing/recording-metrics.js';
import { conformanceDump } from '../../src/testing/storage-conformance.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const isRoot = process.getuid?.() === 0;

function local(format: DumpFormat = 'json', compression = false, outputDirectory = ''): StorageRequest {
  return { type: 'local_storage', format, compression, outputDirectory };
}

/** Every storage request of a dump as a ready item (throws when one did not encode). */
function itemsOf(dump: ActivityDump): PersistItem[] {
  return createPersistItems(dump).map((item) => {
    if ('failure' in item) throw item.failure.ok ? new Error('unexpected outcome') : item.failure.error;
    return item;
  });
}

/** A real dump named `name` with one item per request (one json request by default). */
function itemsNamed(name: string, requests: readonly StorageRequest[] = [local()]): PersistItem[] {
  return itemsOf(conformanceDump(requests, name));
}

function itemNamed(name: string, request: StorageRequest = local()): PersistItem {
  return itemsNamed(name, [request])[0]!;
}

/** Every path under `dir`, relative and sorted (dot files, temporary files, sub-directories included). */
async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether two byte arrays hold the same bytes (Buffer or plain Uint8Array, views included). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

function namesOf(storage: LocalStorage): string[] {
  return storage.entries().map(([name]) => name);
}

/** What store rejected with (fails the test when it resolved). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const ERROR_TEXT = { ENOSPC: 'no space left on device', EACCES: 'permission denied', EIO: 'i/o error' };

/** An error shaped like the ones node:fs rejects with: message, code, negative errno, syscall, path. */
function systemError(code: keyof typeof ERROR_TEXT, syscall: string, path?: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `${code}: ${ERROR_TEXT[code]}, ${syscall}${path === undefined ? '' : ` '${path}'`}`,
  );
  error.code = code;
  error.errno = -osConstants.errno[code];
  error.syscall = syscall;
  if (path !== undefined) error.path = path;
  return error;
}

/** Faults to inject; mutable so that a test can arm them after a first good write. */
interface Faults {
  /** `mkdir` rejects. */
  mkdir?: (path: string) => Error;
  /** Opening the temporary file (flags 'wx') rejects. */
  open?: (path: string) => Error;
  /** The temporary file's handle writes a few bytes for real, then `writeFile` rejects (when an error is given). */
  writeFile?: (path: string) => Error | undefined;
  /** The temporary file's handle `sync` rejects (after the bytes were really written). */
  sync?: (path: string) => Error | undefined;
  /** `rename` rejects. */
  rename?: (from: string, to: string) => Error;
}

/**
 * The real node:fs/promises with faults injected. Temporary files are the ones opened with
 * 'wx' (atomic-write's exclusive create); their paths are recorded in `opened`.
 */
function faultyFileSystem(faults: Faults, opened: string[] = []): FileSystem {
  return {
    readdir: fs.readdir,
    stat: fs.stat,
    rm: fs.rm,
    readFile: fs.readFile,
    mkdir: (async (path: string, options: Parameters<typeof fs.mkdir>[1]) => {
      if (faults.mkdir !== undefined) throw faults.mkdir(path);
      return fs.mkdir(path, options);
    }) as FileSystem['mkdir'],
    open: (async (path: string, flags?: string, mode?: number) => {
      const temporary = flags === 'wx';
      if (temporary) {
        opened.push(path);
        if (faults.open !== undefined) throw faults.open(path);
      }
      const handle = await fs.open(path, flags, mode);
      if (temporary) {
        const writeError = faults.writeFile?.(path);
        if (writeError !== undefined) {
          handle.writeFile = async () => {
            await handle.write(Buffer.from('partial bytes of a dump')); // a short write, then the failure
            throw writeError;
          };
        }
        const syncError = faults.sync?.(path);
        if (syncError !== undefined) {
          handle.sync = async () => {
            throw syncError;
          };
        }
      }
      return handle;
    }) as FileSystem['open'],
    rename: (async (from: string, to: string) => {
      if (faults.rename !== undefined) throw faults.rename(from, to);
      return fs.rename(from, to);
    }) as FileSystem['rename'],
  };
}

/** A dump whose json encoding is well over 64 KiB (about 130 KB). */
function bigDump(name: string, requests: readonly StorageRequest[] = [local()]): ActivityDump {
  const dump = conformanceDump(requests, name);
  const tool = buildLineage(['/bin/sh', '/usr/bin/tool'], { containerId: 'c0ffee' });
  for (let i = 0; i < 200; i++) {
    dump.tree.insert(event('open', tool, { file: { path: `/var/lib/big-dump/${i}/file-number-${i}.dat` } }));
  }
  return dump;
}

// A real, tiny file system to fill up: a 64 KiB tmpfs, mounted at collection time so that the test
// can be skipped (with the reason in its name) when mounting is not permitted.
const tmpfs = await (async (): Promise<{ dir: string; mounted: boolean; reason: string }> => {
  const dir = await mkdtemp(join(tmpdir(), 'ad-local-tmpfs-'));
  if (process.platform !== 'linux') return { dir, mounted: false, reason: `not Linux (${process.platform})` };
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    return { dir, mounted: true, reason: '' };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    const why = stderr !== undefined && stderr !== '' ? stderr : (error as Error).message;
    return { dir, mounted: false, reason: `mount -t tmpfs failed (root needed): ${why.split('\n')[0]}` };
  }
})();

afterAll(async () => {
  if (tmpfs.mounted) execFileSync('umount', [tmpfs.dir], { stdio: 'pipe' });
  await rm(tmpfs.dir, { recursive: true, force: true });
});

let base: string;
let dir: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'ad-local-storage-'));
  dir = join(base, 'dumps');
  await mkdir(dir);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function storage(options: Partial<LocalStorageOptions> = {}): LocalStorage {
  return new LocalStorage({ directory: dir, ...options });
}

// ---------------------------------------------------------------------------------------------
// File naming and receipts
// ---------------------------------------------------------------------------------------------

describe('LocalStorage: file naming and receipts', () => {
  const cases = DUMP_FORMATS.flatMap((format) =>
    [false, true].map((compression) => [format, compression] as const),
  );

  it.each(cases)(
    'writes <dir>/<name>.%s (compressed: %s) with the payload bytes',
    async (format, compression) => {
      const s = storage();
      await s.start();
      const item = itemNamed('activity-dump-AbCdEfGhIj', local(format, compression));
      const receipt = await s.store(item);

      const expected = join(dir, `activity-dump-AbCdEfGhIj.${format}${compression ? '.gz' : ''}`);
      expect(receipt.location).toBe(expected);
      expect(await listing(dir)).toEqual([`activity-dump-AbCdEfGhIj.${format}${compression ? '.gz' : ''}`]);
      const bytes = await readFile(expected);
      expect(receipt.size).toBe((await stat(expected)).size);
      expect(receipt.size).toBe(bytes.length);
      expect(sameBytes(bytes, item.payload)).toBe(true);
      const gzipMagic = bytes[0] === 0x1f && bytes[1] === 0x8b;
      expect(gzipMagic).toBe(compression);
      if (compression) expect(receipt.size).not.toBe(item.encoded.length);
      expect(s.entries()).toEqual([['activity-dump-AbCdEfGhIj', [expected]]]);
    },
  );

  it('stores several formats of one dump side by side under one entry', async () => {
    const s = storage();
    const items = itemsNamed('multi', [local('json'), local('protobuf', true), local('msgpack')]);
    const receipts = await Promise.all(items.map((item) => s.store(item)));
    expect(await listing(dir)).toEqual(['multi.json', 'multi.msgpack', 'multi.protobuf.gz']);
    expect(receipts.map((r) => r.location).sort()).toEqual(
      ['multi.json', 'multi.msgpack', 'multi.protobuf.gz'].map((f) => join(dir, f)),
    );
    expect(s.entries()).toHaveLength(1);
    expect([...s.entries()[0]![1]].sort()).toEqual(receipts.map((r) => r.location).sort());
  });

  it("honours a request's own outputDirectory (creating it), not the configured one", async () => {
    const s = storage();
    await s.start();
    const elsewhere = join(base, 'elsewhere', 'deeper');
    const receipt = await s.store(itemNamed('redirected', local('protobuf', true, elsewhere)));
    expect(receipt.location).toBe(join(elsewhere, 'redirected.protobuf.gz'));
    expect(await listing(elsewhere)).toEqual(['redirected.protobuf.gz']);
    expect(await listing(dir)).toEqual([]);
    expect(receipt.size).toBe((await stat(receipt.location)).size);
    expect(s.entries()).toEqual([['redirected', [receipt.location]]]);
  });

  it('stores a dump again under the same name by replacing its file (one entry, one path)', async () => {
    const s = storage();
    await s.store(itemNamed('again'));
    const second = itemNamed('again'); // a different dump (other tags) with the same name
    const receipt = await s.store(second);
    expect(await listing(dir)).toEqual(['again.json']);
    expect(sameBytes(await readFile(receipt.location), second.payload)).toBe(true);
    expect(s.entries()).toEqual([['again', [receipt.location]]]);
  });
});

// ---------------------------------------------------------------------------------------------
// Eviction
// ---------------------------------------------------------------------------------------------

describe('LocalStorage: eviction (maxDumpsCount)', () => {
  it('storing a 4th dump with maxDumpsCount 3 deletes every file of the least recently stored one', async () => {
    const cleaned: string[][] = [];
    const s = storage({ maxDumpsCount: 3, onCleanup: (files) => cleaned.push([...files]) });
    const elsewhere = join(base, 'other-dir');
    const first = await Promise.all(
      itemsNamed('dump-1', [
        local('json'),
        local('protobuf', true),
        local('msgpack'),
        local('dot', false, elsewhere),
      ]).map((item) => s.store(item)),
    );
    for (const name of ['dump-2', 'dump-3']) {
      for (const item of itemsNamed(name, [local('json'), local('json', true)])) await s.store(item);
    }
    expect(namesOf(s)).toEqual(['dump-1', 'dump-2', 'dump-3']);
    expect(cleaned).toEqual([]);
    for (const receipt of first) expect(await exists(receipt.location)).toBe(true);

    await s.store(itemNamed('dump-4'));

    for (const receipt of first) expect(await exists(receipt.location)).toBe(false);
    expect(await listing(elsewhere)).toEqual([]);
    expect(await listing(dir)).toEqual([
      'dump-2.json',
      'dump-2.json.gz',
      'dump-3.json',
      'dump-3.json.gz',
      'dump-4.json',
    ]);
    expect(namesOf(s)).toEqual(['dump-2', 'dump-3', 'dump-4']);
    expect(cleaned).toHaveLength(1);
    expect([...cleaned[0]!].sort()).toEqual(first.map((r) => r.location).sort());
    for (const path of cleaned[0]!) expect(isAbsolute(path)).toBe(true);
  });

  it('re-storing a dump makes it the most recent: the next eviction takes the one after it', async () => {
    const cleaned: string[][] = [];
    const s = storage({ maxDumpsCount: 3, onCleanup: (files) => cleaned.push([...files]) });
    for (const name of ['a', 'b', 'c']) await s.store(itemNamed(name));
    await s.store(itemNamed('a', local('protobuf'))); // a again, in another format
    expect(namesOf(s)).toEqual(['b', 'c', 'a']);
    expect(s.entries().at(-1)).toEqual(['a', [join(dir, 'a.json'), join(dir, 'a.protobuf')]]);

    await s.store(itemNamed('d'));
    expect(cleaned).toEqual([[join(dir, 'b.json')]]);
    expect(await listing(dir)).toEqual(['a.json', 'a.protobuf', 'c.json', 'd.json']);

    await s.store(itemNamed('e'));
    await s.store(itemNamed('f'));
    expect(cleaned.slice(1)).toEqual([[join(dir, 'c.json')], [join(dir, 'a.json'), join(dir, 'a.protobuf')]]);
    expect(namesOf(s)).toEqual(['d', 'e', 'f']);
    expect(await listing(dir)).toEqual(['d.json', 'e.json', 'f.json']);
  });

  it('sendTelemetry emits local_storage.count and local_storage.deleted, the latter reset after each call', async () => {
    const s = storage({ maxDumpsCount: 3 });
    const empty = new RecordingMetrics();
    s.sendTelemetry(empty);
    expect(empty.records).toEqual([]); // nothing held, nothing deleted: nothing sent (as the agent)

    for (const name of ['t1', 't2', 't3', 't4']) await s.store(itemNamed(name));
    const first = new RecordingMetrics();
    s.sendTelemetry(first);
    expect(first.records).toEqual([
      { kind: 'gauge', name: METRIC_NAMES.localStorageCount, value: 3, tags: [] },
      { kind: 'count', name: METRIC_NAMES.localStorageDeleted, value: 1, tags: [] },
    ]);

    const second = new RecordingMetrics();
    s.sendTelemetry(second);
    expect(second.records).toEqual([
      { kind: 'gauge', name: METRIC_NAMES.localStorageCount, value: 3, tags: [] },
    ]);
    expect(second.total(METRIC_NAMES.localStorageDeleted)).toBe(0);

    for (const name of ['t5', 't6']) await s.store(itemNamed(name));
    const third = new RecordingMetrics();
    s.sendTelemetry(third);
    expect(third.lastGauge(METRIC_NAMES.localStorageCount)).toBe(3);
    expect(third.total(METRIC_NAMES.localStorageDeleted)).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Start-up seeding
// ---------------------------------------------------------------------------------------------

describe('LocalStorage: start-up seeding from the files already in the directory', () => {
  const T0 = Date.UTC(2024, 0, 1) / 1000; // seconds

  async function seedFile(name: string, minute: number, content: string | Uint8Array = '{}'): Promise<void> {
    const path = join(dir, name);
    await writeFile(path, content);
    await utimes(path, T0 + minute * 60, T0 + minute * 60);
  }

  /**
   * Four dumps whose mtime order (zulu, alpha, bravo, mike) differs from their name order, a
   * dump's time being its newest file, plus files that are not dumps.
   */
  async function seed(): Promise<void> {
    await seedFile('zulu.json', 1);
    await seedFile('zulu.protobuf.gz', 2, gzipSync(Buffer.from('zulu')));
    await seedFile('alpha.msgpack.gz', 3, gzipSync(Buffer.from('alpha')));
    await seedFile('mike.json', 4);
    await seedFile('mike.dot', 5, 'digraph {}');
    await seedFile('mike.json.gz', 7, gzipSync(Buffer.from('mike'))); // x.json and x.json.gz are one dump
    await seedFile('bravo.profile', 6);
    // Not dumps: left alone whatever happens.
    await seedFile('notes.txt', 0, 'my notes');
    await seedFile('.zulu.json.0123456789ab.tmp', 0, 'leftover of a crashed write');
    await mkdir(join(dir, 'yankee.json'));
    await writeFile(join(dir, 'yankee.json', 'inner.json'), '{}');
    await utimes(join(dir, 'yankee.json'), T0, T0);
  }

  const UNRELATED = [
    '.zulu.json.0123456789ab.tmp',
    'notes.txt',
    'yankee.json',
    join('yankee.json', 'inner.json'),
  ];
  const FILES: Record<string, string[]> = {
    zulu: ['zulu.json', 'zulu.protobuf.gz'],
    alpha: ['alpha.msgpack.gz'],
    bravo: ['bravo.profile'],
    mike: ['mike.dot', 'mike.json', 'mike.json.gz'],
  };
  const full = (files: readonly string[]) => files.map((f) => join(dir, f)).sort();
  const sortedEntries = (s: LocalStorage) =>
    s.entries().map(([name, files]) => [name, [...files].sort()] as [string, string[]]);

  it('orders the dumps oldest first by modification time, with full paths, all formats grouped', async () => {
    await seed();
    const s = storage({ maxDumpsCount: 4 });
    await s.start();
    expect(sortedEntries(s)).toEqual(['zulu', 'alpha', 'bravo', 'mike'].map((n) => [n, full(FILES[n]!)]));
    expect(await listing(dir)).toEqual([...Object.values(FILES).flat(), ...UNRELATED].sort());
  });

  it('evicts next the oldest seeded dump (all its files), leaving unrelated files alone', async () => {
    await seed();
    const cleaned: string[][] = [];
    const s = storage({ maxDumpsCount: 4, onCleanup: (files) => cleaned.push([...files].sort()) });
    await s.start();
    expect(cleaned).toEqual([]);

    await s.store(itemNamed('fresh-1'));
    expect(cleaned).toEqual([full(FILES.zulu!)]);
    expect(namesOf(s)).toEqual(['alpha', 'bravo', 'mike', 'fresh-1']);

    await s.store(itemNamed('fresh-2'));
    expect(cleaned).toEqual([full(FILES.zulu!), full(FILES.alpha!)]);
    expect(await listing(dir)).toEqual(
      [...FILES.bravo!, ...FILES.mike!, 'fresh-1.json', 'fresh-2.json', ...UNRELATED].sort(),
    );
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('my notes');
  });

  it('trims to capacity at once on start, deleting the oldest dumps by FULL path (not CWD-relative)', async () => {
    await seed();
    const cleaned: string[][] = [];
    const s = storage({ maxDumpsCount: 2, onCleanup: (files) => cleaned.push([...files].sort()) });
    await s.start();

    expect(cleaned).toEqual([full(FILES.zulu!), full(FILES.alpha!)]);
    for (const path of cleaned.flat()) {
      expect(isAbsolute(path)).toBe(true);
      expect(dirname(path)).toBe(dir);
      expect(await exists(path)).toBe(false); // really deleted: the agent removed basenames relative to the CWD
    }
    expect(sortedEntries(s)).toEqual([
      ['bravo', full(FILES.bravo!)],
      ['mike', full(FILES.mike!)],
    ]);
    expect(await listing(dir)).toEqual([...FILES.bravo!, ...FILES.mike!, ...UNRELATED].sort());

    const metrics = new RecordingMetrics();
    s.sendTelemetry(metrics);
    expect(metrics.lastGauge(METRIC_NAMES.localStorageCount)).toBe(2);
    expect(metrics.total(METRIC_NAMES.localStorageDeleted)).toBe(2);
  });

  it('re-storing a seeded dump makes it the most recent one', async () => {
    await seed();
    const cleaned: string[][] = [];
    const s = storage({ maxDumpsCount: 4, onCleanup: (files) => cleaned.push([...files].sort()) });
    await s.start();
    await s.store(itemNamed('zulu')); // zulu.json again
    expect(sortedEntries(s)).toEqual([
      ['alpha', full(FILES.alpha!)],
      ['bravo', full(FILES.bravo!)],
      ['mike', full(FILES.mike!)],
      ['zulu', full(FILES.zulu!)], // no duplicate path for zulu.json
    ]);
    await s.store(itemNamed('fresh'));
    expect(cleaned).toEqual([full(FILES.alpha!)]);
  });

  it('a store before start() scans first, so the seeded order holds', async () => {
    await seed();
    const s = storage({ maxDumpsCount: 4 });
    await s.store(itemNamed('fresh'));
    expect(namesOf(s)).toEqual(['alpha', 'bravo', 'mike', 'fresh']);
    expect(await exists(join(dir, 'zulu.json'))).toBe(false);
  });

  it('start() is idempotent and creates a missing directory', async () => {
    const missing = join(base, 'not', 'there', 'yet');
    const s = new LocalStorage({ directory: missing });
    const first = s.start();
    expect(s.start()).toBe(first);
    await first;
    expect((await stat(missing)).isDirectory()).toBe(true);
    await s.start();
    expect(s.entries()).toEqual([]);
  });

  // A dump file is `<name>.<ext>[.gz]` with an exact extension and a valid dump name: anything else
  // in the directory is the user's, and eviction must never delete it.
  it('leaves alone files whose extension only resembles a format once trimmed (`x. json`)', async () => {
    await seedFile('notes. json', 1, 'a user file');
    await seedFile('backup.json ', 2, 'another user file');
    await seedFile('real.json', 3);
    const s = storage({ maxDumpsCount: 1 });
    await s.start();
    expect(namesOf(s)).toEqual(['real']);
    expect(await listing(dir)).toEqual(['backup.json ', 'notes. json', 'real.json']);
  });
});

// ---------------------------------------------------------------------------------------------
// Interrupted writes
// ---------------------------------------------------------------------------------------------

describe('LocalStorage: an interrupted write leaves nothing behind', () => {
  const STAGES = [
    ['writeFile', (f: Faults) => (f.writeFile = () => systemError('EIO', 'write'))],
    ['sync', (f: Faults) => (f.sync = () => systemError('EIO', 'fsync'))],
    ['rename', (f: Faults) => (f.rename = (from, to) => systemError('EIO', 'rename', `${from}' -> '${to}`))],
  ] as const;

  it.each(STAGES)(
    'a failing %s on a new dump: StorageWriteError, no file, no temp file, not recorded',
    async (_, arm) => {
      const faults: Faults = {};
      const opened: string[] = [];
      const s = storage({ fileSystem: faultyFileSystem(faults, opened) });
      await s.store(itemNamed('kept'));
      const before = await listing(dir);
      const entriesBefore = s.entries();
      arm(faults);

      const error = await rejectionOf(s.store(itemNamed('interrupted')));
      expect(error).toBeInstanceOf(StorageWriteError);
      const e = error as StorageWriteError;
      expect(e.path).toBe(join(dir, 'interrupted.json'));
      expect(e.errno).toBe('EIO');
      expect(e.code).toBe('AD_ERR_STORAGE_WRITE');
      expect(await listing(dir)).toEqual(before);
      expect(await exists(join(dir, 'interrupted.json'))).toBe(false);
      // The temporary file was really created next to the target, then removed.
      const temporary = opened.at(-1)!;
      expect(dirname(temporary)).toBe(dir);
      expect(temporary).not.toBe(join(dir, 'interrupted.json'));
      expect(await exists(temporary)).toBe(false);
      expect(s.entries()).toEqual(entriesBefore);
      expect(namesOf(s)).not.toContain('interrupted');
    },
  );

  it.each(STAGES)('a failing %s over an existing file keeps its previous version intact', async (_, arm) => {
    const faults: Faults = {};
    const s = storage({ fileSystem: faultyFileSystem(faults), maxDumpsCount: 5 });
    const v1 = itemNamed('versioned', local('protobuf', true));
    await s.store(v1);
    await s.store(itemNamed('newer'));
    const before = await listing(dir);
    const entriesBefore = s.entries();
    arm(faults);

    const v2 = itemNamed('versioned', local('protobuf', true));
    expect(sameBytes(v2.payload, v1.payload)).toBe(false);
    const error = await rejectionOf(s.store(v2));
    expect(error).toBeInstanceOf(StorageWriteError);
    expect((error as StorageWriteError).path).toBe(join(dir, 'versioned.protobuf.gz'));
    expect((error as StorageWriteError).errno).toBe('EIO');
    expect(await listing(dir)).toEqual(before);
    expect(sameBytes(await readFile(join(dir, 'versioned.protobuf.gz')), v1.payload)).toBe(true);
    // The previous version stays tracked where it was: a failed store does not refresh it.
    expect(s.entries()).toEqual(entriesBefore);
  });

  it('a failed write neither takes a slot nor evicts another dump', async () => {
    const faults: Faults = {};
    const cleaned: string[][] = [];
    const s = storage({
      fileSystem: faultyFileSystem(faults),
      maxDumpsCount: 2,
      onCleanup: (files) => cleaned.push([...files]),
    });
    await s.store(itemNamed('one'));
    await s.store(itemNamed('two'));
    faults.writeFile = () => systemError('ENOSPC', 'write');
    await expect(s.store(itemNamed('three'))).rejects.toBeInstanceOf(StorageWriteError);
    expect(cleaned).toEqual([]); // the agent recorded before writing, so a failure evicted (sharp edge 10.4)
    expect(namesOf(s)).toEqual(['one', 'two']);
    expect(await listing(dir)).toEqual(['one.json', 'two.json']);
  });
});

// ---------------------------------------------------------------------------------------------
// ENOSPC and EACCES
// ---------------------------------------------------------------------------------------------

describe('LocalStorage: ENOSPC and EACCES are typed StorageWriteErrors', () => {
  function expectWriteError(error: unknown, errno: string, path: string, cause?: unknown): void {
    expect(error).toBeInstanceOf(StorageWriteError);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toBeInstanceOf(ActivityDumpError);
    const e = error as StorageWriteError;
    expect(e.code).toBe('AD_ERR_STORAGE_WRITE');
    expect(e.name).toBe('StorageWriteError');
    expect(e.errno).toBe(errno);
    expect(e.path).toBe(path);
    expect(e.message).toContain(path);
    if (cause !== undefined) expect(e.cause).toBe(cause);
  }

  it('injected ENOSPC while writing (code, errno, syscall as node:fs gives them)', async () => {
    const enospc = systemError('ENOSPC', 'write');
    const s = storage({ fileSystem: faultyFileSystem({ writeFile: () => enospc }) });
    const error = await rejectionOf(s.store(itemNamed('full-disk', local('json', true))));
    expectWriteError(error, 'ENOSPC', join(dir, 'full-disk.json.gz'), enospc);
    expect(await listing(dir)).toEqual([]);
    expect(s.entries()).toEqual([]);
    const metrics = new RecordingMetrics();
    s.sendTelemetry(metrics);
    expect(metrics.records).toEqual([]);
  });

  it('injected EACCES when creating the temporary file', async () => {
    const s = storage({
      fileSystem: faultyFileSystem({ open: (path) => systemError('EACCES', 'open', path) }),
    });
    const error = await rejectionOf(s.store(itemNamed('no-access')));
    expectWriteError(error, 'EACCES', join(dir, 'no-access.json'));
    expect(await listing(dir)).toEqual([]);
    expect(s.entries()).toEqual([]);
  });

  it("injected EACCES when creating a request's output directory", async () => {
    const s = storage();
    await s.start();
    const faulty = new LocalStorage({
      directory: dir,
      fileSystem: faultyFileSystem({ mkdir: (path) => systemError('EACCES', 'mkdir', path) }),
    });
    const elsewhere = join(base, 'forbidden');
    const error = await rejectionOf(faulty.store(itemNamed('no-dir', local('json', false, elsewhere))));
    expectWriteError(error, 'EACCES', join(elsewhere, 'no-dir.json'));
    expect(await exists(elsewhere)).toBe(false);
    expect(faulty.entries()).toEqual([]);
  });

  it.skipIf(!tmpfs.mounted)(
    `real ENOSPC on a full 64 KiB tmpfs: nothing persisted, no orphan file${
      tmpfs.mounted ? '' : ` — SKIPPED: ${tmpfs.reason}`
    }`,
    async () => {
      const s = new LocalStorage({ directory: tmpfs.dir });
      await s.start();
      const big = itemsOf(bigDump('too-big-for-the-disk'))[0]!;
      expect(big.payload.length).toBeGreaterThan(64 * 1024);

      const error = await rejectionOf(s.store(big));
      expectWriteError(error, 'ENOSPC', join(tmpfs.dir, 'too-big-for-the-disk.json'));
      expect(((error as StorageWriteError).cause as NodeJS.ErrnoException).syscall).toBe('write');
      expect(await listing(tmpfs.dir)).toEqual([]);
      expect(s.entries()).toEqual([]);

      // The space of the removed temporary file is back: a small dump fits.
      const small = await s.store(itemNamed('small-enough'));
      expect(await listing(tmpfs.dir)).toEqual(['small-enough.json']);
      expect(small.size).toBe((await stat(small.location)).size);
      await rm(small.location);
    },
  );

  it.skipIf(!tmpfs.mounted)(
    `real ENOSPC through a StorageManager: ok: false outcome and persist:failed${
      tmpfs.mounted ? '' : ` — SKIPPED: ${tmpfs.reason}`
    }`,
    async () => {
      const metrics = new RecordingMetrics();
      const manager = new StorageManager({ backends: [new LocalStorage({ directory: tmpfs.dir })], metrics });
      const failed: unknown[] = [];
      const persisted: unknown[] = [];
      manager.on('persist:failed', (_, outcome) => failed.push(outcome.error));
      manager.on('dump:persisted', (dump) => persisted.push(dump));
      const outcomes = await manager.persist(bigDump('manager-too-big'));
      expect(outcomes).toHaveLength(1);
      const outcome = outcomes[0]!;
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expectWriteError(outcome.error, 'ENOSPC', join(tmpfs.dir, 'manager-too-big.json'));
      expect(failed).toEqual([outcome.error]);
      expect(persisted).toEqual([]);
      expect(metrics.total(METRIC_NAMES.persistedDumps)).toBe(0);
      expect(await listing(tmpfs.dir)).toEqual([]);
      await manager.shutdown();
    },
  );

  it.skipIf(isRoot)(
    `real EACCES in a read-only directory (chmod 0o500)${isRoot ? ' — SKIPPED: running as root, which ignores permission bits' : ''}`,
    async () => {
      const s = storage();
      await s.start();
      await fs.chmod(dir, 0o500);
      try {
        const error = await rejectionOf(s.store(itemNamed('read-only')));
        expectWriteError(error, 'EACCES', join(dir, 'read-only.json'));
        expect(await listing(dir)).toEqual([]);
        expect(s.entries()).toEqual([]);
      } finally {
        await fs.chmod(dir, 0o700);
      }
    },
  );

  it('through a StorageManager: ok: false with the StorageWriteError, persist:failed, other formats unaffected', async () => {
    const enospc = systemError('ENOSPC', 'write');
    // Only json files hit the full disk (temporary files are named `.<file>.<random>.tmp`).
    const failJson = faultyFileSystem({
      writeFile: (path) => (path.includes('.json.') ? enospc : undefined),
    });
    const metrics = new RecordingMetrics();
    const manager = new StorageManager({
      backends: [new LocalStorage({ directory: dir, fileSystem: failJson })],
      metrics,
    });
    const failed: Array<{ dump: ActivityDump; error: Error }> = [];
    const persisted: ActivityDump[] = [];
    manager.on('persist:failed', (dump, outcome) => failed.push({ dump, error: outcome.error }));
    manager.on('dump:persisted', (dump) => persisted.push(dump));

    const dump = conformanceDump([local('json')], 'through-manager');
    const outcomes = await manager.persist(dump);
    expect(outcomes).toHaveLength(1);
    const [outcome] = outcomes;
    expect(outcome?.ok).toBe(false);
    if (outcome === undefined || outcome.ok) return;
    expectWriteError(outcome.error, 'ENOSPC', join(dir, 'through-manager.json'), enospc);
    expect(failed).toEqual([{ dump, error: outcome.error }]);
    expect(persisted).toEqual([]);
    expect(metrics.total(METRIC_NAMES.persistedDumps)).toBe(0);
    expect(await listing(dir)).toEqual([]);

    // One request failing does not hide another's success.
    const mixed = conformanceDump([local('json'), local('protobuf')], 'mixed');
    const both = await manager.persist(mixed);
    expect(both.map((o) => o.ok)).toEqual([false, true]);
    expect(persisted).toEqual([mixed]);
    expect(failed).toHaveLength(2);
    expect(await listing(dir)).toEqual(['mixed.protobuf']);
    expect(metrics.total(METRIC_NAMES.persistedDumps)).toBe(1);
    await manager.shutdown();
  });
});

// ---------------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------------

describe('LocalStorage: file and directory modes', () => {
  let previousUmask: number;
  beforeEach(() => {
    previousUmask = process.umask(0); // so that the modes seen are the modes asked for
  });
  afterEach(() => {
    process.umask(previousUmask);
  });

  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

  it('defaults to 0o640 for files and 0o750 for the directories it creates', async () => {
    const directory = join(base, 'new', 'dumps');
    const s = new LocalStorage({ directory });
    const receipt = await s.store(itemNamed('modes'));
    expect(await modeOf(receipt.location)).toBe(0o640);
    expect(await modeOf(directory)).toBe(0o750);
    expect(await modeOf(join(base, 'new'))).toBe(0o750);

    const own = join(base, 'own-output');
    const elsewhere = await s.store(itemNamed('modes-elsewhere', local('json', true, own)));
    expect(await modeOf(elsewhere.location)).toBe(0o640);
    expect(await modeOf(own)).toBe(0o750);
  });

  it('start() creates a missing directory with the directory mode', async () => {
    const directory = join(base, 'scanned');
    await new LocalStorage({ directory, directoryMode: 0o700 }).start();
    expect(await modeOf(directory)).toBe(0o700);
  });

  it('applies configured modes (0o600 / 0o700), also when replacing a file', async () => {
    const directory = join(base, 'private', 'dumps');
    const s = new LocalStorage({ directory, fileMode: 0o600, directoryMode: 0o700 });
    const receipt = await s.store(itemNamed('private'));
    expect(await modeOf(receipt.location)).toBe(0o600);
    expect(await modeOf(directory)).toBe(0o700);
    expect(await modeOf(join(base, 'private'))).toBe(0o700);
    await fs.chmod(receipt.location, 0o644);
    await s.store(itemNamed('private'));
    expect(await modeOf(receipt.location)).toBe(0o600);
  });

  it('leaves the mode of an existing directory as it is', async () => {
    await fs.chmod(dir, 0o755);
    await storage({ directoryMode: 0o700 }).store(itemNamed('existing-dir'));
    expect(await modeOf(dir)).toBe(0o755);
  });
});

// ---------------------------------------------------------------------------------------------
// Dump names
// ---------------------------------------------------------------------------------------------

describe('LocalStorage: dump names reaching the file system are validated', () => {
  const BAD_NAMES = [
    ['../evil', 'a parent path'],
    ['../../etc/cron.d/evil', 'a deeper parent path'],
    ['a/b', 'a separator'],
    ['a\\b', 'a backslash'],
    ['/tmp/absolute', 'an absolute path'],
    ['..', 'dot dot'],
    ['.', 'dot'],
    ['', 'empty'],
    ['x'.repeat(300), 'x repeated 300 times'],
    ['nul\0byte', 'a NUL byte'],
    ['new\nline', 'a newline'],
  ].map(([name, what]) => [name!.length > 40 ? what! : `${JSON.stringify(name)} (${what})`, name!] as const);

  it.each(BAD_NAMES)('refuses %s before writing anything', async (_, name) => {
    const s = storage();
    await s.start();
    const before = await listing(base);
    const error = await rejectionOf(s.store(itemNamed(name)));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('AD_ERR_INVALID_ARGUMENT');
    expect(await listing(base)).toEqual(before);
    expect(await listing(dir)).toEqual([]);
    expect(s.entries()).toEqual([]);
  });

  it('refuses a bad name before even creating the directory', async () => {
    const missing = join(base, 'never-created');
    const s = new LocalStorage({ directory: missing });
    await expect(s.store(itemNamed('../evil'))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await exists(missing)).toBe(false);
    expect(await listing(base)).toEqual(['dumps']);
  });

  it('accepts the names the agent generates and ordinary dotted names', async () => {
    const s = storage();
    for (const name of ['activity-dump-AbCdEfGhIj', 'a', 'v1.2_x-y', 'x'.repeat(201)]) {
      const receipt = await s.store(itemNamed(name));
      expect(dirname(receipt.location)).toBe(dir);
    }
    expect(s.entries()).toHaveLength(4);
  });

  it('property: any name is refused with an ActivityDumpError or gives exactly one file inside the directory', async () => {
    const tricky = fc.constantFrom(
      '..',
      '.',
      '',
      '../evil',
      'a/b',
      '/',
      './x',
      'x/..',
      '..\\x',
      'x'.repeat(300),
      'ok-name',
      'a..b',
      'a.json',
      'a.json.gz',
    );
    const pathish = fc.string({
      unit: fc.constantFrom('a', 'Z', '0', '.', '-', '_', '/', '\\', ' ', '\0'),
      maxLength: 16,
    });
    const names = fc.oneof(
      tricky,
      pathish,
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/),
      fc.integer({ min: 195, max: 210 }).map((n) => 'n'.repeat(n)),
    );
    const root = join(base, 'property');
    await mkdir(root);
    let run = 0;
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        run++;
        const runDir = join(root, `run-${run}`);
        const directory = join(runDir, 'store');
        await mkdir(directory, { recursive: true });
        const s = new LocalStorage({ directory });
        await s.start();
        let location: string | undefined;
        try {
          location = (await s.store(itemNamed(name, local('msgpack')))).location;
        } catch (error) {
          expect(error).toBeInstanceOf(ActivityDumpError);
        }
        const files = await listing(directory);
        if (location === undefined) {
          refused++;
          expect(files).toEqual([]);
          expect(s.entries()).toEqual([]);
        } else {
          accepted++;
          expect(files).toHaveLength(1);
          expect(join(directory, files[0]!)).toBe(location);
          const rel = relative(directory, location);
          expect(rel.startsWith('..')).toBe(false);
          expect(rel.includes(sep)).toBe(false);
          expect(isAbsolute(rel)).toBe(false);
        }
        expect(await listing(runDir)).toEqual(['store', ...files.map((f) => join('store', f))]);
        expect((await readdir(root)).filter((f) => !f.startsWith('run-'))).toEqual([]);
        expect((await readdir(base)).sort()).toEqual(['dumps', 'property']);
        await rm(runDir, { recursive: true, force: true });
      }),
      { numRuns: 150 },
    );
    // Both branches were exercised.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Construction and lifecycle
// ---------------------------------------------------------------------------------------------

describe('LocalStorage: construction and lifecycle', () => {
  it.each([
    ['an empty directory', { directory: '' }],
    ['a missing directory', {} as LocalStorageOptions],
    ['maxDumpsCount 0', { directory: 'x', maxDumpsCount: 0 }],
    ['maxDumpsCount 1.5', { directory: 'x', maxDumpsCount: 1.5 }],
    ['maxDumpsCount -1', { directory: 'x', maxDumpsCount: -1 }],
    ['maxDumpsCount NaN', { directory: 'x', maxDumpsCount: Number.NaN }],
    ['maxDumpsCount Infinity', { directory: 'x', maxDumpsCount: Number.POSITIVE_INFINITY }],
  ])('refuses %s with an InvalidArgumentError', (_, options) => {
    expect(() => new LocalStorage(options as LocalStorageOptions)).toThrow(InvalidArgumentError);
  });

  it('accepts maxDumpsCount 1 and resolves the directory', () => {
    const s = new LocalStorage({ directory: join(base, 'a', '..', 'b'), maxDumpsCount: 1 });
    expect(s.directory).toBe(join(base, 'b'));
    expect(s.type).toBe('local_storage');
  });

  it('shuts down idempotently; a store afterwards rejects with StorageClosedError and writes nothing', async () => {
    const s = storage();
    await s.store(itemNamed('before-shutdown'));
    const first = s.shutdown();
    expect(s.shutdown()).toBe(first);
    await first;
    await s.shutdown();
    const error = await rejectionOf(s.store(itemNamed('after-shutdown')));
    expect(error).toBeInstanceOf(StorageClosedError);
    expect((error as StorageClosedError).code).toBe('AD_ERR_STORAGE_CLOSED');
    expect(await listing(dir)).toEqual(['before-shutdown.json']);
    expect(namesOf(s)).toEqual(['before-shutdown']);
  });

  it('shutdown waits for a store in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let writing!: () => void;
    const writeStarted = new Promise<void>((resolve) => {
      writing = resolve;
    });
    const gated: FileSystem = {
      ...faultyFileSystem({}),
      rename: (async (from: string, to: string) => {
        writing();
        await gate;
        return fs.rename(from, to);
      }) as FileSystem['rename'],
    };
    const s = storage({ fileSystem: gated });
    const storing = s.store(itemNamed('in-flight'));
    await writeStarted;
    let shutDown = false;
    const shutdown = s.shutdown().then(() => {
      shutDown = true;
    });
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(shutDown).toBe(false);
    await expect(s.store(itemNamed('too-late'))).rejects.toBeInstanceOf(StorageClosedError);
    release();
    const receipt = await storing;
    await shutdown;
    expect(shutDown).toBe(true);
    expect(receipt.location).toBe(join(dir, 'in-flight.json'));
    expect(await listing(dir)).toEqual(['in-flight.json']);
  });
});
