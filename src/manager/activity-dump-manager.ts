import { EventEmitter } from 'eventemitter3';
import { type Clock, systemClock } from '../clock.js';
import { ActivityDump, type DumpInsertOutcome } from '../dump/activity-dump.js';
import { emptyMetadata } from '../dump/dump-metadata.js';
import { randomCookie, randomDumpName } from '../dump/identifiers.js';
import { createLoadConfig, eventTypeMask, eventTypesOfMask, type LoadConfig } from '../dump/load-config.js';
import { mergeTags } from '../dump/tags.js';
import type { WorkloadSelector } from '../dump/workload-selector.js';
import {
  CapacityReachedError,
  DumpAlreadyRunningError,
  DumpNotFoundError,
  InvalidArgumentError,
  ManagerClosedError,
  toError,
} from '../errors.js';
import type { ActivityEvent } from '../events/activity-event.js';
import type { ProcessInfo } from '../events/process.js';
import { emitError, emitGuarded } from '../guarded-emit.js';
import { type Logger, silentLogger } from '../logger.js';
import { METRIC_NAMES, type Metrics, noopMetrics } from '../metrics.js';
import { type DumpPersister, failedOutcomes, type PersistOutcome } from '../storage/dump-persister.js';
import { InFlight } from '../storage/in-flight.js';
import {
  parseStorageRequests,
  type StorageRequest,
  type StorageRequestParams,
} from '../storage/storage-request.js';
import { GenerationType } from '../tree/generation-type.js';
import { createDefaultStorage } from './default-storage.js';
import { guardLogger, guardMetrics } from './guarded-ports.js';
import { type LoadReduction, nextPartialLoadConfig } from './load-controller.js';
import { LruCounter } from './lru-counter.js';
import {
  DUMP_DROP_REASONS,
  type DumpDropReason,
  type DumpEnd,
  type DumpOrigin,
  type ManagerEvents,
} from './manager-events.js';
import {
  type ActivityDumpManagerOptions,
  DUMP_LIMITER_CAPACITY,
  DUMP_SOURCE,
  type ResolvedManagerOptions,
  resolveManagerOptions,
} from './manager-options.js';
import { PeriodicTask } from './periodic-task.js';
import type { ProcessSnapshotter } from './process-snapshotter.js';
import type { SecurityProfileProvider } from './security-profile-provider.js';
import type { TagsResolver } from './tags-resolver.js';
import {
  ADMISSION_REJECTIONS,
  type AdmissionListener,
  type AdmissionRejection,
  InMemoryWorkloadAdmission,
  type WorkloadAdmission,
} from './workload-admission.js';
import type { WorkloadRef } from './workload-ref.js';

/** What {@link ActivityDumpManager.handleEvent} did with an event. */
export type EventOutcome = DumpInsertOutcome | EventRejection;

/**
 * Why the manager turned an event away before any dump saw it: the admission said no
 * ({@link AdmissionRejection}), the process is outside containers and host processes are not
 * traced (`host_process`), the admission named a dump the manager no longer has (`no_dump`),
 * the manager is `closed`, or the event has no process (`broken_event`).
 */
export type EventRejection = AdmissionRejection | 'host_process' | 'no_dump' | 'closed' | 'broken_event';

/** Every {@link EventRejection}. */
export const EVENT_REJECTIONS: readonly EventRejection[] = [
  ...ADMISSION_REJECTIONS,
  'host_process',
  'no_dump',
  'closed',
  'broken_event',
];

/** What {@link ActivityDumpManager.startDump} records. */
export interface StartDumpParams {
  /** Container to record (this or `cgroupId` is required). */
  containerId?: string;
  /** Cgroup to record. */
  cgroupId?: string;
  /** How long to record, ms. @default the manager's `dumpDuration` */
  timeout?: number;
  /** @default the manager's `differentiateArgs` */
  differentiateArgs?: boolean;
  /**
   * Where to persist it; an empty `localStorageDirectory` means the manager's.
   * @default the manager's local (and remote) storage
   */
  storage?: StorageRequestParams;
}

/** Which dump {@link ActivityDumpManager.stopDump} stops: the first active one matching any given field. */
export interface StopDumpParams {
  name?: string;
  containerId?: string;
  cgroupId?: string;
}

/**
 * Dumps counted by how they ended. Nothing is lost: `started = persisted + droppedTotal +
 * active + persisting` at every moment.
 */
export interface DumpAccounting {
  started: number;
  persisted: number;
  dropped: Record<DumpDropReason, number>;
  droppedTotal: number;
  active: number;
  /** Ended dumps not persisted or dropped yet (their persist is in flight). */
  persisting: number;
}

/** The manager's periodic tasks, for {@link ActivityDumpManager.runPeriodicTask}. */
export type PeriodicTaskName = 'cleanup' | 'tagsResolution' | 'loadController' | 'silentWorkloads' | 'stats';

interface ActiveEntry {
  readonly dump: ActivityDump;
  /** Admission key: container id, `cgroup:<id>`, or `""` for host processes. */
  readonly workload: string;
  readonly ref: WorkloadRef;
  snapshot: AbortController | undefined;
}

interface BeginInit {
  origin: DumpOrigin;
  storageRequests: readonly StorageRequest[];
  differentiateArgs: boolean;
  tags?: string[];
  countedByLimiter?: boolean;
}

const HOST_WORKLOAD = '';
const CGROUP_PREFIX = 'cgroup:';

function workloadKey(ref: WorkloadRef): string {
  if (ref.containerId !== '') return ref.containerId;
  return ref.cgroupId !== '' ? CGROUP_PREFIX + ref.cgroupId : HOST_WORKLOAD;
}

function processSelector(ref: WorkloadRef): (process: ProcessInfo) => boolean {
  if (ref.containerId !== '') return (process) => process.containerId === ref.containerId;
  if (ref.cgroupId !== '') return (process) => process.cgroupId === ref.cgroupId;
  return (process) => (process.containerId ?? '') === '';
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

function isSyncIterable(value: unknown): value is Iterable<ActivityEvent> {
  return typeof (value as Iterable<ActivityEvent>)[Symbol.iterator] === 'function';
}

/**
 * Runs the life of every activity dump: admits workloads and their events under a load
 * budget, records them into one dump per workload, and on an injectable {@link Clock} sweeps
 * expired dumps (cleanup), resolves workload tags, splits dumps that outgrow their size budget
 * (load controller) and traces workloads that have no profile yet (silent workloads). Ended
 * dumps are persisted through the `storage` — never inside a critical section — or dropped
 * with a counted reason and a `dump:dropped` event.
 *
 * ```ts
 * const manager = new ActivityDumpManager({ storage, localStorage: { formats: ['json'], outputDirectory: dir } });
 * manager.start();
 * manager.handleEvent(event);
 * await manager.close(); // persists what is still recording
 * ```
 */
export class ActivityDumpManager extends EventEmitter<ManagerEvents> {
  private readonly options: ResolvedManagerOptions;
  private readonly clock: Clock;
  private readonly storage: DumpPersister;
  private readonly admission: WorkloadAdmission;
  private readonly tagsResolver: TagsResolver | undefined;
  private readonly profiles: SecurityProfileProvider | undefined;
  private readonly snapshotter: ProcessSnapshotter | undefined;
  private readonly metrics: Metrics;
  private readonly hasMetrics: boolean;
  private readonly logger: Logger;
  private readonly active: ActiveEntry[] = [];
  private readonly byCookie = new Map<bigint, ActiveEntry>();
  private readonly byWorkload = new Map<string, ActiveEntry>();
  private cgroupDumps = 0;
  private readonly limiter = new LruCounter(DUMP_LIMITER_CAPACITY);
  private readonly tasks: Record<PeriodicTaskName, PeriodicTask>;
  private readonly persisting = new InFlight();
  // Dumps off the active list and not yet persisted or dropped: each dump is counted in one place.
  private readonly ending = new Set<ActivityDump>();
  private snapshotQueue: Promise<void> = Promise.resolve();
  private lastStoppedDumpTime = 0;
  private readonly rejected = zeroCounts(EVENT_REJECTIONS);
  private readonly rejectedSent = zeroCounts(EVENT_REJECTIONS);
  private readonly counts = { started: 0, persisted: 0, droppedTotal: 0 };
  private readonly dropped = zeroCounts(DUMP_DROP_REASONS);
  // The agent's swap-to-zero counters, sent by sendStats.
  private emptyDropped = 0;
  private dropMaxDumpReached = 0;
  private workloadDenyListHits = 0;
  private started = false;
  private storageStart: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  /**
   * @throws {InvalidArgumentError} for an option outside its domain.
   * @throws {UnsupportedFormatError} for an unknown storage format.
   */
  constructor(options: ActivityDumpManagerOptions) {
    super();
    this.options = resolveManagerOptions(options);
    this.clock = options.clock ?? systemClock;

    this.tagsResolver = options.tagsResolver;
    this.profiles = options.securityProfileProvider;
    this.snapshotter = options.processSnapshotter;
    this.hasMetrics = options.metrics !== undefined && options.metrics !== noopMetrics;
    this.logger = guardLogger(options.logger ?? silentLogger, (error) => emitError(this, toError(error)));
    this.metrics = guardMetrics(options.metrics ?? noopMetrics, (error) =>
      this.reportError(toError(error), 'metrics client failed'),
    );
    this.storage =
      options.storage ??
      createDefaultStorage(options, {
        clock: this.clock,
        metrics: this.metrics,
        logger: this.logger,
        directory: this.options.localStorageDirectory,
      });
    const o = this.options;
    this.admission =
      options.admission ??
      new InMemoryWorkloadAdmission({
        capacity: o.tracedCgroupsCount,
        defaultConfig: (now) => this.defaultLoadConfig(now, o.cgroupWaitListTimeout),
        canAutoStart: (workload) =>
          workload === HOST_WORKLOAD ? o.traceHostProcesses : !workload.startsWith(CGROUP_PREFIX),
      });
    const listener: AdmissionListener = {
      onTracingStarted: (workload, cookie, config) => this.adoptTracedWorkload(workload, cookie, config),
    };
    this.admission.attach(listener);
    const onError = (error: unknown) => this.reportError(toError(error), 'periodic task failed');
    const task = (period: number, run: () => void | Promise<void>) =>
      new PeriodicTask(this.clock, period, run, onError);
    this.tasks = {
      cleanup: task(o.cleanupPeriod, () => this.cleanup()),
      tagsResolution: task(o.tagsResolutionPeriod, () => this.resolveTags()),
      loadController: task(o.loadControllerPeriod, () => this.runLoadController()),
      silentWorkloads: task(o.silentWorkloadsPeriod, () => this.handleSilentWorkloads()),
      stats: task(o.statsPeriod, () => this.sendStats()),
    };
  }

  /**
   * Starts the periodic tasks (idempotent). Events are handled before `start()` too, but
   * nothing expires, resolves or splits until it is called.
   * @throws {ManagerClosedError} after `close()`.
   */
  start(): void {
    if (this.closing !== undefined) throw new ManagerClosedError('the activity dump manager is closed');
    if (this.started) return;
    this.started = true;
    for (const task of Object.values(this.tasks)) task.start();
    this.storageStart = Promise.resolve()
      .then(() => this.storage.start?.())
      .catch((error: unknown) => this.reportError(toError(error), "couldn't start the storage"));
  }

  /**
   * Stops the timers (waiting for a task in progress), cuts snapshots short, asks once more for
   * the tags of dumps that have none, ends every active dump and persists it (or drops it with
   * a reason), waits for every persist in flight, sends the last stats and shuts the storage
   * down. Idempotent: later calls return the same promise. Events handled afterwards are
   * rejected as `closed`.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /**
   * Admits and records one event into the dump of its workload (the container of its process,
   * or the host workload with `traceHostProcesses`; also a cgroup dump started for its cgroup).
   * A workload not traced yet may start being traced here.
   * @returns what happened: the dump's insert outcome (`added`, `unchanged`, a tree drop
   *   reason, `not_running`) or why the event was turned away. Every outcome is counted.
   * @throws {InvalidArgumentError} when `event` is not an object.
   */
  handleEvent(event: ActivityEvent): EventOutcome {
    return this.handleEventAt(event, this.clock.now());
  }

  /**
   * Handles each event in turn, reading the clock once for the batch (its events are admitted
   * at the same instant); returns how many added something to a dump.
   * @throws {InvalidArgumentError} when an event is not an object (the earlier ones are handled).
   */
  handleEvents(events: Iterable<ActivityEvent>): number {
    const now = this.clock.now();
    let added = 0;
    for (const event of events) if (this.handleEventAt(event, now) === 'added') added++;
    return added;
  }

  private handleEventAt(event: ActivityEvent, now: number): EventOutcome {
    if (typeof event !== 'object' || event === null) {
      throw new InvalidArgumentError(`not an activity event: ${event === null ? 'null' : typeof event}`);
    }
    if (this.closing !== undefined) return this.reject('closed');
    const process = event.process;
    if (typeof process !== 'object' || process === null) return this.reject('broken_event');
    const containerId = process.containerId ?? '';
    if (typeof containerId !== 'string') return this.reject('broken_event');
    let outcome: EventOutcome;
    if (containerId !== '') outcome = this.dispatch(containerId, event, now);
    else if (this.options.traceHostProcesses) outcome = this.dispatch(HOST_WORKLOAD, event, now);
    else outcome = this.reject('host_process');
    if (this.cgroupDumps > 0 && typeof process.cgroupId === 'string' && process.cgroupId !== '') {
      const workload = CGROUP_PREFIX + process.cgroupId;
      if (this.byWorkload.has(workload)) {
        const cgroupOutcome = this.dispatch(workload, event, now);
        if (outcome !== 'added') outcome = cgroupOutcome;
      }
    }
    return outcome;
  }

  /**
   * Starts recording a container or a cgroup now, whatever the admission would decide (it
   * still takes one of the `tracedCgroupsCount` slots; no wait list applies).
   * @throws {InvalidArgumentError} without `containerId` or `cgroupId`, or for a bad timeout.
   * @throws {DumpAlreadyRunningError} when that container or cgroup is already recorded.
   * @throws {CapacityReachedError} when every slot is taken.
   * @throws {UnsupportedFormatError} for an unknown storage format.
   * @throws {ManagerClosedError} after `close()`.
   */
  startDump(params: StartDumpParams): ActivityDump {
    if (this.closing !== undefined) throw new ManagerClosedError('the activity dump manager is closed');
    const containerId = params?.containerId ?? '';
    const cgroupId = params?.cgroupId ?? '';
    if (typeof containerId !== 'string' || typeof cgroupId !== 'string') {
      throw new InvalidArgumentError('containerId and cgroupId must be strings');
    }
    if (containerId === '' && cgroupId === '') {
      throw new InvalidArgumentError('you must specify one selector between containerID and cgroupID');
    }
    const timeout = params.timeout ?? this.options.dumpDuration;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new InvalidArgumentError(`invalid timeout duration: ${String(timeout)} (milliseconds > 0)`);
    }
    const storageRequests =
      params.storage === undefined
        ? this.options.storageRequests
        : parseStorageRequests({
            ...params.storage,
            localStorageDirectory: params.storage.localStorageDirectory || this.options.localStorageDirectory,
          });
    return this.startTracing({ containerId, cgroupId }, 'api', {
      timeout,
      storageRequests,
      differentiateArgs: params.differentiateArgs ?? this.options.differentiateArgs,
    });
  }

  /**
   * Ends the first active dump whose name, container id or cgroup id is one of those given,
   * and persists it.
   * @returns how it ended, once persisted or dropped.
   * @throws {InvalidArgumentError} (as a rejection) when no field is given.
   * @throws {DumpNotFoundError} (as a rejection) when no active dump matches.
   */
  async stopDump(params: StopDumpParams): Promise<DumpEnd> {
    const name = params?.name ?? '';
    const containerId = params?.containerId ?? '';
    const cgroupId = params?.cgroupId ?? '';
    if (name === '' && containerId === '' && cgroupId === '') {
      throw new InvalidArgumentError('you must specify one selector between name, containerID and cgroupID');
    }
    const entry = this.active.find(
      (e) =>
        (name !== '' && e.dump.name === name) ||
        (containerId !== '' && e.ref.containerId === containerId) ||
        (cgroupId !== '' && e.ref.cgroupId === cgroupId),
    );
    if (entry === undefined) {
      const prefix = 'the activity dump manager does not contain any ActivityDump with the following';
      if (name !== '') throw new DumpNotFoundError(`${prefix} name: ${name}`);
      if (containerId !== '') throw new DumpNotFoundError(`${prefix} containerID: ${containerId}`);
      throw new DumpNotFoundError(`${prefix} cgroup ID: ${cgroupId}`);
    }
    return this.end(entry, this.clock.now());
  }

  /** The active dumps (recording or paused), oldest first; a dump leaves the list as soon as it ends. */
  listDumps(): ActivityDump[] {
    return this.active.map((entry) => entry.dump);
  }

  /**
   * Spends the whole dump budget of a workload (its profile is stable: no more dumps are needed)
   * and drops its active dumps, reason `selector_stopped`. Returns how many were stopped.
   */
  stopDumpsWithSelector(selector: WorkloadSelector): number {
    const key = selector.key();
    const max = this.options.maxDumpsPerWorkload;
    if (this.limiter.get(key) < max) {
      this.logger.info({ selector: selector.toString() }, 'activity dumps will no longer be generated');
    }
    this.limiter.set(key, max);
    const now = this.clock.now();
    let stopped = 0;
    for (const entry of [...this.active]) {
      if (entry.dump.selector?.matches(selector) === true) {
        this.dropMaxDumpReached++;
        void this.end(entry, now, 'selector_stopped');
        stopped++;
      }
    }
    return stopped;
  }

  /** Runs one periodic task now (the timers keep their schedule). Resolves when it is done. */
  runPeriodicTask(name: PeriodicTaskName): Promise<void> {
    return this.tasks[name].run();
  }

  /** Dumps by how they ended; see {@link DumpAccounting}. */
  accounting(): DumpAccounting {
    return {
      started: this.counts.started,
      persisted: this.counts.persisted,
      dropped: { ...this.dropped },
      droppedTotal: this.counts.droppedTotal,
      active: this.active.length,
      persisting: this.ending.size,
    };
  }

  /** Events turned away before reaching a dump, by reason, since the manager was built. */
  rejectedEvents(): Record<EventRejection, number> {
    return { ...this.rejected };
  }

  /**
   * Sends the agent's metrics: each active dump's event counters (which then restart from zero,
   * as the agent's do; left alone without a `metrics` option), the active-dump gauge, and the
   * dump-drop and rejection counters since the last call. Runs every `statsPeriod`.
   */
  sendStats(): void {
    if (!this.hasMetrics) return;
    for (const entry of this.active) this.sendTreeStats(entry.dump);
    const m = this.metrics;
    m.gauge(METRIC_NAMES.activeDumps, this.active.length);
    if (this.emptyDropped > 0) m.count(METRIC_NAMES.emptyDumpDropped, this.emptyDropped);
    if (this.dropMaxDumpReached > 0) m.count(METRIC_NAMES.dropMaxDumpReached, this.dropMaxDumpReached);
    if (this.workloadDenyListHits > 0) m.count(METRIC_NAMES.workloadDenyListHits, this.workloadDenyListHits);
    this.emptyDropped = this.dropMaxDumpReached = this.workloadDenyListHits = 0;
    for (const reason of EVENT_REJECTIONS) {
      const delta = this.rejected[reason] - this.rejectedSent[reason];
      if (delta > 0) m.count(METRIC_NAMES.admissionRejected, delta, [`reason:${reason}`]);
      this.rejectedSent[reason] = this.rejected[reason];
    }
    try {
      this.storage.sendTelemetry?.();
    } catch (error) {
      this.reportError(toError(error), 'storage telemetry failed');
    }
  }

  // ---- event path -------------------------------------------------------------------------

  private dispatch(workload: string, event: ActivityEvent, now: number): EventOutcome {
    const decision = this.admission.admit(workload, event.type, now);
    if (typeof decision !== 'bigint') return this.reject(decision);
    // The workload's own dump is the usual answer, found by the key just hashed.
    let entry = this.byWorkload.get(workload);
    if (entry?.dump.cookie !== decision) entry = this.byCookie.get(decision);
    if (entry === undefined) return this.reject('no_dump');
    return entry.dump.insert(event);
  }

  private reject(reason: EventRejection): EventRejection {
    this.rejected[reason]++;
    return reason;
  }

  private adoptTracedWorkload(workload: string, cookie: bigint, config: LoadConfig): boolean {
    if (this.closing !== undefined || this.byWorkload.has(workload)) return false;
    if (this.active.length >= this.admission.capacity) return false;
    const ref: WorkloadRef = workload.startsWith(CGROUP_PREFIX)
      ? { containerId: '', cgroupId: workload.slice(CGROUP_PREFIX.length) }
      : { containerId: workload, cgroupId: '' };
    this.begin(ref, workload, cookie, config, {
      origin: 'admission',
      storageRequests: this.options.storageRequests,
      differentiateArgs: this.options.differentiateArgs,
    });
    return true;
  }

  // ---- dump life --------------------------------------------------------------------------

  private defaultLoadConfig(
    now: number,
    waitListTimeout: number,
    timeout = this.options.dumpDuration,
  ): LoadConfig {
    return createLoadConfig({
      tracedEventTypes: this.options.tracedEventTypes,
      timeout,
      rate: this.options.rateLimit,
      start: now,
      waitListTimeout,
    });
  }

  private startTracing(
    ref: WorkloadRef,
    origin: DumpOrigin,
    init: { timeout: number; storageRequests: readonly StorageRequest[]; differentiateArgs: boolean },
  ): ActivityDump {
    if (ref.containerId !== '' && this.byWorkload.has(ref.containerId)) {
      throw new DumpAlreadyRunningError(`dump for container ${ref.containerId} already running`);
    }
    if (ref.cgroupId !== '' && this.active.some((e) => e.ref.cgroupId === ref.cgroupId)) {
      throw new DumpAlreadyRunningError(`dump for cgroup ${ref.cgroupId} already running`);
    }
    const workload = workloadKey(ref);
    const max = this.admission.capacity;
    const config = this.defaultLoadConfig(this.clock.now(), 0, init.timeout);
    const cookie = randomCookie();
    if (this.active.length >= max) throw new CapacityReachedError(this.active.length, max);
    if (!this.admission.reserve(workload, cookie, config)) {
      // A host admission may already trace the workload under a dump the manager never saw.
      if (this.admission.tracedCount >= max) throw new CapacityReachedError(this.admission.tracedCount, max);
      throw new DumpAlreadyRunningError(`the admission already traces workload ${workload || 'host'}`);
    }
    return this.begin(ref, workload, cookie, config, { origin, ...init });
  }

  private begin(
    ref: WorkloadRef,
    workload: string,
    cookie: bigint,
    config: LoadConfig,
    init: BeginInit,
  ): ActivityDump {
    const dump = new ActivityDump({
      host: this.options.hostname,
      source: DUMP_SOURCE,
      tags: init.tags ?? [],
      metadata: emptyMetadata({
        ...this.options.metadata,
        name: randomDumpName(),
        protobufVersion: 'v1',
        differentiateArgs: init.differentiateArgs,
        containerId: ref.containerId,
        cgroupId: ref.cgroupId,
      }),
      treeOptions: {
        ...this.options.treeOptions,
        selector: processSelector(ref),
        tracedEventTypes: eventTypesOfMask(eventTypeMask(config.tracedEventTypes)),
        differentiateArgs: init.differentiateArgs,
      },
      loadConfig: config,
      cookie,
      storageRequests: [...init.storageRequests],
      maxSize: this.options.maxDumpSizeBytes,
      onStateChange: (changed) => this.onDumpStateChange(changed),
    });
    dump.setLoadConfig(config);
    dump.countedByLimiter = init.countedByLimiter ?? false;
    const entry: ActiveEntry = { dump, workload, ref, snapshot: undefined };
    this.active.push(entry);
    this.byCookie.set(cookie, entry);
    this.byWorkload.set(workload, entry);
    if (workload.startsWith(CGROUP_PREFIX)) this.cgroupDumps++;
    dump.start();
    this.counts.started++;
    this.logger.info({ dump: dump.name, workload: ref, origin: init.origin }, 'tracing started');
    this.notify('dump:started', dump, init.origin);
    this.enqueueSnapshot(entry);
    return dump;
  }

  private onDumpStateChange(dump: ActivityDump): void {
    if (dump.state !== 'paused' || this.byCookie.get(dump.cookie)?.dump !== dump) return;
    this.admission.update(dump.cookie, dump.loadConfig!);
    this.logger.debug(
      { dump: dump.name, size: dump.tree.approximateSize() },
      'tracing paused: size budget reached',
    );
    this.notify('dump:paused', dump);
  }

  private isActive(entry: ActiveEntry): boolean {
    return this.byCookie.get(entry.dump.cookie) === entry;
  }

  private unregister(entry: ActiveEntry): void {
    const index = this.active.indexOf(entry);
    if (index >= 0) this.active.splice(index, 1);
    if (this.byCookie.get(entry.dump.cookie) === entry) this.byCookie.delete(entry.dump.cookie);
    if (this.byWorkload.get(entry.workload) === entry) {
      this.byWorkload.delete(entry.workload);
      if (entry.workload.startsWith(CGROUP_PREFIX)) this.cgroupDumps--;
    }
    entry.snapshot?.abort();
  }

  /** Ends an active dump for good: frees its slot, finalizes it, then persists or drops it. */
  private end(entry: ActiveEntry, now: number, dropReason?: DumpDropReason): Promise<DumpEnd> {
    this.unregister(entry);
    this.ending.add(entry.dump);
    this.admission.release(entry.workload, entry.dump.cookie);
    this.finalizeDump(entry.dump, now, true);
    return this.conclude(entry.dump, dropReason);
  }

  private finalizeDump(dump: ActivityDump, now: number, releaseSpot: boolean): void {
    if (!dump.finalize({ releaseSpot, now, contextTags: this.options.contextTags })) return;
    this.lastStoppedDumpTime = now;
    if (this.hasMetrics) this.sendTreeStats(dump);
    this.logger.info({ dump: dump.name, releaseSpot }, releaseSpot ? 'tracing stopped' : 'tracing paused');
    this.notify('dump:finalized', dump);
  }

  private conclude(dump: ActivityDump, dropReason?: DumpDropReason): Promise<DumpEnd> {
    const reason = dropReason ?? this.dropReasonOf(dump);
    if (reason !== undefined) return Promise.resolve(this.drop(dump, reason, []));
    return this.persisting.track(this.persist(dump));
  }

  private dropReasonOf(dump: ActivityDump): DumpDropReason | undefined {
    if (dump.tree.isEmpty()) return 'empty';
    if (this.options.requireWorkloadSelector && dump.selector === undefined) return 'no_selector';
    if (dump.storageRequests.length === 0) return 'no_storage';
    return undefined;
  }

  private drop(dump: ActivityDump, reason: DumpDropReason, outcomes: readonly PersistOutcome[]): DumpEnd {
    this.ending.delete(dump);
    this.dropped[reason]++;
    this.counts.droppedTotal++;
    if (reason === 'empty') this.emptyDropped++;
    this.metrics.count(METRIC_NAMES.droppedDumps, 1, [`reason:${reason}`]);
    this.logger.info({ dump: dump.name, reason }, 'dump dropped');
    this.notify('dump:dropped', dump, reason);
    return { dump, status: 'dropped', reason, outcomes };
  }

  private async persist(dump: ActivityDump): Promise<DumpEnd> {
    let outcomes: readonly PersistOutcome[];
    try {
      outcomes = await this.storage.persist(dump);
    } catch (error) {
      outcomes = failedOutcomes(dump.storageRequests, toError(error));
    }
    let persisted = false;
    for (const outcome of outcomes) {
      if (outcome.ok) persisted = true;
      else this.notify('persist:failed', dump, outcome); // the storage logs the details
    }
    if (!persisted) return this.drop(dump, 'persist_failed', outcomes);
    this.ending.delete(dump);
    this.counts.persisted++;
    this.notify('dump:persisted', dump, outcomes);
    return { dump, status: 'persisted', outcomes };
  }

  // ---- periodic tasks ---------------------------------------------------------------------

  /** Ends expired and stopped dumps, and forgets wait-list entries that are over. */
  private cleanup(): void {
    const now = this.clock.now();
    for (const entry of [...this.active]) {
      const dump = entry.dump;
      if (dump.state === 'stopped' || now > dump.loadConfig!.end) void this.end(entry, now);
    }
    this.admission.sweep(now);
  }

  /** Splits every dump that reached its size budget; one failing split does not stop the others. */
  private runLoadController(): void {
    const now = this.clock.now();
    const overweight: ActiveEntry[] = [];
    this.active.forEach((entry, index) => {
      const size = entry.dump.tree.approximateSize();
      this.metrics.gauge(METRIC_NAMES.sizeInMemory, size, [`dump_index:${index}`]);
      if (size >= this.options.maxDumpSizeBytes) overweight.push(entry);
    });
    for (const entry of overweight) this.split(entry, now);
  }

  /**
   * Ends an overweight dump without freeing its slot and continues it in a new dump under the
   * same cookie. The ended dump is persisted whatever happens to its continuation; a
   * continuation that cannot start frees the slot.
   */
  private split(entry: ActiveEntry, now: number): void {
    const previous = entry.dump;
    const next = nextPartialLoadConfig(previous.loadConfig!, now, {
      reductions: this.options.reductions,
      minRate: this.options.minRate,
      minTimeout: this.options.minTimeout,
    });
    if (next === undefined) {
      void this.end(entry, now); // no time left: it simply ends
      return;
    }
    const tags = [...previous.tags]; // before finalize adds the context tags
    this.unregister(entry);
    this.ending.add(previous);
    this.finalizeDump(previous, now, false);
    try {
      this.admission.update(previous.cookie, next.config);
      const partial = this.begin(entry.ref, entry.workload, previous.cookie, next.config, {
        origin: 'split',
        storageRequests: previous.storageRequests,
        differentiateArgs: previous.tree.differentiateArgs,
        tags,
        countedByLimiter: previous.countedByLimiter,
      });
      for (const reduction of next.reductions) {
        this.metrics.count(METRIC_NAMES.loadControllerTriggered, 1, reductionTags(reduction));
      }
      this.notify('dump:split', previous, partial, next.reductions);
    } catch (error) {
      const partial = this.byCookie.get(previous.cookie);
      if (partial !== undefined) void this.end(partial, now);
      this.admission.release(entry.workload, previous.cookie);
      this.reportError(toError(error), "load controller couldn't continue a split dump");
    }
    void this.conclude(previous);
  }

  /** Asks for the tags of dumps without a selector, then applies the deny list and the dump budget. */
  private async resolveTags(): Promise<void> {
    for (const entry of [...this.active]) {
      if (!this.isActive(entry)) continue;
      await this.resolveDumpTags(entry);
      if (this.isActive(entry)) this.applyWorkloadLimits(entry);
    }
  }

  private async resolveDumpTags(entry: ActiveEntry): Promise<void> {
    const resolver = this.tagsResolver;
    if (resolver === undefined || entry.dump.selector !== undefined) return;
    try {
      const tags = await resolver.resolve(entry.ref);
      if (!Array.isArray(tags)) throw new InvalidArgumentError('the tags resolver must return an array');
      if (!this.isActive(entry)) return;
      mergeTags(
        entry.dump.tags,
        tags.filter((tag): tag is string => typeof tag === 'string'),
      );
    } catch (error) {
      this.logger.debug({ workload: entry.ref, err: error }, 'tags not resolved, will try again later');
    }
  }

  private applyWorkloadLimits(entry: ActiveEntry): void {
    const dump = entry.dump;
    const selector = dump.selector;
    if (selector === undefined) return;
    if (this.options.denyList.some((denied) => denied.matches(selector))) {
      this.workloadDenyListHits++;
      void this.end(entry, this.clock.now(), 'deny_list');
      return;
    }
    if (dump.countedByLimiter) return;
    const key = selector.key();
    const spent = this.limiter.get(key);
    if (spent >= this.options.maxDumpsPerWorkload) {
      this.dropMaxDumpReached++;
      void this.end(entry, this.clock.now(), 'max_dump_reached');
      return;
    }
    dump.countedByLimiter = true;
    this.limiter.set(key, spent + 1);
  }

  /**
   * Starts dumps for workloads without a profile: not within `silentWorkloads.delay` of the
   * last dump's end, not past capacity, one per image, skipping images already recorded
   * (whether or not their tags are resolved yet), deny-listed or out of dump budget.
   */
  private async handleSilentWorkloads(): Promise<void> {
    const provider = this.profiles;
    if (provider === undefined || this.closing !== undefined) return;
    const max = this.admission.capacity;
    if (this.clock.now() - this.lastStoppedDumpTime < this.options.silentWorkloadsDelay) return;
    if (this.active.length >= max) return;
    const silent = await provider.fetchSilentWorkloads();
    for (const { selector, instances } of silent) {
      if (this.closing !== undefined || this.active.length >= max) return;
      if (instances.length === 0 || this.isRecorded(selector, instances)) continue;
      if (this.options.denyList.some((denied) => denied.matches(selector))) continue;
      if (this.limiter.get(selector.key()) >= this.options.maxDumpsPerWorkload) continue;
      try {
        const dump = this.startTracing(instances[0]!, 'silent_workload', {
          timeout: this.options.dumpDuration,
          storageRequests: this.options.storageRequests,
          differentiateArgs: this.options.differentiateArgs,
        });
        mergeTags(dump.tags, selector.toTags());
      } catch (error) {
        this.logger.debug(
          { selector: selector.toString(), err: error },
          "couldn't start tracing a silent workload",
        );
      }
    }
  }

  private isRecorded(selector: WorkloadSelector, instances: readonly WorkloadRef[]): boolean {
    for (const entry of this.active) {
      if (entry.dump.selector?.matches(selector) === true) return true;
    }
    return instances.some((ref) => this.byWorkload.has(workloadKey(ref)));
  }

  // ---- snapshots --------------------------------------------------------------------------

  /** Snapshots run one at a time, in the order dumps started; none is skipped. */
  private enqueueSnapshot(entry: ActiveEntry): void {
    if (this.snapshotter === undefined && this.tagsResolver === undefined) return;
    this.snapshotQueue = this.snapshotQueue.then(() => this.snapshotDump(entry));
  }

  private async snapshotDump(entry: ActiveEntry): Promise<void> {
    if (!this.isActive(entry)) return;
    const snapshotter = this.snapshotter;
    if (snapshotter !== undefined && this.closing === undefined) {
      const controller = new AbortController();
      entry.snapshot = controller;
      try {
        const events = await snapshotter.snapshot({
          workload: entry.ref,
          tracedEventTypes: entry.dump.loadConfig!.tracedEventTypes,
          signal: controller.signal,
        });
        if (isSyncIterable(events)) {
          for (const event of events) if (!this.insertSnapshotEvent(entry, event)) break;
        } else {
          for await (const event of events) if (!this.insertSnapshotEvent(entry, event)) break;
        }
      } catch (error) {
        if (!controller.signal.aborted) this.reportError(toError(error), 'process snapshot failed');
      } finally {
        entry.snapshot = undefined;
      }
    }
    if (!this.isActive(entry)) return;
    await this.resolveDumpTags(entry);
    if (this.isActive(entry)) this.applyWorkloadLimits(entry);
  }

  private insertSnapshotEvent(entry: ActiveEntry, event: ActivityEvent): boolean {
    if (!this.isActive(entry) || entry.dump.state !== 'running') return false;
    entry.dump.insert(event, GenerationType.Snapshot);
    return true;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    const stopping = Object.values(this.tasks).map((task) => task.stop());
    // Snapshots are cut short, but every dump still gets its tags asked for once, so that a
    // dump started just before close() is not dropped for lacking them.
    for (const entry of this.active) entry.snapshot?.abort();
    await this.snapshotQueue;
    await Promise.all(stopping);
    await this.resolveTags();
    const now = this.clock.now();
    for (const entry of [...this.active]) void this.end(entry, now);
    await this.persisting.drain();
    this.sendStats();
    await this.storageStart;
    try {
      await this.storage.shutdown?.();
    } catch (error) {
      this.reportError(toError(error), "couldn't shut the storage down");
    }
  }

  private sendTreeStats(dump: ActivityDump): void {
    const counters = dump.tree.stats.takeCounters();
    const treeType = `tree_type:${dump.tree.treeType}`;
    const m = this.metrics;
    for (const [type, n] of Object.entries(counters.processed)) {
      m.count(METRIC_NAMES.eventProcessed, n!, [`event_type:${type}`, treeType]);
    }
    for (const [type, byGeneration] of Object.entries(counters.added)) {
      for (const [generation, n] of Object.entries(byGeneration!)) {
        m.count(METRIC_NAMES.eventAdded, n!, [
          `event_type:${type}`,
          `generation_type:${generation}`,
          treeType,
        ]);
      }
    }
    for (const [type, byReason] of Object.entries(counters.dropped)) {
      for (const [reason, n] of Object.entries(byReason!)) {
        m.count(METRIC_NAMES.eventDropped, n!, [`event_type:${type}`, `reason:${reason}`, treeType]);
      }
    }
  }

  private reportError(error: Error, message: string): void {
    this.logger.error({ err: error }, message);
    this.notify('error', error);
  }

  /** Emits an event; a throwing listener is logged and reported, never let into the manager's state. */
  private notify<E extends keyof ManagerEvents>(event: E, ...args: Parameters<ManagerEvents[E]>): void {
    const thrown = emitGuarded(() =>
      (this.emit as (event: E, ...args: Parameters<ManagerEvents[E]>) => boolean)(event, ...args),
    );
    if (thrown === undefined) return;
    this.logger.error({ err: thrown, event }, 'an event listener threw');
    if (event !== 'error') emitError(this, thrown);
  }
}

function reductionTags(reduction: LoadReduction): string[] {
  return reduction.kind === 'traced_event_types'
    ? ['reduction:traced_event_types', `event_type:${reduction.eventType}`]
    : [`reduction:${reduction.kind}`];
}
