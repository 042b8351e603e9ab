import type { GenerationType } from './generation-type.js';
import type { ImageTagTimes } from './image-tags.js';

/** One syscall number a process was seen using. */
export class SyscallNode {
  imageTags: ImageTagTimes[] | undefined = undefined;

  constructor(
    readonly syscall: number,
    public generationType: GenerationType,
  ) {}
}
