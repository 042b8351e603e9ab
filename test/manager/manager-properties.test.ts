import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkloadSelector } from '../../src/dump/workload-selector.js';
import { ActivityDumpError } from '../../src/errors.js';
import { EVENT_TYPES } from '../../src/events/activity-event.js';
import { ActivityDumpManager, EVENT_REJECTIONS } from '../../src/manager/activity-dump-manager.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { parseStorageRequests } from '../../src/storage/storage-request.js';
import { buildLineage, event } from '../../src/testing/event-builders.js';
import { createHarness, MINUTE, SECOND } from '../support/manager-harness.js';

/** Objects shaped a bit like events: right and wrong types, missing and extra fields. */
const hostileEvent = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.string(), fc.integer()),
    process: fc.oneof(
      fc.record(
        {
          pid: fc.oneof(fc.integer(), fc.string()),
          containerId: fc.oneof(fc.constantFrom('', 'c1', 'c2'), fc.string(), fc.integer()),
          cgroupId: fc.oneof(fc.constant('g1'), fc.string(), fc.constant(null)),
          file: fc.oneof(fc.record({ path: fc.string() }), fc.anything()),
          ancestors: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), fc.anything()),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    file: fc.anything(),
    dns: fc.anything(),
    bind: fc.anything(),
    syscalls: fc.anything(),
  },
  { requiredKeys: ['type'] },
);

describe('the manager under hostile input', () => {
  it('handles any object as an event: a counted outcome, never a throw, nothing lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileEvent, { maxLength: 60 }), async (events) => {
        const h = createHarness({ traceHostProcesses: true, tracedCgroupsCount: 3 });
        h.manager.startDump({ cgroupId: 'g1' });
        for (const e of events) {
          const outcome = h.manager.handleEvent(e as never);
          expect(typeof outcome).toBe('string');
        }
        await h.manager.close();
        const a = h.manager.accounting();
        expect(a.started).toBe(a.persisted + a.droppedTotal);
        expect(h.seen.filter(([kind]) => kind === 'error')).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps the accounting identity through any sequence of operations on fake time', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('event' as const), c: fc.integer({ min: 0, max: 6 }), n: fc.nat(40) }),
      fc.record({ kind: fc.constant('start' as const), c: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('stop' as const), c: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20 * MINUTE }) }),
      fc.record({ kind: fc.constant('selector' as const), image: fc.constantFrom('a', 'b') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.boolean(), async (ops, failSome) => {
        let writes = 0;
        const storage = new MemoryStorage({
          beforeStore: () => {
            if (failSome && writes++ % 3 === 0) throw new Error('flaky disk');
          },
        });
        const h = createHarness({
          storage,
          tracedCgroupsCount: 4,
          maxDumpSize: 100,
          dumpDuration: 5 * MINUTE,
          cgroupWaitListTimeout: 10 * MINUTE,
          maxDumpsPerWorkload: 2,
          tagsResolver: {
            resolve: ({ containerId }) => [`image_name:${Number(containerId.slice(1)) % 2 ? 'a' : 'b'}`],
          },
        });
        h.manager.start();
        const check = () => {
          const a = h.manager.accounting();
          expect(a.started).toBe(a.persisted + a.droppedTotal + a.active + a.persisting);
          expect(a.active).toBeLessThanOrEqual(4);
        };
        for (const o of ops) {
          if (o.kind === 'event') {
            const process = buildLineage(['/bin/sh', `/bin/t${o.n % 7}`], { containerId: `c${o.c}` });
            for (let i = 0; i < o.n; i++) {
              h.manager.handleEvent(
                event('exec', buildLineage(['/bin/sh', `/bin/x${i}`], { containerId: `c${o.c}` }), {}),
              );
            }
            h.manager.handleEvent(event('open', process, { file: { path: `/f/${o.n}` } }));
          } else if (o.kind === 'start') {
            try {
              h.manager.startDump({ containerId: `c${o.c}` });
            } catch (error) {
              expect(error).toBeInstanceOf(ActivityDumpError);
            }
          } else if (o.kind === 'stop') {
            await h.manager.stopDump({ containerId: `c${o.c}` }).catch((error: unknown) => {
              expect(error).toBeInstanceOf(ActivityDumpError);
            });
          } else if (o.kind === 'tick') {
            await h.tick(o.ms);
          } else {
            h.manager.stopDumpsWithSelector(new WorkloadSelector(o.image, 'latest'));
          }
          check();
        }
        await h.manager.close();
        check();
        const a = h.manager.accounting();
        expect(a.active + a.persisting).toBe(0);
        expect(h.names('dump:persisted')).toHaveLength(a.persisted);
        expect(h.names('dump:dropped')).toHaveLength(a.droppedTotal);
        expect(new Set(storage.names())).toEqual(new Set(h.names('dump:persisted')));
      }),
      { numRuns: 60 },
    );
  });

  it('rejects any malformed option with a typed error, or accepts it', () => {
    const value = fc.oneof(
      fc.integer({ min: -10, max: 10 ** 7 }),
      fc.double(),
      fc.string(),
      fc.constant(undefined),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
    );
    const keys = [
      'cleanupPeriod',
      'dumpDuration',
      'tracedCgroupsCount',
      'rateLimit',
      'maxDumpSize',
      'minTimeout',
      'maxDumpsPerWorkload',
      'workloadDenyList',
      'tracedEventTypes',
      'statsPeriod',
    ] as const;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), value), (partial) => {
        try {
          const manager = new ActivityDumpManager({ storage: new MemoryStorage(), ...(partial as object) });
          void manager.close();
        } catch (error) {
          expect(error).toBeInstanceOf(ActivityDumpError);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('parses storage requests or throws a typed error, for any input', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constantFrom('json', '.JSON', 'Protobuf', 'dot', 'msgpack', 'profile'), fc.string()),
        ),
        fc.array(fc.oneof(fc.string(), fc.anything()), { maxLength: 2 }),
        fc.boolean(),
        (local, remote, compression) => {
          try {
            const requests = parseStorageRequests({
              localStorageFormats: local,
              remoteStorageFormats: remote as string[],
              localStorageCompression: compression,
              localStorageDirectory: '/d',
            });
            expect(requests).toHaveLength(local.length + remote.length);
            for (const r of requests.slice(0, local.length)) {
              expect(r).toMatchObject({ type: 'local_storage', compression, outputDirectory: '/d' });
            }
          } catch (error) {
            expect(error).toBeInstanceOf(ActivityDumpError);
          }
        },
      ),
    );
  });

  it('answers every rejection reason it can count', () => {
    const h = createHarness();
    expect(Object.keys(h.manager.rejectedEvents()).sort()).toEqual([...EVENT_REJECTIONS].sort());
  });

  it('survives a tags resolver returning junk', async () => {
    const h = createHarness({
      tagsResolver: { resolve: () => [42, null, 'image_name:ok', { a: 1 }] as never },
    });
    h.manager.handleEvent(event('exec', buildLineage(['/bin/sh'], { containerId: 'c' }), {}));
    await h.tick(SECOND);
    expect(h.manager.listDumps()[0]?.tags).toEqual(['image_name:ok']);
    const bad = createHarness({ tagsResolver: { resolve: () => 'image_name:x' as never } });
    bad.manager.handleEvent(event('exec', buildLineage(['/bin/sh'], { containerId: 'c' }), {}));
    await bad.tick(SECOND);
    expect(bad.manager.listDumps()[0]?.tags).toEqual([]);
  });
});
