import type { MatchedRule } from '../events/matched-rule.js';
import type { FileNode } from './file-node.js';
import type { GenerationType } from './generation-type.js';
import type { ActivityTreeStats } from './tree-stats.js';

/** What every per-kind insert needs to know about the current insert. Reused across inserts. */
export interface InsertContext {
  stats: ActivityTreeStats;
  generationType: GenerationType;
  imageTag: string;
  /** Event time (ns) used to stamp image tags. */
  time: bigint;
  dryRun: boolean;
  matchedRules: readonly MatchedRule[] | undefined;
  /** Scratch list the file walk fills with the nodes of an existing path. */
  visited: FileNode[];
}
