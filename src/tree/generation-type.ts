/**
 * How a node entered the tree. Values are the agent's wire numbers; 3 and 4 are legal on the
 * wire even though the agent's protobuf enum only names 0–2.
 */
export const GenerationType = {
  /** Added at an unknown time (only seen in decoded dumps; never accepted by `insert`). */
  Unknown: 0,
  /** Added from a runtime event. */
  Runtime: 1,
  /** Added while snapshotting what already ran when the dump started. */
  Snapshot: 2,
  /** Added because the workload drifted from its security profile. */
  ProfileDrift: 3,
  /** Added while a security profile was warming up. */
  WorkloadWarmup: 4,
} as const;

/** One of the {@link GenerationType} values (decoded dumps may carry other numbers). */
export type GenerationType = number;

/** Largest generation type `insert` accepts. */
export const MAX_GENERATION_TYPE = 4;

const NAMES = ['unknown', 'runtime', 'snapshot', 'profile_drift', 'workload_warmup'] as const;

/** The metric-tag name of a generation type (`runtime`, `snapshot`, …); `unknown` for anything else. */
export function generationTypeName(type: GenerationType): string {
  return NAMES[type] ?? 'unknown';
}
