import { ActivityTree, type ActivityTreeOptions } from '../tree/activity-tree.js';
import type { DumpMetadata } from './dump-metadata.js';

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
}

/**
 * One activity dump: who recorded it (host, service, source, tags), its metadata, and the
 * activity tree of the workload. This class is the one place a dump lives; encoders read it
 * and decoders build it.
 */
export class ActivityDump {
  host: string;
  service: string;
  source: string;
  tags: string[];
  /** `undefined` when the dump carries no metadata (the agent writes `null`). */
  metadata: DumpMetadata | undefined;
  readonly tree: ActivityTree;

  constructor(init: ActivityDumpInit = {}) {
    this.host = init.host ?? '';
    this.service = init.service ?? '';
    this.source = init.source ?? '';
    this.tags = init.tags ?? [];
    this.metadata = init.metadata;
    this.tree = init.tree ?? new ActivityTree(init.treeOptions);
  }
}
