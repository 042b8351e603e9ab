import { InvalidArgumentError } from '../errors.js';
import type { ActivityEvent } from '../events/activity-event.js';
import type { StorageRequest } from '../storage/storage-request.js';
import {
  ActivityTree,
  type ActivityTreeOptions,
  type InsertOptions,
  type InsertOutcome,
} from '../tree/activity-tree.js';
import { GenerationType } from '../tree/generation-type.js';
import type { DumpMetadata } from './dump-metadata.js';
import type { LoadConfig } from './load-config.js';
import { hasTagNamed, tagName, tagValue } from './tags.js';
import { WorkloadSelector } from './workload-selector.js';

/**
 * Where a dump is in its life. `running` records; `paused` keeps its tracing slot but records
 * nothing (it grew past its size budget); `disabled` is the short step of releasing the slot;
 * `stopped` is both "not started yet" and "finished".
 */
export type DumpState = 'stopped' | 'disabled' | 'paused' | 'running';

/** What an insert into a dump did: the tree's {@link InsertOutcome}, or `not_running`. */
export type DumpInsertOutcome = InsertOutcome | 'not_running';

/** What a new {@link ActivityDump} starts with. */
export interface ActivityDumpInit {
  /** @default '' */
  host?: string;
  /** @default '' */
  service?: string;
  /** @default '' */
  source?: string;
  /** @default [] */
  tags?: string[];
  /** @default undefined (no metadata) */
  metadata?: DumpMetadata;
  /** The tree; a new empty one (built with `treeOptions`) when omitted. */
  tree?: ActivityTree;
  /** Options of the new tree when `tree` is omitted. */
  treeOptions?: ActivityTreeOptions;
  /** Tracing envelope of a recording dump; decoded dumps have none. @default undefined */
  loadConfig?: LoadConfig;
  /** Id shared with the tracing side (64-bit). @default 0n */
  cookie?: bigint;
  /** Where the dump is persisted when it ends. @default [] */
  storageRequests?: StorageRequest[];
  /**
   * Size budget in bytes of {@link ActivityTree.approximateSize}: an insert that reaches it
   * pauses the dump.
   * @default Infinity
   */
  maxSize?: number;
  /** Called after every state change (the manager mirrors them into its admission). */
  onStateChange?: (dump: ActivityDump, from: DumpState) => void;
}

/** How {@link ActivityDump.finalize} ends a dump. */
export interface FinalizeOptions {
  /**
   * Release the tracing slot and stop (`true`), or keep the slot for a continuation (`false`,
   * a load-controller split: the state is left as it is).
   */
  releaseSpot: boolean;
  /** End time, epoch ms. */
  now: number;
  /** Tags added unless the dump has a tag of the same name (`host:`, `source:`, …). @default [] */
  contextTags?: readonly string[];
}

const NS_PER_MS = 1_000_000n;

// One options object per generation type, so the insert path allocates none.
const INSERT_OPTIONS: readonly InsertOptions[] = [0, 1, 2, 3, 4].map((generationType) =>
  Object.freeze({ generationType }),
);

/**
 * One activity dump: who recorded it (host, service, source, tags), its metadata, the activity
 * tree of the workload and, while it records, its state, tracing envelope and storage
 * requests. Encoders read it and decoders build it; the manager drives its life:
 * `start` → `running` ⇄ … → `paused` → `finalize`.
 */
export class ActivityDump {
  host: string;
  service: string;
  source: string;
  tags: string[];
  /** `undefined` when the dump carries no metadata (the agent writes `null`). */
  metadata: DumpMetadata | undefined;
  readonly tree: ActivityTree;
  /** Id shared with the tracing side; a split continues under the same cookie. */
  readonly cookie: bigint;
  /** Where the dump is persisted when it ends. */
  readonly storageRequests: StorageRequest[];
  /** Size budget in bytes; reaching it pauses the dump. */
  readonly maxSize: number;
  /** Whether this dump consumed one unit of its workload's dump budget. */
  countedByLimiter = false;
  private currentState: DumpState = 'stopped';
  private config: LoadConfig | undefined;
  private finalized = false;
  private cachedSelector: WorkloadSelector | undefined;
  private readonly onStateChange: ((dump: ActivityDump, from: DumpState) => void) | undefined;

  constructor(init: ActivityDumpInit = {}) {
    this.host = init.host ?? '';
    this.service = init.service ?? '';
    this.source = init.source ?? '';
    this.tags = init.tags ?? [];
    this.metadata = init.metadata;
    this.tree = init.tree ?? new ActivityTree(init.treeOptions);
    this.config = init.loadConfig;
    this.cookie = init.cookie ?? 0n;
    this.storageRequests = init.storageRequests ?? [];
    this.maxSize = init.maxSize ?? Number.POSITIVE_INFINITY;
    this.onStateChange = init.onStateChange;
  }

  /** Current state. */
  get state(): DumpState {
    return this.currentState;
  }

  /** Tracing envelope; `undefined` for a dump that never recorded (a decoded one). */
  get loadConfig(): LoadConfig | undefined {
    return this.config;
  }

  /** Dump name from the metadata (`""` without metadata). */
  get name(): string {
    return this.metadata?.name ?? '';
  }

  /** Whether {@link ActivityDump.finalize} ran. */
  get isFinalized(): boolean {
    return this.finalized;
  }

  /**
   * The workload by image, from the `image_name:`/`image_tag:` tags; `undefined` until they
   * are known. Cached once found.
   */
  get selector(): WorkloadSelector | undefined {
    this.cachedSelector ??= WorkloadSelector.fromTags(this.tags);
    return this.cachedSelector;
  }

  /**
   * Replaces the tracing envelope (a new timeout, a resumed config) and mirrors its start and
   * end into the metadata.
   */
  setLoadConfig(config: LoadConfig): void {
    this.config = config;
    if (this.metadata !== undefined) {
      this.metadata.start = BigInt(Math.round(config.start)) * NS_PER_MS;
      this.metadata.end = BigInt(Math.round(config.end)) * NS_PER_MS;
    }
  }

  /**
   * Starts recording (`stopped` → `running`).
   * @throws {InvalidArgumentError} when the dump has no load config, already started, or was finalized.
   */
  start(): void {
    if (this.config === undefined) throw new InvalidArgumentError('a dump needs a load config to start');
    if (this.finalized || this.currentState !== 'stopped') {
      throw new InvalidArgumentError(`dump ${this.name} cannot start: it is ${this.describeState()}`);
    }
    this.transition('running');
  }

  /**
   * Records an event as a {@link GenerationType.Runtime} node (or another generation type),
   * only while `running` and not finalized. When an insert makes the tree reach {@link ActivityDump.maxSize}
   * the dump pauses at once.
   */
  insert(event: ActivityEvent, generationType: GenerationType = GenerationType.Runtime): DumpInsertOutcome {
    if (this.currentState !== 'running' || this.finalized) return 'not_running';
    const outcome = this.tree.insertWithOutcome(event, INSERT_OPTIONS[generationType] ?? { generationType });
    if (outcome === 'added' && this.tree.approximateSize() >= this.maxSize) this.pause();
    return outcome;
  }

  /** Whether the tree has reached the size budget. */
  isOverweight(): boolean {
    return this.tree.approximateSize() >= this.maxSize;
  }

  /** Pauses a running dump: it keeps its slot and records nothing. Returns whether it paused. */
  pause(): boolean {
    if (this.currentState !== 'running' || this.config === undefined) return false;
    this.config = { ...this.config, paused: true };
    this.transition('paused');
    return true;
  }

  /**
   * Ends the dump, once: sets the end time, adds the context tags whose name is not there yet,
   * takes `service` from the `service:` tag, and adds `container_id:<id>` when missing. With
   * `releaseSpot` the dump stops; without it (a split) the state is kept. Calling it again
   * changes nothing and returns `false`.
   */
  finalize(options: FinalizeOptions): boolean {
    if (this.finalized) return false;
    this.finalized = true;
    if (this.metadata !== undefined) this.metadata.end = BigInt(Math.round(options.now)) * NS_PER_MS;
    for (const tag of options.contextTags ?? []) {
      if (!hasTagNamed(this.tags, tagName(tag))) this.tags.push(tag);
    }
    this.service = tagValue(this.tags, 'service');
    const containerId = this.metadata?.containerId ?? '';
    if (containerId !== '' && !hasTagNamed(this.tags, 'container_id')) {
      this.tags.push(`container_id:${containerId}`);
    }
    if (options.releaseSpot && this.currentState !== 'stopped') {
      this.transition('disabled');
      this.transition('stopped');
    }
    return true;
  }

  private transition(to: DumpState): void {
    const from = this.currentState;
    this.currentState = to;
    this.onStateChange?.(this, from);
  }

  private describeState(): string {
    return this.finalized ? 'finalized' : this.currentState;
  }
}
