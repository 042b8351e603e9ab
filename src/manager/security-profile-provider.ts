import type { WorkloadSelector } from '../dump/workload-selector.js';
import type { WorkloadRef } from './workload-ref.js';

/** A workload that has no security profile yet, and its running instances. */
export interface SilentWorkload {
  readonly selector: WorkloadSelector;
  /** Running containers or cgroups of that image; the first one is traced. */
  readonly instances: readonly WorkloadRef[];
}

/**
 * The security-profile side of the agent, as the manager sees it: it names the workloads
 * without a profile (the manager traces them even when they produce no events that would start
 * a dump), and hears which dump files local storage deleted.
 */
export interface SecurityProfileProvider {
  /** Workloads that have no profile yet. */
  fetchSilentWorkloads(): Promise<readonly SilentWorkload[]> | readonly SilentWorkload[];
  /** Local storage deleted these dump files to stay within its budget. */
  onLocalStorageCleanup?(files: readonly string[]): void;
}
