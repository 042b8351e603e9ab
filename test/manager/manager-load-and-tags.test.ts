import { describe, expect, it } from 'vitest';
import type { ActivityDump } from '../../src/dump/activity-dump.js';
import { createLoadConfig, type LoadConfig } from '../../src/dump/load-config.js';
import { WorkloadSelector } from '../../src/dump/workload-selector.js';
import type { ActivityEvent } from '../../src/events/activity-event.js';
import type { LoadReduction } from '../../src/manager/load-controller.js';
import type { SilentWorkload } from '../../src/manager/security-profile-provider.js';
import type { TagsResolver } from '../../src/manager/tags-resolver.js';
import { InMemoryWorkloadAdmission, type WorkloadAdmission } from '../../src/manager/workload-admission.js';
import type { WorkloadRef } from '../../src/manager/workload-ref.js';
import { METRIC_NAMES } from '../../src/metrics.js';
import { buildLineage, event } from '../../src/testing/event-builders.js';
import {
  containerProcess,
  createHarness,
  dumpOf,
  execEvents,
  MINUTE,
  SECOND,
  T0,
} from '../support/manager-harness.js';

/** Tags by container id: `image:tag` images, plus a service. */
function resolverOf(images: Record<string, string>): TagsResolver {
  return {
    resolve: ({ containerId }) => {
      const image = images[containerId];
      if (image === undefined) return [];
      const [name, tag] = image.split(':');
      return [`image_name:${name}`, `image_tag:${tag}`, `service:${name}-svc`];
    },
  };
}

/** Fills a container's dump up to its 100 KiB budget (sh + 99 tools = 100 process nodes). */
function fill(h: ReturnType<typeof createHarness>, containerId: string): void {
  h.manager.handleEvents(execEvents(containerId, 99));
}

function splits(h: ReturnType<typeof createHarness>) {
  return h.seen
    .filter(([kind]) => kind === 'dump:split')
    .map(([, name, detail]) => ({
      name,
      ...(detail as { next: ActivityDump; reductions: LoadReduction[] }),
    }));
}

describe('inline pause', () => {
  it('pauses the dump whose insert reaches the budget; its events are turned away until the split', async () => {
    const h = createHarness({ maxDumpSize: 100, loadControllerPeriod: 0 });
    fill(h, 'c');
    const dump = dumpOf(h.manager, 'c')!;
    expect(dump.state).toBe('paused');
    expect(h.names('dump:paused')).toEqual([dump.name]);
    expect(h.manager.handleEvent(event('open', containerProcess('c'), { file: { path: '/x' } }))).toBe(
      'paused',
    );
    await h.tick(24 * 60 * MINUTE); // a paused dump's config never expires
    expect(h.manager.handleEvent(event('open', containerProcess('c'), { file: { path: '/x' } }))).toBe(
      'paused',
    );
    expect(h.manager.listDumps()).toEqual([dump]);
  });
});

describe('load controller', () => {
  it('continues a split dump under its cookie, tags, selector and storage, with a new name', async () => {
    const h = createHarness({
      maxDumpSize: 100,
      tagsResolver: resolverOf({ c: 'nginx:1' }),
      loadControllerPeriod: 0,
    });
    h.manager.handleEvent(event('exec', containerProcess('c'), {}));
    await h.tick(0); // the snapshot step resolves the tags
    const previous = dumpOf(h.manager, 'c')!;
    expect(previous.countedByLimiter).toBe(true);
    fill(h, 'c');
    await h.tick(MINUTE);
    await h.manager.runPeriodicTask('loadController');
    const next = dumpOf(h.manager, 'c')!;
    expect(next).not.toBe(previous);
    expect(next.name).not.toBe(previous.name);
    expect(next.cookie).toBe(previous.cookie);
    expect(next.tags).toEqual(['image_name:nginx', 'image_tag:1', 'service:nginx-svc']);
    expect(next.selector?.toString()).toBe(previous.selector?.toString());
    expect(next.storageRequests).toEqual(previous.storageRequests);
    expect(next.storageRequests).not.toBe(previous.storageRequests);
    // The agent made the continuation count against the workload's budget again.
    expect(next.countedByLimiter).toBe(true);
    expect(next.state).toBe('running');
    expect(next.tree.isEmpty()).toBe(true);
    expect(previous.state).toBe('paused');
    expect(previous.isFinalized).toBe(true);
    expect(h.seen.map(([kind]) => kind)).toContain('dump:split');
    await h.tick(0);
    expect(h.storage.names()).toEqual([previous.name]);
    // Events are recorded again, into the continuation.
    expect(h.manager.handleEvent(event('open', containerProcess('c'), { file: { path: '/new' } }))).toBe(
      'added',
    );
  });

  it('15 min dump split at 4 min: rate ×¾ and timeout 11 min ×¾, floored at 10 min', async () => {
    const h = createHarness({ maxDumpSize: 100, loadControllerPeriod: 0 });
    h.manager.startDump({ containerId: 'c' });
    fill(h, 'c');
    await h.tick(4 * MINUTE);
    await h.manager.runPeriodicTask('loadController');
    const [split] = splits(h);
    expect(split!.reductions).toEqual([
      { kind: 'rate', from: 500, to: 375 },
      { kind: 'dump_timeout', from: 11 * MINUTE, to: 10 * MINUTE },
    ]);
    expect(split!.next.loadConfig).toMatchObject({
      start: T0 + 4 * MINUTE,
      end: T0 + 14 * MINUTE,
      rate: 375,
    });
    expect(h.metrics.total(METRIC_NAMES.loadControllerTriggered, ['reduction:rate'])).toBe(1);
    expect(h.metrics.total(METRIC_NAMES.loadControllerTriggered, ['reduction:dump_timeout'])).toBe(1);
  });

  it('drops an event type when a dump fills up within minT / 4, and reports it', async () => {
    const h = createHarness({ maxDumpSize: 100, loadControllerPeriod: 0 });
    h.manager.startDump({ containerId: 'c' });
    fill(h, 'c');
    await h.tick(MINUTE);
    await h.manager.runPeriodicTask('loadController');
    const next = dumpOf(h.manager, 'c')!;
    expect(next.loadConfig?.tracedEventTypes).toEqual(['exec', 'open', 'dns']);
    expect(
      h.metrics.total(METRIC_NAMES.loadControllerTriggered, [
        'reduction:traced_event_types',
        'event_type:imds',
      ]),
    ).toBe(1);
    // The continuation's tree and admission both leave imds out.
    const imds = event('imds', containerProcess('c'), {
      imds: { type: 'request', url: '/latest/meta-data/' },
    });
    expect(h.manager.handleEvent(imds)).toBe('event_type');
  });

  it('copies the envelope as it is with reductions off', async () => {
    const h = createHarness({
      maxDumpSize: 100,
      loadController: { reductions: false },
      loadControllerPeriod: 0,
    });
    h.manager.startDump({ containerId: 'c' });
    fill(h, 'c');
    await h.tick(MINUTE);
    await h.manager.runPeriodicTask('loadController');
    expect(splits(h)[0]!.reductions).toEqual([]);
    expect(dumpOf(h.manager, 'c')!.loadConfig).toMatchObject({ rate: 500, end: T0 + 15 * MINUTE });
    expect(h.metrics.total(METRIC_NAMES.loadControllerTriggered)).toBe(0);
  });

  it('keeps argument differentiation in the continuation tree (the agent kept only the flag)', async () => {
    const h = createHarness({ maxDumpSize: 100, loadControllerPeriod: 0 });
    h.manager.startDump({ containerId: 'c', differentiateArgs: true });
    fill(h, 'c');
    await h.manager.runPeriodicTask('loadController');
    const next = dumpOf(h.manager, 'c')!;
    expect(next.tree.differentiateArgs).toBe(true);
    expect(next.metadata?.differentiateArgs).toBe(true);
  });

  it('adds the context and container tags once to each side of a split', async () => {
    const h = createHarness({ maxDumpSize: 100, tags: ['env:prod'], loadControllerPeriod: 0 });
    h.manager.startDump({ containerId: 'c' });
    fill(h, 'c');
    await h.manager.runPeriodicTask('loadController');
    const [split] = splits(h);
    fill(h, 'c');
    await h.manager.close();
    const previous = h.storage.decode(h.storage.find(split!.name)[0]!);
    const next = h.storage.decode(h.storage.find(split!.next.name)[0]!);
    for (const dump of [previous, next]) {
      expect(dump.tags).toEqual([
        'host:test-host',
        'env:prod',
        'source:runtime-security-agent',
        'container_id:c',
      ]);
    }
  });

  it('ends a dump with no time left instead of continuing it', async () => {
    const h = createHarness({
      maxDumpSize: 100,
      dumpDuration: MINUTE,
      cleanupPeriod: 0,
      loadControllerPeriod: 0,
    });
    h.manager.startDump({ containerId: 'c' });
    fill(h, 'c');
    await h.tick(MINUTE);
    await h.manager.runPeriodicTask('loadController');
    expect(splits(h)).toEqual([]);
    expect(h.manager.listDumps()).toEqual([]);
    await h.tick(0);
    expect(h.names('dump:persisted')).toHaveLength(1);
  });

  it('goes on with the other dumps when one continuation cannot start, freeing its slot', async () => {
    const inner = new InMemoryWorkloadAdmission({
      capacity: 5,
      defaultConfig: (now) =>
        createLoadConfig({ tracedEventTypes: ['exec'], timeout: MINUTE, rate: 1000, start: now }),
    });
    let failing: bigint | undefined;
    // A host admission whose kernel map update fails for one dump.
    const admission: WorkloadAdmission = {
      attach: (listener) => inner.attach(listener),
      admit: (w, t, now) => inner.admit(w, t, now),
      reserve: (w, c, config) => inner.reserve(w, c, config),
      update: (cookie: bigint, config: LoadConfig) => {
        if (cookie === failing && !config.paused) throw new Error('map update failed');
        inner.update(cookie, config);
      },
      release: (w, c) => inner.release(w, c),
      sweep: (now) => inner.sweep(now),
      get tracedCount() {
        return inner.tracedCount;
      },
      capacity: 5,
    };
    const h = createHarness({ maxDumpSize: 100, admission, loadControllerPeriod: 0 });
    const a = h.manager.startDump({ containerId: 'a' });
    h.manager.startDump({ containerId: 'b' });
    fill(h, 'a');
    fill(h, 'b');
    failing = a.cookie;
    await h.manager.runPeriodicTask('loadController');
    // The agent (V1–V3) returned at the first failure: later dumps were neither persisted nor restarted.
    expect(h.seen).toContainEqual(['error', '', 'map update failed']);
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['b']);
    expect(inner.tracedCount).toBe(1);
    await h.tick(0);
    expect(h.names('dump:persisted')).toHaveLength(2);
    const acc = h.manager.accounting();
    expect(acc.started).toBe(acc.persisted + acc.droppedTotal + acc.active + acc.persisting);
  });
});

describe('tag resolution, deny list and dump budget', () => {
  const images = { a1: 'nginx:1', a2: 'nginx:1', a3: 'nginx:1', b1: 'nginx:2', r1: 'redis:6', r2: 'redis:7' };

  it('drops the dump past the budget of an image:tag, each tag with its own budget', async () => {
    const h = createHarness({
      tracedCgroupsCount: 10,
      maxDumpsPerWorkload: 2,
      tagsResolver: resolverOf(images),
    });
    for (const id of ['a1', 'a2', 'a3', 'b1']) h.manager.handleEvent(event('exec', containerProcess(id), {}));
    await h.tick(0);
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['a1', 'a2', 'b1']);
    expect(h.seen.filter(([kind]) => kind === 'dump:dropped').map(([, , reason]) => reason)).toEqual([
      'max_dump_reached',
    ]);
    // Dropped means dropped: the agent (V2+) persisted it at the next cleanup anyway.
    await h.manager.close();
    expect(h.storage.names()).toHaveLength(3);
    expect(h.metrics.total(METRIC_NAMES.dropMaxDumpReached)).toBe(1);
  });

  it('drops every tag of a deny-listed image, and counts the hits', async () => {
    const h = createHarness({
      tracedCgroupsCount: 10,
      workloadDenyList: ['redis'],
      tagsResolver: resolverOf(images),
    });
    for (const id of ['r1', 'r2', 'a1']) h.manager.handleEvent(event('exec', containerProcess(id), {}));
    await h.tick(0);
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['a1']);
    h.manager.sendStats();
    expect(h.metrics.total(METRIC_NAMES.workloadDenyListHits)).toBe(2);
    await h.manager.close();
    expect(h.manager.accounting().dropped.deny_list).toBe(2);
    expect(h.storage.names()).toHaveLength(1);
  });

  it('asks again every period until the tags resolve, and merges them', async () => {
    let ready = false;
    const asked: WorkloadRef[] = [];
    const h = createHarness({
      tagsResolver: {
        resolve: async (ref) => {
          asked.push(ref);
          if (!ready) throw new Error('not yet');
          return ['image_name:app', 'image_tag:3', 'team:core'];
        },
      },
    });
    h.manager.start();
    const dump = h.manager.startDump({ containerId: 'c' });
    dump.tags.push('team:core', 'custom:1');
    await h.tick(0);
    expect(dump.selector).toBeUndefined();
    ready = true;
    await h.tick(60 * SECOND);
    // Merged, not replaced (the agent replaced them while fewer than 10 were known).
    expect(dump.tags).toEqual(['team:core', 'custom:1', 'image_name:app', 'image_tag:3']);
    expect(dump.selector?.toString()).toBe('[image_name:app image_tag:3]');
    expect(asked).toEqual([
      { containerId: 'c', cgroupId: '' },
      { containerId: 'c', cgroupId: '' },
    ]);
    await h.tick(60 * SECOND);
    expect(asked).toHaveLength(2); // resolved: not asked again
    await h.manager.close();
  });

  it('stopDumpsWithSelector drops the active dumps of a selector and blocks later ones', async () => {
    const h = createHarness({ tracedCgroupsCount: 10, tagsResolver: resolverOf(images) });
    h.manager.handleEvent(event('exec', containerProcess('a1'), {}));
    h.manager.handleEvent(event('exec', containerProcess('b1'), {}));
    await h.tick(0);
    expect(h.manager.stopDumpsWithSelector(new WorkloadSelector('nginx', '1'))).toBe(1);
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['b1']);
    h.manager.handleEvent(event('exec', containerProcess('a2'), {}));
    await h.tick(0);
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['b1']);
    expect(h.seen.filter(([kind]) => kind === 'dump:dropped').map(([, , reason]) => reason)).toEqual([
      'selector_stopped',
      'max_dump_reached',
    ]);
    h.manager.sendStats();
    expect(h.metrics.total(METRIC_NAMES.dropMaxDumpReached)).toBe(2);
  });
});

describe('admission through the manager', () => {
  it('caps traced workloads at tracedCgroupsCount', () => {
    const h = createHarness({ tracedCgroupsCount: 3 });
    const outcomes = ['a', 'b', 'c', 'd'].map((id) =>
      h.manager.handleEvent(event('exec', containerProcess(id), {})),
    );
    expect(outcomes).toEqual(['added', 'added', 'added', 'capacity']);
  });

  it('does not trace a workload again until the wait list is over, counted from its start', async () => {
    const h = createHarness({ dumpDuration: 15 * MINUTE, cgroupWaitListTimeout: 75 * MINUTE });
    h.manager.start();
    const exec = () => h.manager.handleEvent(event('exec', containerProcess('c'), {}));
    expect(exec()).toBe('added');
    await h.tick(16 * MINUTE);
    expect(h.names('dump:persisted')).toHaveLength(1);
    expect(exec()).toBe('wait_list');
    await h.tick(75 * MINUTE - 16 * MINUTE); // exactly 75 min after the start: still waiting
    expect(exec()).toBe('wait_list');
    await h.tick(1);
    expect(exec()).toBe('added'); // the first event after the cooldown (the agent needed a second)
    expect(h.names('dump:started')).toHaveLength(2);
    await h.manager.close();
  });

  it('rate-limits each dump per second', async () => {
    const h = createHarness({ rateLimit: 10 });
    const process = containerProcess('c');
    const outcomes = Array.from({ length: 12 }, (_, i) =>
      h.manager.handleEvent(event('open', process, { file: { path: `/f${i}` } })),
    );
    expect(outcomes.filter((o) => o === 'rate_limited')).toHaveLength(2);
    await h.tick(SECOND);
    expect(h.manager.handleEvent(event('open', process, { file: { path: '/later' } }))).toBe('added');
    expect(h.manager.rejectedEvents().rate_limited).toBe(2);
    h.manager.sendStats();
    expect(h.metrics.total(METRIC_NAMES.admissionRejected, ['reason:rate_limited'])).toBe(2);
  });
});

describe('silent workloads', () => {
  function provider(list: () => readonly SilentWorkload[]) {
    return { fetchSilentWorkloads: list };
  }
  const silent = (image: string, ...containers: string[]): SilentWorkload => ({
    selector: new WorkloadSelector(image, 'v1'),
    instances: containers.map((containerId) => ({ containerId, cgroupId: '' })),
  });

  it('starts one dump per image, for its first instance, with the image tags', async () => {
    const h = createHarness({
      securityProfileProvider: provider(() => [silent('web', 'w1', 'w2'), silent('db')]),
    });
    h.manager.start();
    await h.tick(10 * SECOND);
    const dumps = h.manager.listDumps();
    expect(dumps.map((d) => d.metadata?.containerId)).toEqual(['w1']);
    expect(dumps[0]?.tags).toEqual(['image_name:web', 'image_tag:v1']);
    expect(h.seen).toContainEqual(['dump:started', dumps[0]!.name, 'silent_workload']);
    await h.tick(10 * SECOND);
    expect(h.manager.listDumps()).toHaveLength(1); // covered now
    await h.manager.close();
  });

  it('waits silentWorkloads.delay after any dump ended', async () => {
    const h = createHarness({ securityProfileProvider: provider(() => [silent('web', 'w1')]) });
    h.manager.start();
    const other = h.manager.startDump({ containerId: 'x' });
    await h.tick(5 * SECOND);
    await h.manager.stopDump({ name: other.name });
    await h.tick(5 * SECOND); // the tick at 10 s is 5 s after the stop
    expect(h.manager.listDumps()).toEqual([]);
    await h.tick(10 * SECOND);
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['w1']);
    await h.manager.close();
  });

  it('stops at capacity', async () => {
    const list = ['a', 'b', 'c', 'd'].map((image) => silent(image, `${image}1`));
    const h = createHarness({ tracedCgroupsCount: 2, securityProfileProvider: provider(() => list) });
    await h.manager.runPeriodicTask('silentWorkloads');
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['a1', 'b1']);
  });

  it('skips images already recorded, even by a dump whose tags are not resolved yet', async () => {
    const h = createHarness({ securityProfileProvider: provider(() => [silent('web', 'w1', 'w2')]) });
    // An unresolved dump of w2 (the agent only checked dumps counted by the budget).
    h.manager.handleEvent(event('exec', containerProcess('w2'), {}));
    await h.manager.runPeriodicTask('silentWorkloads');
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['w2']);
  });

  it('goes on past a workload it cannot start (the agent stopped the whole pass)', async () => {
    const h = createHarness({
      workloadDenyList: ['denied'],
      securityProfileProvider: provider(() => [
        { selector: new WorkloadSelector('cg', 'v1'), instances: [{ containerId: '', cgroupId: 'busy' }] },
        silent('empty'),
        silent('denied', 'd1'),
        silent('ok', 'o1'),
      ]),
    });
    const busy = h.manager.startDump({ cgroupId: 'busy' });
    await h.manager.stopDump({ name: busy.name }); // frees its workload…
    h.manager.startDump({ containerId: 'other', cgroupId: 'busy' }); // …but another dump now has that cgroup
    await h.tick(10 * SECOND);
    await h.manager.runPeriodicTask('silentWorkloads');
    expect(h.manager.listDumps().map((d) => d.metadata?.containerId)).toEqual(['other', 'o1']);
  });
});

describe('snapshots', () => {
  it('fills every new dump with what runs, as snapshot nodes, without skipping any', async () => {
    const snapshotted: string[] = [];
    const capacity = 150; // more than the agent's 100-entry snapshot queue, which dropped the rest
    const admission = new InMemoryWorkloadAdmission({
      capacity,
      defaultConfig: (now) =>
        createLoadConfig({ tracedEventTypes: ['exec', 'open'], timeout: MINUTE, rate: 1000, start: now }),
    });
    const h = createHarness({
      admission,
      processSnapshotter: {
        async snapshot({ workload: ref, tracedEventTypes }) {
          expect(tracedEventTypes).toEqual(['exec', 'open']);
          snapshotted.push(ref.containerId);
          const running = buildLineage(['/bin/sh', '/usr/sbin/daemon'], { containerId: ref.containerId });
          return [
            event('exec', running, {}),
            event('open', running, { file: { path: '/var/run/daemon.pid' } }),
          ];
        },
      },
    });
    for (let i = 0; i < capacity; i++) h.manager.handleEvent(event('exec', containerProcess(`c${i}`), {}));
    await h.tick(0);
    expect(snapshotted).toHaveLength(capacity);
    const dump = dumpOf(h.manager, 'c7')!;
    const daemon = [...dump.tree.processNodes()].find((n) => n.process.file.path === '/usr/sbin/daemon');
    expect(daemon?.generationType).toBe(2);
    expect(dump.tree.stats.counters().added.open).toEqual({ snapshot: 1 });
  });

  it('takes async snapshots, stops when the dump ends, and reports a failing snapshotter', async () => {
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => {
      resume = resolve;
    });
    async function* slow(): AsyncGenerator<ActivityEvent> {
      yield event('exec', containerProcess('a'), {});
      await gate; // still reading /proc when the dump ends
      yield event('open', containerProcess('a'), { file: { path: '/late' } });
    }
    let calls = 0;
    const h = createHarness({
      processSnapshotter: {
        snapshot() {
          calls++;
          if (calls === 2) throw new Error('procfs unreadable');
          return slow();
        },
      },
    });
    const a = h.manager.startDump({ containerId: 'a' });
    h.manager.startDump({ containerId: 'b' });
    await h.tick(0);
    await h.manager.stopDump({ name: a.name });
    resume();
    await h.tick(0);
    expect(a.tree.stats.processNodes).toBe(2);
    expect(a.tree.stats.fileNodes).toBe(0);
    expect(h.seen).toContainEqual(['error', '', 'procfs unreadable']);
  });
});

describe('context tags', () => {
  it('keeps recorder tags that merely start with host (the agent dropped hostgroup:…)', async () => {
    const h = createHarness({ tags: ['hostgroup:blue', 'host:other', 'source:custom', 'env:prod'] });
    h.manager.handleEvent(event('exec', containerProcess('c'), {}));
    const end = await h.manager.stopDump({ containerId: 'c' });
    expect(end.dump.tags).toEqual([
      'host:test-host',
      'hostgroup:blue',
      'source:custom',
      'env:prod',
      'container_id:c',
    ]);
    expect(end.dump.host).toBe('test-host');
    expect(end.dump.source).toBe('runtime-security-agent');
  });
});
