import type { WorkloadRef } from './workload-ref.js';

/**
 * Finds the tags of a workload (`image_name:nginx`, `image_tag:1.27`, `service:web`, …), for
 * example from the container runtime or an orchestrator. A dump gets its workload selector from
 * the `image_name:`/`image_tag:` tags; until then it is retried every tags-resolution period.
 */
export interface TagsResolver {
  /**
   * The workload's tags; an empty list (or a rejection) means "not known yet, try again later".
   */
  resolve(workload: WorkloadRef): Promise<readonly string[]> | readonly string[];
}
