import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import {
  CapacityReachedError,
  DumpAlreadyRunningError,
  DumpNotFoundError,
  InvalidArgumentError,
  ManagerClosedError,
  UnsupportedFormatError,
} from '../../src/errors.js';
import { ActivityDumpManager } from '../../src/manager/activity-dump-manager.js';
import { METRIC_NAMES } from '../../src/metrics.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { event } from '../../src/testing/event-builders.js';
import {
  containerProcess,
  createHarness,
  dumpOf,
  execEvents,
  MINUTE,
  openEvents,
  SECOND,
  T0,
} from '../support/manager-harness.js';

const SHAPES: Array<[string, boolean[]]> = [
  ['no dumps', []],
  ['one, yes', [true]],
  ['one, no', [false]],
  ['five, none', [false, false, false, false, false]],
  ['five, all', [true, true, true, true, true]],
  ['five, #2 and #4', [false, true, false, true, false]],
  ['five, #1 and #2', [true, true, false, false, false]],
  ['five, #4 and #5', [false, false, false, true, true]],
];

describe('expired dumps (upstream T1), swept by cleanup', () => {
  it.each(SHAPES)('%s', async (_, expired) => {
    const h = createHarness({ cleanupPeriod: 0 });
    const names = expired.map((isExpired, i) => {
      const dump = h.manager.startDump({ containerId: `c${i}`, timeout: isExpired ? MINUTE : 3 * MINUTE });
      h.manager.handleEvent(event('exec', containerProcess(`c${i}`), {}));
      return dump.name;
    });
    await h.tick(MINUTE + SECOND); // "now" is past the end of the 1-minute dumps only
    await h.manager.runPeriodicTask('cleanup');
    const want = names.filter((_, i) => expired[i]);
    const keep = names.filter((_, i) => !expired[i]);
    expect(h.names('dump:finalized').sort()).toEqual([...want].sort());
    expect(h.manager.listDumps().map((d) => d.name)).toEqual(keep);
    await h.tick(0);
    expect(h.storage.names().sort()).toEqual([...want].sort());
  });
});

describe('overweight dumps (upstream T2), split by the load controller', () => {
  it.each(SHAPES)('%s', async (_, overweight) => {
    // 100 KiB budget = 100 process nodes of 1 KiB; an empty tree weighs nothing.
    const h = createHarness({ maxDumpSize: 100, tracedCgroupsCount: 10, loadControllerPeriod: 0 });
    const names = overweight.map((heavy, i) => {
      const dump = h.manager.startDump({ containerId: `c${i}` });
      if (heavy) h.manager.handleEvents(execEvents(`c${i}`, 99)); // sh + 99 tools
      return dump.name;
    });
    for (const [i, heavy] of overweight.entries()) {
      expect(dumpOf(h.manager, `c${i}`)?.state).toBe(heavy ? 'paused' : 'running');
    }
    await h.manager.runPeriodicTask('loadController');
    const want = names.filter((_, i) => overweight[i]);
    expect(h.names('dump:split')).toEqual(want);
    const active = h.manager.listDumps();
    // Untouched dumps keep their order; continuations are appended, one per split dump.
    expect(active.slice(0, names.length - want.length).map((d) => d.name)).toEqual(
      names.filter((_, i) => !overweight[i]),
    );
    expect(active).toHaveLength(names.length);
    for (const [i] of names.entries()) expect(dumpOf(h.manager, `c${i}`)?.state).toBe('running');
    // The size gauge was emitted for every dump, tagged with its position.
    for (const [i] of names.entries()) {
      expect(h.metrics.lastGauge(METRIC_NAMES.sizeInMemory, [`dump_index:${i}`])).toBeDefined();
    }
  });
});

describe('stopping dumps', () => {
  it('validates the request with the agent messages', async () => {
    const h = createHarness();
    await expect(h.manager.stopDump({})).rejects.toThrow(
      new InvalidArgumentError('you must specify one selector between name, containerID and cgroupID'),
    );
  });

  it('reports what was not found, name first, then container, then cgroup', async () => {
    const h = createHarness();
    const prefix = 'the activity dump manager does not contain any ActivityDump with the following';
    await expect(h.manager.stopDump({ name: 'n', containerId: 'c', cgroupId: 'g' })).rejects.toThrow(
      `${prefix} name: n`,
    );
    await expect(h.manager.stopDump({ containerId: 'c', cgroupId: 'g' })).rejects.toThrow(
      `${prefix} containerID: c`,
    );
    const error = await h.manager.stopDump({ cgroupId: 'g' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DumpNotFoundError);
    expect((error as DumpNotFoundError).code).toBe('AD_ERR_DUMP_NOT_FOUND');
    expect((error as Error).message).toBe(`${prefix} cgroup ID: g`);
  });

  it('stops the first dump matching any given field, and persists it', async () => {
    const h = createHarness();
    const a = h.manager.startDump({ containerId: 'a' });
    const b = h.manager.startDump({ cgroupId: 'g-b' });
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    const end = await h.manager.stopDump({ name: b.name, containerId: 'a' });
    expect(end.dump).toBe(a);
    expect(end.status).toBe('persisted');
    expect(h.manager.listDumps()).toEqual([b]);
    expect(h.storage.names()).toEqual([a.name]);
    const byCgroup = await h.manager.stopDump({ cgroupId: 'g-b' });
    expect(byCgroup).toMatchObject({ dump: b, status: 'dropped', reason: 'empty' });
  });
});

describe('starting dumps', () => {
  it('needs a container or a cgroup, and a valid timeout', () => {
    const h = createHarness();
    expect(() => h.manager.startDump({})).toThrow(
      'you must specify one selector between containerID and cgroupID',
    );
    for (const timeout of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => h.manager.startDump({ containerId: 'c', timeout })).toThrow(/invalid timeout duration/);
    }
    expect(() => h.manager.startDump({ containerId: 7 as never })).toThrow(InvalidArgumentError);
  });

  it('refuses a second dump of a container or a cgroup (the agent V1/V2 silently did nothing)', () => {
    const h = createHarness();
    h.manager.startDump({ containerId: 'c', cgroupId: 'g' });
    expect(() => h.manager.startDump({ containerId: 'c' })).toThrow(
      new DumpAlreadyRunningError('dump for container c already running'),
    );
    expect(() => h.manager.startDump({ cgroupId: 'g' })).toThrow('dump for cgroup g already running');
  });

  it('counts user dumps against the cap (the agent let them bypass it)', () => {
    const h = createHarness({ tracedCgroupsCount: 2 });
    h.manager.startDump({ containerId: 'a' });
    h.manager.startDump({ containerId: 'b' });
    const error = (() => {
      try {
        h.manager.startDump({ containerId: 'c' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CapacityReachedError);
    expect(error).toMatchObject({ code: 'AD_ERR_CAPACITY_REACHED', active: 2, max: 2 });
    expect((error as Error).message).toBe('activity dump capacity reached (2/2)');
    // Events of a third container are not traced either.
    expect(h.manager.handleEvent(event('exec', containerProcess('c'), {}))).toBe('capacity');
  });

  it('uses the requested timeout, storage and argument differentiation', () => {
    const h = createHarness();
    const dump = h.manager.startDump({
      containerId: 'c',
      timeout: 2 * MINUTE,
      differentiateArgs: true,
      storage: { localStorageFormats: ['.JSON', 'Protobuf'], localStorageCompression: true },
    });
    expect(dump.loadConfig).toMatchObject({ start: T0, end: T0 + 2 * MINUTE, waitListUntil: 0 });
    expect(dump.metadata).toMatchObject({ containerId: 'c', differentiateArgs: true, protobufVersion: 'v1' });
    expect(dump.tree.differentiateArgs).toBe(true);
    expect(dump.storageRequests).toEqual([
      { type: 'local_storage', format: 'json', compression: true, outputDirectory: '/dumps' },
      { type: 'local_storage', format: 'protobuf', compression: true, outputDirectory: '/dumps' },
    ]);
    expect(() =>
      h.manager.startDump({ containerId: 'd', storage: { remoteStorageFormats: ['xml'] } }),
    ).toThrow(UnsupportedFormatError);
  });

  it('records a cgroup dump from the events of that cgroup', () => {
    const h = createHarness();
    const dump = h.manager.startDump({ cgroupId: 'system.slice/app.service' });
    const process = { ...containerProcess(''), cgroupId: 'system.slice/app.service' };
    expect(h.manager.handleEvent(event('open', process, { file: { path: '/etc/app.conf' } }))).toBe('added');
    // Only the process of the cgroup is recorded: its shell parent is outside it.
    expect([...dump.tree.processNodes()].map((n) => n.process.file.path)).toEqual(['/usr/bin/app']);
    expect(dump.tree.roots[0]?.files).toHaveLength(1);
  });
});

describe('cleanup', () => {
  it('drops an empty expired dump as empty, and counts it', async () => {
    const h = createHarness({ dumpDuration: MINUTE });
    h.manager.start();
    const dump = h.manager.startDump({ containerId: 'c' });
    await h.tick(MINUTE + 30 * SECOND);
    expect(h.seen).toContainEqual(['dump:dropped', dump.name, 'empty']);
    expect(h.storage.stored).toEqual([]);
    h.manager.sendStats();
    expect(h.metrics.total(METRIC_NAMES.emptyDumpDropped)).toBe(1);
    expect(h.metrics.total(METRIC_NAMES.droppedDumps, ['reason:empty'])).toBe(1);
    await h.manager.close();
  });

  it('drops a non-empty dump whose tags never resolved, when a selector is required', async () => {
    const h = createHarness({ dumpDuration: MINUTE, tagsResolver: { resolve: () => [] } });
    h.manager.start();
    h.manager.handleEvent(event('exec', containerProcess('c'), {}));
    const [dump] = h.manager.listDumps();
    await h.tick(2 * MINUTE);
    // The agent discarded it silently (V1–V3); it is counted and reported here.
    expect(h.seen).toContainEqual(['dump:dropped', dump!.name, 'no_selector']);
    expect(h.manager.accounting().dropped.no_selector).toBe(1);
    await h.manager.close();
  });

  it('persists a non-empty dump without image tags when no tags resolver is configured', async () => {
    const h = createHarness({ dumpDuration: MINUTE });
    h.manager.start();
    h.manager.handleEvent(event('exec', containerProcess('c'), {}));
    await h.tick(2 * MINUTE);
    expect(h.names('dump:persisted')).toHaveLength(1);
    await h.manager.close();
  });

  it('finalizes every dump once, whatever ended it', async () => {
    const h = createHarness({
      tracedCgroupsCount: 10,
      maxDumpsPerWorkload: 1,
      tagsResolver: { resolve: () => ['image_name:x'] },
    });
    h.manager.start();
    for (const id of ['a', 'b', 'c']) h.manager.handleEvent(event('exec', containerProcess(id), {}));
    await h.tick(20 * MINUTE);
    await h.manager.close();
    const finalized = h.names('dump:finalized');
    expect(finalized).toHaveLength(3);
    expect(new Set(finalized).size).toBe(3);
  });
});

describe('persisting', () => {
  it('reports each failed request, and drops a dump no request could store', async () => {
    const storage = new MemoryStorage({
      beforeStore: (_, request) => {
        if (request.format === 'json') throw new Error('disk full');
      },
    });
    const h = createHarness({
      storage,
      localStorage: { formats: ['json', 'msgpack'], outputDirectory: '/d' },
    });
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    const partly = await h.manager.stopDump({ containerId: 'a' });
    expect(partly.status).toBe('persisted');
    expect(h.seen).toContainEqual(['persist:failed', partly.dump.name, 'disk full']);

    const only = h.manager.startDump({ containerId: 'b', storage: { localStorageFormats: ['json'] } });
    h.manager.handleEvent(event('exec', containerProcess('b'), {}));
    const failed = await h.manager.stopDump({ name: only.name });
    expect(failed).toMatchObject({ status: 'dropped', reason: 'persist_failed' });
    expect(failed.outcomes).toHaveLength(1);
    expect(h.manager.accounting()).toMatchObject({ started: 2, persisted: 1, droppedTotal: 1 });
  });

  it('turns a storage that throws into failed outcomes', async () => {
    const storage = {
      persist: () => Promise.reject(new Error('backend down')),
    };
    const h = createHarness({ storage });
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    const end = await h.manager.stopDump({ containerId: 'a' });
    expect(end).toMatchObject({ status: 'dropped', reason: 'persist_failed' });
    expect(h.seen.filter(([kind]) => kind === 'persist:failed')).toEqual([
      ['persist:failed', end.dump.name, 'backend down'],
    ]);
  });

  it('drops a dump with no storage request', async () => {
    const h = createHarness();
    h.manager.startDump({ containerId: 'a', storage: {} });
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    await expect(h.manager.stopDump({ containerId: 'a' })).resolves.toMatchObject({ reason: 'no_storage' });
  });

  it('counts the bytes really written, compressed or not (the agent counted them before gzip)', async () => {
    const h = createHarness({
      localStorage: { formats: ['json'], compression: true, outputDirectory: '/d' },
    });
    h.manager.handleEvents(openEvents(containerProcess('a'), 50));
    await h.manager.stopDump({ containerId: 'a' });
    const [stored] = h.storage.stored;
    const tags = ['format:json', 'storage_type:local_storage', 'compression:true'];
    expect(h.metrics.total(METRIC_NAMES.sizeInBytes, tags)).toBe(stored!.bytes.length);
    expect(h.metrics.total(METRIC_NAMES.persistedDumps, tags)).toBe(1);
    expect([...stored!.bytes.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
  });

  it('keeps recording while a persist is slow, and close waits for it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = createHarness({ storage: new MemoryStorage({ beforeStore: () => gate }) });
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    const stopping = h.manager.stopDump({ containerId: 'a' });
    // The agent (V1–V3) persisted under the manager lock: events waited for the disk.
    expect(h.manager.handleEvent(event('exec', containerProcess('b'), {}))).toBe('added');
    expect(h.manager.accounting()).toMatchObject({ active: 1, persisting: 1 });
    let closed = false;
    const closing = h.manager.close().then(() => {
      closed = true;
    });
    await h.tick(0);
    expect(closed).toBe(false);
    release();
    await closing;
    await expect(stopping).resolves.toMatchObject({ status: 'persisted' });
    expect(h.manager.accounting()).toMatchObject({ started: 2, persisted: 2, active: 0, persisting: 0 });
  });
});

describe('close', () => {
  it('persists what is still recording, once, and refuses more work', async () => {
    const h = createHarness();
    h.manager.start();
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    h.manager.startDump({ containerId: 'b' });
    const first = h.manager.close();
    expect(h.manager.close()).toBe(first);
    await first;
    expect(h.names('dump:persisted')).toHaveLength(1);
    expect(h.seen.filter(([kind]) => kind === 'dump:dropped').map(([, , reason]) => reason)).toEqual([
      'empty',
    ]);
    expect(h.manager.listDumps()).toEqual([]);
    expect(h.manager.handleEvent(event('exec', containerProcess('c'), {}))).toBe('closed');
    expect(() => h.manager.startDump({ containerId: 'c' })).toThrow(ManagerClosedError);
    expect(() => h.manager.start()).toThrow(ManagerClosedError);
    expect(h.fake.countTimers()).toBe(0);
    const a = h.manager.accounting();
    expect(a.started).toBe(a.persisted + a.droppedTotal + a.active + a.persisting);
  });

  it('asks for the tags of a dump started just before, so it is not dropped for lacking them', async () => {
    const h = createHarness({ tagsResolver: { resolve: async () => ['image_name:late', 'image_tag:1'] } });
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    await h.manager.close();
    expect(h.names('dump:persisted')).toHaveLength(1);
    expect(h.storage.stored[0]?.name).toBe(h.names('dump:started')[0]);
  });

  it('sends the last stats', async () => {
    const h = createHarness();
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    await h.manager.close();
    expect(h.metrics.lastGauge(METRIC_NAMES.activeDumps)).toBe(0);
    // One per process node created (sh, app) and one for the insert, as the agent counts.
    expect(h.metrics.total(METRIC_NAMES.eventAdded, ['event_type:exec', 'generation_type:runtime'])).toBe(3);
  });
});

describe('events and options', () => {
  it('rejects what is not an event, counts events without a process', () => {
    const h = createHarness();
    expect(() => h.manager.handleEvent(null as never)).toThrow(InvalidArgumentError);
    expect(() => h.manager.handleEvent('exec' as never)).toThrow(InvalidArgumentError);
    expect(h.manager.handleEvent({ type: 'exec' } as never)).toBe('broken_event');
    expect(h.manager.handleEvent({ type: 'exec', process: { pid: 1, containerId: 5 } } as never)).toBe(
      'broken_event',
    );
    expect(h.manager.rejectedEvents().broken_event).toBe(2);
  });

  it('ignores host processes unless asked to trace them', () => {
    const host = containerProcess('');
    expect(createHarness().manager.handleEvent(event('exec', host, {}))).toBe('host_process');
    const h = createHarness({ traceHostProcesses: true });
    expect(h.manager.handleEvent(event('exec', host, {}))).toBe('added');
    expect(h.manager.listDumps()[0]?.metadata?.containerId).toBe('');
  });

  it('checks its options', () => {
    const storage = new MemoryStorage();
    expect(() => new ActivityDumpManager(null as never)).toThrow(/options must be an object/);
    expect(() => new ActivityDumpManager({ storage: {} as never })).toThrow(/persist method/);
    expect(() => new ActivityDumpManager({ storage, cleanupPeriod: -1 })).toThrow(/cleanupPeriod/);
    expect(() => new ActivityDumpManager({ storage, tracedCgroupsCount: 1.5 })).toThrow(/tracedCgroupsCount/);
    expect(() => new ActivityDumpManager({ storage, workloadDenyList: [''] })).toThrow(
      /invalid workload selector in workloadDenyList/,
    );
    expect(() => new ActivityDumpManager({ storage, localStorage: { formats: ['yaml'] } })).toThrow(
      UnsupportedFormatError,
    );
    expect(() => new ActivityDumpManager({ storage, tracedEventTypes: ['nope' as never] })).toThrow(
      /unknown event type/,
    );
    expect(() => new ActivityDumpManager({ storage, loadController: { minRate: -1 } })).toThrow(/minRate/);
  });

  it('keeps a throwing listener out of its state, and reports it', () => {
    const h = createHarness();
    h.manager.on('dump:started', () => {
      throw new Error('listener bug');
    });
    expect(h.manager.handleEvent(event('exec', containerProcess('a'), {}))).toBe('added');
    expect(h.seen).toContainEqual(['error', '', 'listener bug']);
    expect(h.manager.listDumps()).toHaveLength(1);
  });

  it('keeps a throwing metrics client or logger out of its bookkeeping, and reports them', async () => {
    const broken = () => {
      throw new Error('statsd down');
    };
    const h = createHarness({
      metrics: { count: broken, gauge: broken },
      logger: { debug: broken, info: broken, warn: broken, error: broken },
    });
    h.manager.handleEvent(event('exec', containerProcess('a'), {}));
    await expect(h.manager.stopDump({ containerId: 'a' })).resolves.toMatchObject({ status: 'persisted' });
    await h.manager.close();
    expect(h.manager.accounting()).toMatchObject({ started: 1, persisted: 1, persisting: 0 });
    expect(h.seen.some(([kind, , message]) => kind === 'error' && message === 'statsd down')).toBe(true);
  });

  it('stores protobuf by default without a tags resolver, profile with one', () => {
    const storage = new MemoryStorage();
    const plain = new ActivityDumpManager({ storage });
    expect(plain.startDump({ containerId: 'a' }).storageRequests.map((r) => r.format)).toEqual(['protobuf']);
    const resolved = new ActivityDumpManager({ storage, tagsResolver: { resolve: () => [] } });
    expect(resolved.startDump({ containerId: 'a' }).storageRequests).toEqual([
      {
        type: 'local_storage',
        format: 'profile',
        compression: false,
        outputDirectory: '/opt/datadog-agent/run/runtime-security/profiles',
      },
    ]);
  });

  it('clamps tracedCgroupsCount to 128 and the dump size to at least 100 KiB', () => {
    const h = createHarness({ tracedCgroupsCount: 1000, maxDumpSize: 1 });
    for (let i = 0; i < 130; i++) h.manager.handleEvent(event('exec', containerProcess(`c${i}`), {}));
    expect(h.manager.listDumps()).toHaveLength(128);
    expect(h.manager.listDumps()[0]?.maxSize).toBe(100 * 1024);
  });
});

describe('on vi.useFakeTimers() with the system clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps and persists an expired dump on the default schedule', async () => {
    vi.useFakeTimers({ now: T0 });
    const storage = new MemoryStorage();
    const manager = new ActivityDumpManager({
      storage,
      clock: systemClock,
      localStorage: { formats: ['json'] },
    });
    manager.start();
    manager.handleEvent(event('exec', containerProcess('a'), {}));
    const [dump] = manager.listDumps();
    expect(dump?.loadConfig?.start).toBe(T0);
    await vi.advanceTimersByTimeAsync(15 * MINUTE); // dump duration: not past its end yet
    expect(manager.listDumps()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30 * SECOND); // the next cleanup tick
    expect(manager.listDumps()).toHaveLength(0);
    expect(storage.names()).toEqual([dump!.name]);
    await manager.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
