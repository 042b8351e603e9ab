import { randomCookie } from '../dump/identifiers.js';
import { eventTypeBit, eventTypeMask, type LoadConfig } from '../dump/load-config.js';
import type { EventType } from '../events/activity-event.js';

/**
 * Why the admission turned an event away: its workload's dump is `paused` or `expired`, the
 * workload is on the `wait_list`, every slot is taken (`capacity`), the workload is not traced
 * and may not be started on its own (`not_traced`), the dump does not trace this `event_type`,
 * or the dump's events-per-second budget is spent (`rate_limited`).
 */
export type AdmissionRejection =
  | 'paused'
  | 'expired'
  | 'wait_list'
  | 'capacity'
  | 'not_traced'
  | 'event_type'
  | 'rate_limited';

/** Every {@link AdmissionRejection}. */
export const ADMISSION_REJECTIONS: readonly AdmissionRejection[] = [
  'paused',
  'expired',
  'wait_list',
  'capacity',
  'not_traced',
  'event_type',
  'rate_limited',
];

/** What the manager hears from an admission. */
export interface AdmissionListener {
  /**
   * The admission started tracing a workload on its own (the agent's `CgroupTracingEvent`):
   * the manager creates its dump. Returning `false` refuses it, and the admission frees the slot.
   */
  onTracingStarted(workload: string, cookie: bigint, config: LoadConfig): boolean;
}

/**
 * Decides which workloads are traced and which of their events are recorded: the in-process
 * stand-in for the agent's kernel maps (traced cgroups, per-dump configs by cookie, the wait
 * list, the per-dump rate limiter, the event-type mask). {@link InMemoryWorkloadAdmission} is the
 * default; a host with real kernel maps implements this over them.
 *
 * Workloads are opaque keys chosen by the manager (a container id, `cgroup:<id>`, or `""` for
 * host processes).
 */
export interface WorkloadAdmission {
  /** Called once by the manager that owns this admission. */
  attach(listener: AdmissionListener): void;
  /**
   * Decides for one event of a workload: the cookie of the dump that records it, or why not.
   * May start tracing the workload (through the listener) when it is not traced yet.
   */
  admit(workload: string, type: EventType, now: number): bigint | AdmissionRejection;
  /** Takes a slot for a dump the manager starts itself. `false` when the workload is traced or no slot is free. */
  reserve(workload: string, cookie: bigint, config: LoadConfig): boolean;
  /** Replaces the config of a cookie (a pause, or a split's continuation). */
  update(cookie: bigint, config: LoadConfig): void;
  /** Frees the workload's slot and the cookie's config. Unknown keys are ignored. */
  release(workload: string, cookie: bigint): void;
  /** Forgets wait-list entries that ended before `now`. */
  sweep(now: number): void;
  /** Workloads holding a slot. */
  readonly tracedCount: number;
  /** Most workloads traced at once; the manager never has more active dumps. */
  readonly capacity: number;
}

/** Options of {@link InMemoryWorkloadAdmission}. */
export interface InMemoryWorkloadAdmissionOptions {
  /** Most workloads traced at once (the manager's default uses `tracedCgroupsCount`, at most 128; yours may hold more). */
  capacity: number;
  /**
   * The config a workload gets when the admission starts tracing it, for a start time: the
   * manager's defaults.
   */
  defaultConfig: (now: number) => LoadConfig;
  /**
   * Whether the admission may start tracing a workload on its own (the agent's cgroup-triggered
   * dumps). When `false`, only dumps reserved by the manager are traced.
   * @default true
   */
  autoStart?: boolean;
  /**
   * Whether a workload may be traced on its own. Host processes (`""`) and cgroups that are not
   * containers are refused by the manager's default.
   * @default every workload
   */
  canAutoStart?: (workload: string) => boolean;
}

/** A config by cookie, with what admit() reads on every event kept flat. */
interface ConfigEntry {
  readonly cookie: bigint;
  config: LoadConfig;
  mask: number;
  end: number;
  rate: number;
  paused: boolean;
  windowStart: number;
  windowCount: number;
  /** Cleared when the config is deleted, so a slot holding it sees that without a lookup. */
  live: boolean;
}

const RATE_WINDOW_MS = 1000;

/**
 * The default {@link WorkloadAdmission}, following the agent's kernel rules: a slot per traced
 * workload up to `capacity`; a paused config is checked first and never expires (its slot is
 * kept for the split that follows); an expired config rejects events but keeps its slot until
 * the manager's cleanup releases it, so the cap also counts dumps waiting to be swept; an
 * untraced workload on the wait list is refused until its cooldown, counted from the start of
 * its last tracing, is over — the first event after it is admitted (the agent's needed a
 * second); the rate limiter allows `rate` events per one-second window.
 */
export class InMemoryWorkloadAdmission implements WorkloadAdmission {
  readonly capacity: number;
  private readonly defaultConfig: (now: number) => LoadConfig;
  private readonly autoStart: boolean;
  private readonly canAutoStart: (workload: string) => boolean;
  // Workload → the config entry of its cookie: one lookup per event.
  private readonly traced = new Map<string, ConfigEntry>();
  private readonly configs = new Map<bigint, ConfigEntry>();
  private readonly waitList = new Map<string, number>();
  private listener: AdmissionListener | undefined;

  constructor(options: InMemoryWorkloadAdmissionOptions) {
    this.capacity = options.capacity;
    this.defaultConfig = options.defaultConfig;
    this.autoStart = options.autoStart ?? true;
    this.canAutoStart = options.canAutoStart ?? (() => true);
  }

  attach(listener: AdmissionListener): void {
    this.listener = listener;
  }

  get tracedCount(): number {
    return this.traced.size;
  }

  /** Until when a workload is on the wait list (`undefined` when it is not). */
  waitListedUntil(workload: string): number | undefined {
    return this.waitList.get(workload);
  }

  admit(workload: string, type: EventType, now: number): bigint | AdmissionRejection {
    let entry = this.traced.get(workload);
    if (entry !== undefined && !entry.live) {
      this.traced.delete(workload); // a slot without a config traces nothing
      entry = undefined;
    }
    if (entry === undefined) {
      const started = this.tryStart(workload, now);
      if (typeof started === 'string') return started;
      entry = this.traced.get(workload);
      if (entry === undefined || !entry.live) return 'not_traced';
    }
    if (entry.paused) return 'paused';
    if (now > entry.end) return 'expired';
    if ((entry.mask & eventTypeBit(type)) === 0) return 'event_type';
    if (now - entry.windowStart >= RATE_WINDOW_MS || now < entry.windowStart) {
      entry.windowStart = now;
      entry.windowCount = 0;
    }
    if (entry.windowCount >= entry.rate) return 'rate_limited';
    entry.windowCount++;
    return entry.cookie;
  }

  reserve(workload: string, cookie: bigint, config: LoadConfig): boolean {
    if (this.traced.has(workload) || this.traced.size >= this.capacity) return false;
    this.traced.set(workload, this.upsert(cookie, config));
    return true;
  }

  update(cookie: bigint, config: LoadConfig): void {
    this.upsert(cookie, config);
  }

  release(workload: string, cookie: bigint): void {
    if (this.traced.get(workload)?.cookie === cookie) this.traced.delete(workload);
    const entry = this.configs.get(cookie);
    if (entry !== undefined) {
      entry.live = false;
      this.configs.delete(cookie);
    }
  }

  sweep(now: number): void {
    for (const [workload, until] of this.waitList) if (now > until) this.waitList.delete(workload);
  }

  private tryStart(workload: string, now: number): bigint | AdmissionRejection {
    if (!this.autoStart || this.listener === undefined || !this.canAutoStart(workload)) return 'not_traced';
    const until = this.waitList.get(workload);
    if (until !== undefined) {
      if (now <= until) return 'wait_list';
      this.waitList.delete(workload);
    }
    if (this.traced.size >= this.capacity) return 'capacity';
    const cookie = randomCookie();
    const config = this.defaultConfig(now);
    this.traced.set(workload, this.upsert(cookie, config));
    if (!this.listener.onTracingStarted(workload, cookie, config)) {
      this.release(workload, cookie);
      return 'not_traced';
    }
    if (config.waitListUntil > 0) this.waitList.set(workload, config.waitListUntil);
    return cookie;
  }

  private upsert(cookie: bigint, config: LoadConfig): ConfigEntry {
    let entry = this.configs.get(cookie);
    if (entry === undefined) {
      entry = {
        cookie,
        config,
        mask: 0,
        end: 0,
        rate: 0,
        paused: false,
        windowStart: 0,
        windowCount: 0,
        live: true,
      };
      this.configs.set(cookie, entry);
    }
    entry.config = config;
    entry.mask = eventTypeMask(config.tracedEventTypes);
    entry.end = config.end;
    entry.rate = config.rate;
    entry.paused = config.paused;
    return entry;
  }
}
