/**
 * A workload as the tracing side knows it: a container, a cgroup, or the host (both empty).
 */
export interface WorkloadRef {
  /** Container id; `""` when the workload is not a container. */
  readonly containerId: string;
  /** Cgroup id; `""` when unknown. */
  readonly cgroupId: string;
}
