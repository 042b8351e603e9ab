import type { ActivityDump } from '../dump/activity-dump.js';
import type { PersistOutcome } from '../storage/dump-persister.js';
import type { LoadReduction } from './load-controller.js';

/**
 * Why a dump began: the admission started tracing its workload on its own, a caller asked
 * (`api`), the workload had no profile yet (`silent_workload`), or it continues a dump that
 * grew past its size budget (`split`).
 */
export type DumpOrigin = 'admission' | 'api' | 'silent_workload' | 'split';

/**
 * Why an ended dump was not persisted: it recorded nothing (`empty`); its image tags never
 * resolved (`no_selector`, with `requireWorkloadSelector`); it had no storage request
 * (`no_storage`); its image is deny-listed (`deny_list`); its workload spent its dump budget
 * (`max_dump_reached`); `stopDumpsWithSelector` stopped it (`selector_stopped`); or every
 * storage request failed (`persist_failed`).
 */
export type DumpDropReason =
  | 'empty'
  | 'no_selector'
  | 'no_storage'
  | 'deny_list'
  | 'max_dump_reached'
  | 'selector_stopped'
  | 'persist_failed';

/** Every {@link DumpDropReason}. */
export const DUMP_DROP_REASONS: readonly DumpDropReason[] = [
  'empty',
  'no_selector',
  'no_storage',
  'deny_list',
  'max_dump_reached',
  'selector_stopped',
  'persist_failed',
];

/** How a dump ended: persisted by at least one storage request, or dropped with a reason. */
export type DumpEnd =
  | {
      readonly dump: ActivityDump;
      readonly status: 'persisted';
      readonly outcomes: readonly PersistOutcome[];
    }
  | {
      readonly dump: ActivityDump;
      readonly status: 'dropped';
      readonly reason: DumpDropReason;
      readonly outcomes: readonly PersistOutcome[];
    };

/** The typed events of an {@link ActivityDumpManager}, by name. */
export interface ManagerEvents {
  /** A dump began recording. */
  'dump:started': (dump: ActivityDump, origin: DumpOrigin) => void;
  /** A dump reached its size budget and stopped recording until the next load-controller pass. */
  'dump:paused': (dump: ActivityDump) => void;
  /** An overweight dump ended and `next` continues it, with what was tightened. */
  'dump:split': (previous: ActivityDump, next: ActivityDump, reductions: readonly LoadReduction[]) => void;
  /** A dump ended (it is persisted or dropped next). */
  'dump:finalized': (dump: ActivityDump) => void;
  /** A dump was stored by at least one of its storage requests (`outcomes` has them all). */
  'dump:persisted': (dump: ActivityDump, outcomes: readonly PersistOutcome[]) => void;
  /** A dump ended without being persisted. */
  'dump:dropped': (dump: ActivityDump, reason: DumpDropReason) => void;
  /** One storage request of a dump failed. */
  'persist:failed': (dump: ActivityDump, outcome: Extract<PersistOutcome, { ok: false }>) => void;
  /** Something failed outside any caller's reach: a periodic task, a port, a listener. */
  error: (error: Error) => void;
}
