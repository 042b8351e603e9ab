import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import { InvalidArgumentError, StorageClosedError, StorageError } from '../../src/errors.js';
import { ActivityDumpManager } from '../../src/manager/activity-dump-manager.js';
import { METRIC_NAMES } from '../../src/metrics.js';
import type { PersistOutcome } from '../../src/storage/dump-persister.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import type { PersistItem, StorageBackend } from '../../src/storage/storage-backend.js';
import { StorageManager } from '../../src/storage/storage-manager.js';
import type { StorageRequest } from '../../src/storage/storage-request.js';
import { event } from '../../src/testing/event-builders.js';
import { RecordingMetrics } from '../../src/testing/recording-metrics.js';
import { conformanceDump } from '../../src/testing/storage-conformance.js';
import { containerProcess } from '../support/manager-harness.js';

const local = (format: StorageRequest['format'], compression = false): StorageRequest => ({
  type: 'local_storage',
  format,
  compression,
  outputDirectory: '',
});
const remote = (format: StorageRequest['format'], compression = true): StorageRequest => ({
  type: 'remote_storage',
  format,
  compression,
  outputDirectory: '',
});

/** A backend that records the items it got, and fails when told to. */
function recordingBackend(type: StorageBackend['type'], fail?: Error) {
  const items: PersistItem[] = [];
  const backend: StorageBackend = {
    type,
    async store(item) {
      items.push(item);
      if (fail !== undefined) throw fail;
      return { location: `${type}://${item.dump.name}.${item.request.format}`, size: item.payload.length };
    },
  };
  return { backend, items };
}

const directories: string[] = [];
afterEach(async () => {
  for (const dir of directories.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('StorageManager', () => {
  it('encodes each format once and gzips once per format and compression', async () => {
    const a = recordingBackend('local_storage');
    const b = recordingBackend('remote_storage');
    const manager = new StorageManager({ backends: [a.backend, b.backend] });
    const dump = conformanceDump([
      local('json'),
      local('json', true),
      remote('json', true),
      remote('protobuf'),
    ]);
    const outcomes = await manager.persist(dump);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true]);
    const [plain, zipped] = a.items;
    const [remoteZipped, remoteProto] = b.items;
    expect(plain!.encoded).toBe(zipped!.encoded); // one json encoding for all
    expect(plain!.payload).toBe(plain!.encoded);
    expect(zipped!.payload).toBe(remoteZipped!.payload); // one gzip per (json, true)
    expect([...zipped!.payload.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(decodeDump(remoteProto!.encoded, { format: 'protobuf' }).metadata?.serialization).toBe('protobuf');
    expect(decodeDump(plain!.encoded, { format: 'json' }).metadata?.serialization).toBe('json');
  });

  it('returns one outcome per request: a failing backend never hides another success', async () => {
    const good = recordingBackend('local_storage');
    const bad = recordingBackend('remote_storage', new StorageError('intake down'));
    const metrics = new RecordingMetrics();
    const manager = new StorageManager({ backends: [good.backend, bad.backend], metrics });
    const persisted: string[] = [];
    const failed: string[] = [];
    manager.on('dump:persisted', (dump) => persisted.push(dump.name));
    manager.on('persist:failed', (_, outcome) => failed.push(outcome.error.message));
    const dump = conformanceDump([remote('protobuf'), local('msgpack')]);
    const outcomes = await manager.persist(dump);
    expect(outcomes.map((o) => [o.request.type, o.ok])).toEqual([
      ['remote_storage', false],
      ['local_storage', true],
    ]);
    expect(persisted).toEqual([dump.name]);
    expect(failed).toEqual(['intake down']);
    const tags = ['format:msgpack', 'storage_type:local_storage', 'compression:false'];
    const size = (outcomes[1] as Extract<PersistOutcome, { ok: true }>).size;
    expect(metrics.total(METRIC_NAMES.sizeInBytes, tags)).toBe(size);
    expect(metrics.total(METRIC_NAMES.persistedDumps, tags)).toBe(1);
    expect(metrics.total(METRIC_NAMES.persistedDumps, ['storage_type:remote_storage'])).toBe(0);
  });

  it('fails a request with no backend of its type, or whose format cannot be encoded', async () => {
    const manager = new StorageManager({ backends: [recordingBackend('local_storage').backend] });
    const dump = conformanceDump([remote('json'), local('json')]);
    dump.tags.splice(0); // a profile needs image tags
    dump.storageRequests.push(local('profile'));
    const outcomes = await manager.persist(dump);
    expect(outcomes.map((o) => o.ok)).toEqual([false, true, false]);
    expect((outcomes[0] as { error: Error }).error.message).toBe('no storage backend for remote_storage');
    expect((outcomes[2] as { error: Error }).error).toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses two backends of one type', () => {
    const one = recordingBackend('local_storage').backend;
    expect(() => new StorageManager({ backends: [one, one] })).toThrow(InvalidArgumentError);
  });

  it('starts backends once, waits for persists in flight at shutdown, then refuses', async () => {
    let starts = 0;
    let shutdowns = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const memory = new MemoryStorage({ beforeStore: () => gate });
    const backend: StorageBackend = {
      type: 'local_storage',
      store: (item) => memory.store(item),
      start: async () => {
        starts++;
      },
      shutdown: async () => {
        shutdowns++;
      },
    };
    const manager = new StorageManager({ backends: [backend] });
    const persisting = manager.persist(conformanceDump([local('json')]));
    await manager.start();
    const shutdown = manager.shutdown();
    expect(manager.shutdown()).toBe(shutdown);
    release();
    await expect(persisting).resolves.toMatchObject([{ ok: true }]);
    await shutdown;
    expect([starts, shutdowns]).toEqual([1, 1]);
    const after = await manager.persist(conformanceDump([local('json')]));
    expect((after[0] as { error: Error }).error).toBeInstanceOf(StorageClosedError);
  });

  it('reports a backend that fails to start, and still persists through the others', async () => {
    const errors: string[] = [];
    const broken: StorageBackend = {
      type: 'remote_storage',
      store: () => Promise.reject(new StorageError('not started')),
      start: () => Promise.reject(new Error('spool unreadable')),
    };
    const good = recordingBackend('local_storage');
    const manager = new StorageManager({ backends: [broken, good.backend] });
    manager.on('error', (error) => errors.push(error.message));
    const outcomes = await manager.persist(conformanceDump([local('json'), remote('json')]));
    expect(outcomes.map((o) => o.ok)).toEqual([true, false]);
    expect(errors).toEqual(['spool unreadable']);
  });

  it('sends each backend telemetry with its metrics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ad-sm-'));
    directories.push(dir);
    const metrics = new RecordingMetrics();
    const manager = new StorageManager({ backends: [new LocalStorage({ directory: dir })], metrics });
    await manager.persist(conformanceDump([local('json')]));
    manager.sendTelemetry();
    expect(metrics.lastGauge(METRIC_NAMES.localStorageCount)).toBe(1);
  });
});

describe('the manager on its default storage', () => {
  it('writes ended dumps into localStorage.outputDirectory through a LocalStorage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ad-default-'));
    directories.push(dir);
    const cleaned: string[][] = [];
    const manager = new ActivityDumpManager({
      localStorage: {
        formats: ['json', 'msgpack'],
        outputDirectory: dir,
        compression: true,
        maxDumpsCount: 1,
      },
      securityProfileProvider: {
        fetchSilentWorkloads: () => [],
        onLocalStorageCleanup: (f) => cleaned.push([...f]),
      },
    });
    manager.start();
    manager.handleEvent(event('exec', containerProcess('a'), {}));
    const first = await manager.stopDump({ containerId: 'a' });
    expect(first.status).toBe('persisted');
    expect((await readdir(dir)).sort()).toEqual([
      `${first.dump.name}.json.gz`,
      `${first.dump.name}.msgpack.gz`,
    ]);
    manager.handleEvent(event('exec', containerProcess('b'), {}));
    const second = await manager.stopDump({ containerId: 'b' });
    // One dump kept: the first one's files went, and the security-profile side heard of it.
    expect((await readdir(dir)).sort()).toEqual([
      `${second.dump.name}.json.gz`,
      `${second.dump.name}.msgpack.gz`,
    ]);
    expect(cleaned.map((files) => files.sort())).toEqual([
      [join(dir, `${first.dump.name}.json.gz`), join(dir, `${first.dump.name}.msgpack.gz`)],
    ]);
    await manager.close();
  });
});
