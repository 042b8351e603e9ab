import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';

/** Highest Linux capability number the tree records (`CAP_CHECKPOINT_RESTORE`). */
export const CAP_LAST_CAP = 40;

/** One capability a process attempted to use, and whether it held it. */
export class CapabilityNode {
  imageTags: ImageTagTimes[] | undefined = undefined;

  constructor(
    readonly capability: number,
    readonly capable: boolean,
    public generationType: GenerationType,
  ) {}
}
