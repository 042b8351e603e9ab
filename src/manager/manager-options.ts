import { hostname as osHostname, release } from 'node:os';
import type { Clock } from '../clock.js';
import type { DumpMetadata } from '../dump/dump-metadata.js';
import { normalizeEventTypes } from '../dump/load-config.js';
import { hasTagNamed, tagName } from '../dump/tags.js';
import { ANY_TAG, WorkloadSelector } from '../dump/workload-selector.js';
import { InvalidArgumentError } from '../errors.js';
import type { EventType } from '../events/activity-event.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { checkCount, checkFinite } from '../number-checks.js';
import type { DumpPersister } from '../storage/dump-persister.js';
import type { RemoteStorageOptions } from '../storage/remote-storage.js';
import { parseStorageRequests, type StorageRequest } from '../storage/storage-request.js';
import type { ActivityTreeOptions } from '../tree/activity-tree.js';
import type { ProcessSnapshotter } from './process-snapshotter.js';
import type { SecurityProfileProvider } from './security-profile-provider.js';
import type { TagsResolver } from './tags-resolver.js';
import type { WorkloadAdmission } from './workload-admission.js';

/** The agent's ceiling on traced workloads; `tracedCgroupsCount` is clamped to it. */
export const MAX_TRACED_CGROUPS_COUNT = 128;
/** The agent's floor on `maxDumpSize`, KiB. */
export const MIN_MAX_DUMP_SIZE_KIB = 100;
/** How many workloads the per-workload dump budget remembers. */
export const DUMP_LIMITER_CAPACITY = 1024;
/** `source` of every dump, and of the context tag. */
export const DUMP_SOURCE = 'runtime-security-agent';
/** The agent's default dump directory. */
export const DEFAULT_LOCAL_STORAGE_DIRECTORY = '/opt/datadog-agent/run/runtime-security/profiles';

/** Fields of the dump metadata that describe the recorder, supplied by the host. */
export type RecorderMetadata = Pick<
  DumpMetadata,
  'agentVersion' | 'agentCommit' | 'kernelVersion' | 'linuxDistribution' | 'arch'
>;

/** Tree options a manager passes to every dump's tree. */
export type DumpTreeOptions = Pick<
  ActivityTreeOptions,
  | 'pathsReducer'
  | 'argsScrubber'
  | 'envsWithValue'
  | 'dnsMatchMaxDepth'
  | 'processCacheSize'
  | 'fileCacheSize'
>;

/**
 * Options of an {@link ActivityDumpManager}. Every default is the Datadog Agent's; durations
 * are milliseconds.
 */
export interface ActivityDumpManagerOptions {
  /**
   * Where ended dumps are persisted; the manager starts it and shuts it down with itself.
   * @default a StorageManager over a LocalStorage in `localStorage.outputDirectory`, and a
   *   RemoteStorage when `remoteStorage.endpoints` are given
   */
  storage?: DumpPersister;
  /**
   * Time and timers of every periodic task.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Which workloads are traced and which events recorded.
   * @default an InMemoryWorkloadAdmission built from these options
   */
  admission?: WorkloadAdmission;
  /** Finds the tags (image name and tag, service, …) of a workload. @default none */
  tagsResolver?: TagsResolver;
  /** Names workloads without a security profile, to trace them. @default none */
  securityProfileProvider?: SecurityProfileProvider;
  /** Fills a new dump with what already runs in its workload. @default none */
  processSnapshotter?: ProcessSnapshotter;
  /** @default noopMetrics */
  metrics?: Metrics;
  /** A pino-compatible logger. @default silentLogger */
  logger?: Logger;
  /**
   * Host name of every dump and of the `host:` context tag.
   * @default os.hostname(), or `unknown`
   */
  hostname?: string;
  /** Tags of the recorder added to every dump at its end (`env:prod`, …; `host*` names are left out). @default [] */
  tags?: readonly string[];
  /**
   * Recorder fields of every dump's metadata.
   * @default agent fields empty, `kernelVersion` from os.release(), `arch` from process.arch
   */
  metadata?: Partial<RecorderMetadata>;
  /** How often ended and expired dumps are swept, persisted or dropped. @default 30_000 */
  cleanupPeriod?: number;
  /** How often dumps without tags ask the tags resolver again. @default 60_000 */
  tagsResolutionPeriod?: number;
  /** How often overweight dumps are split. @default 60_000 */
  loadControllerPeriod?: number;
  /** Tracing of workloads without a profile. */
  silentWorkloads?: {
    /** How often silent workloads are looked for. @default 10_000 */
    period?: number;
    /** Nothing starts until this long after the last dump ended. @default 10_000 */
    delay?: number;
  };
  /** How often counters are sent to `metrics` (0: only when `sendStats()` is called). @default 10_000 */
  statsPeriod?: number;
  /** How long a dump records. @default 900_000 */
  dumpDuration?: number;
  /** Most workloads traced at once, clamped to 128. 0 traces nothing. @default 5 */
  tracedCgroupsCount?: number;
  /** Most events per second a dump accepts. @default 500 */
  rateLimit?: number;
  /** Size budget of a dump's tree, KiB (at least 100): a dump that reaches it pauses and is split. @default 1750 */
  maxDumpSize?: number;
  /** Dumps filling up faster than this get a tighter envelope when split (at least 10 s). @default 600_000 */
  minTimeout?: number;
  /** A workload traced on its own is not traced again until this long after that tracing started. @default 4_500_000 */
  cgroupWaitListTimeout?: number;
  /** Most dumps per workload selector (image and tag); later ones are dropped. @default 25 */
  maxDumpsPerWorkload?: number;
  /** Image names never recorded: their dumps are dropped once their tags are known. @default [] */
  workloadDenyList?: readonly string[];
  /** Tell processes of one executable apart by their arguments. @default false */
  differentiateArgs?: boolean;
  /**
   * Event types recorded; `exec` is always added, and `fork` and `exit` ride with it.
   * @default ['exec', 'open', 'dns', 'imds']
   */
  tracedEventTypes?: readonly EventType[];
  /** Local copies of every dump. */
  localStorage?: {
    /**
     * Formats, case-insensitive.
     * @default ['profile'] (the agent's) with a tagsResolver; ['protobuf'] without one, since a
     *   profile needs the image tags only a resolver provides
     */
    formats?: readonly string[];
    /** @default '/opt/datadog-agent/run/runtime-security/profiles' */
    outputDirectory?: string;
    /** @default false */
    compression?: boolean;
    /** Most dumps the default LocalStorage keeps. @default 100 */
    maxDumpsCount?: number;
    /** Mode of the default LocalStorage's files. @default 0o640 */
    fileMode?: number;
    /** Mode of the directories it creates. @default 0o750 */
    directoryMode?: number;
  };
  /**
   * Remote copies of every dump, except those `startDump` was given their own storage for. The
   * other fields configure the default RemoteStorage (timeout, retries, spool, …).
   */
  remoteStorage?: Partial<Omit<RemoteStorageOptions, 'clock' | 'logger'>> & {
    /** Add remote storage requests. @default true when endpoints are given, else false */
    enabled?: boolean;
    /** @default ['protobuf'] */
    formats?: readonly string[];
    /** @default true */
    compression?: boolean;
  };
  /** How overweight dumps are split. */
  loadController?: {
    /** Tighten rate, timeout and event types of dumps that fill up fast; `false` copies them. @default true */
    reductions?: boolean;
    /** The rate never drops below this. @default rateLimit / 10 */
    minRate?: number;
  };
  /** Record processes outside containers, as one `host` workload. @default false */
  traceHostProcesses?: boolean;
  /**
   * Drop (counted, reason `no_selector`) non-empty dumps whose image tags never resolved,
   * instead of persisting them.
   * @default true when a tagsResolver is given, else false
   */
  requireWorkloadSelector?: boolean;
  /** Options of every dump's tree. @default {} */
  treeOptions?: DumpTreeOptions;
}

/** The options with every default applied and every value checked. */
export interface ResolvedManagerOptions {
  cleanupPeriod: number;
  tagsResolutionPeriod: number;
  loadControllerPeriod: number;
  silentWorkloadsPeriod: number;
  silentWorkloadsDelay: number;
  statsPeriod: number;
  dumpDuration: number;
  tracedCgroupsCount: number;
  rateLimit: number;
  maxDumpSizeBytes: number;
  minTimeout: number;
  cgroupWaitListTimeout: number;
  maxDumpsPerWorkload: number;
  denyList: WorkloadSelector[];
  differentiateArgs: boolean;
  tracedEventTypes: EventType[];
  localStorageDirectory: string;
  storageRequests: StorageRequest[];
  reductions: boolean;
  minRate: number;
  traceHostProcesses: boolean;
  requireWorkloadSelector: boolean;
  hostname: string;
  contextTags: string[];
  metadata: RecorderMetadata;
  treeOptions: DumpTreeOptions;
}

function duration(value: number | undefined, fallback: number, name: string): number {
  return checkFinite(value ?? fallback, name, { unit: 'number of milliseconds' });
}

function count(value: number | undefined, fallback: number, name: string): number {
  return checkCount(value ?? fallback, name);
}

function list<T>(value: readonly T[] | undefined, fallback: readonly T[], name: string): readonly T[] {
  const v = value ?? fallback;
  if (!Array.isArray(v)) throw new InvalidArgumentError(`${name} must be an array, got ${typeof v}`);
  return v;
}

function flag(value: boolean | undefined, fallback: boolean, name: string): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${name} must be a boolean, got ${typeof v}`);
  return v;
}

function text(value: string | undefined, fallback: string, name: string): string {
  const v = value ?? fallback;
  if (typeof v !== 'string') throw new InvalidArgumentError(`${name} must be a string, got ${typeof v}`);
  return v;
}

const ARCHES: Readonly<Record<string, string>> = { x64: 'x64', arm64: 'arm64', ia32: 'ia32' };

function defaultHostname(): string {
  try {
    return osHostname() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The context tags every dump gets at its end: `host:<hostname>`, the recorder's tags except
 * those named `host` (the agent dropped every tag merely starting with `host`), and
 * `source:runtime-security-agent` unless a `source:` tag was given.
 */
export function contextTags(hostname: string, tags: readonly string[]): string[] {
  const out = [`host:${hostname}`];
  for (const tag of tags) if (tagName(tag) !== 'host') out.push(tag);
  if (!hasTagNamed(out, 'source')) out.push(`source:${DUMP_SOURCE}`);
  return out;
}

/**
 * Applies the defaults and checks every value.
 * @throws {InvalidArgumentError} for a value outside its domain or an empty deny-list entry.
 * @throws {UnsupportedFormatError} for an unknown storage format.
 */
export function resolveManagerOptions(options: ActivityDumpManagerOptions): ResolvedManagerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('ActivityDumpManager options must be an object');
  }
  if (options.storage !== undefined && typeof options.storage?.persist !== 'function') {
    throw new InvalidArgumentError('storage must have a persist method');
  }
  const rateLimit = count(options.rateLimit, 500, 'rateLimit');
  const denyList = list(options.workloadDenyList, [], 'workloadDenyList').map((entry) => {
    if (typeof entry !== 'string' || entry === '') {
      throw new InvalidArgumentError(
        `invalid workload selector in workloadDenyList: ${JSON.stringify(entry)} (an image name is needed)`,
      );
    }
    return new WorkloadSelector(entry, ANY_TAG);
  });
  const local = options.localStorage;
  const remote = options.remoteStorage;
  const localDirectory = text(
    local?.outputDirectory,
    DEFAULT_LOCAL_STORAGE_DIRECTORY,
    'localStorage.outputDirectory',
  );
  const remoteEnabled = flag(remote?.enabled, (remote?.endpoints?.length ?? 0) > 0, 'remoteStorage.enabled');
  const storageRequests = parseStorageRequests({
    localStorageDirectory: localDirectory,
    localStorageFormats: list(
      local?.formats,
      options.tagsResolver === undefined ? ['protobuf'] : ['profile'],
      'localStorage.formats',
    ),
    localStorageCompression: flag(local?.compression, false, 'localStorage.compression'),
    remoteStorageFormats: remoteEnabled ? list(remote?.formats, ['protobuf'], 'remoteStorage.formats') : [],
    remoteStorageCompression: flag(remote?.compression, true, 'remoteStorage.compression'),
  });
  const minRate = checkFinite(options.loadController?.minRate ?? rateLimit / 10, 'loadController.minRate');
  const hostname = text(options.hostname, defaultHostname(), 'hostname');
  const tags = list(options.tags, [], 'tags');
  for (const tag of tags) if (typeof tag !== 'string') throw new InvalidArgumentError('tags must be strings');
  return {
    cleanupPeriod: duration(options.cleanupPeriod, 30_000, 'cleanupPeriod'),
    tagsResolutionPeriod: duration(options.tagsResolutionPeriod, 60_000, 'tagsResolutionPeriod'),
    loadControllerPeriod: duration(options.loadControllerPeriod, 60_000, 'loadControllerPeriod'),
    silentWorkloadsPeriod: duration(options.silentWorkloads?.period, 10_000, 'silentWorkloads.period'),
    silentWorkloadsDelay: duration(options.silentWorkloads?.delay, 10_000, 'silentWorkloads.delay'),
    statsPeriod: duration(options.statsPeriod, 10_000, 'statsPeriod'),
    dumpDuration: duration(options.dumpDuration, 900_000, 'dumpDuration'),
    tracedCgroupsCount: Math.min(
      count(options.tracedCgroupsCount, 5, 'tracedCgroupsCount'),
      MAX_TRACED_CGROUPS_COUNT,
    ),
    rateLimit,
    maxDumpSizeBytes: Math.max(count(options.maxDumpSize, 1750, 'maxDumpSize'), MIN_MAX_DUMP_SIZE_KIB) * 1024,
    minTimeout: duration(options.minTimeout, 600_000, 'minTimeout'),
    cgroupWaitListTimeout: duration(options.cgroupWaitListTimeout, 4_500_000, 'cgroupWaitListTimeout'),
    maxDumpsPerWorkload: count(options.maxDumpsPerWorkload, 25, 'maxDumpsPerWorkload'),
    denyList,
    differentiateArgs: flag(options.differentiateArgs, false, 'differentiateArgs'),
    tracedEventTypes: normalizeEventTypes(
      list(options.tracedEventTypes, ['exec', 'open', 'dns', 'imds'], 'tracedEventTypes'),
    ),
    localStorageDirectory: localDirectory,
    storageRequests,
    reductions: flag(options.loadController?.reductions, true, 'loadController.reductions'),
    minRate,
    traceHostProcesses: flag(options.traceHostProcesses, false, 'traceHostProcesses'),
    requireWorkloadSelector: flag(
      options.requireWorkloadSelector,
      options.tagsResolver !== undefined,
      'requireWorkloadSelector',
    ),
    hostname,
    contextTags: contextTags(hostname, tags),
    metadata: {
      agentVersion: options.metadata?.agentVersion ?? '',
      agentCommit: options.metadata?.agentCommit ?? '',
      kernelVersion: options.metadata?.kernelVersion ?? release(),
      linuxDistribution: options.metadata?.linuxDistribution ?? '',
      arch: options.metadata?.arch ?? ARCHES[process.arch] ?? process.arch,
    },
    treeOptions: options.treeOptions ?? {},
  };
}
