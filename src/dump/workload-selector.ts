import { InvalidArgumentError } from '../errors.js';
import { tagValue } from './tags.js';

/** Matches every tag of an image. */
export const ANY_TAG = '*';

/**
 * A workload by its container image: `{ image, tag }`. A dump gets one once its `image_name`
 * (and `image_tag`) tags are known; the per-workload dump budget, the deny list and
 * `stopDumpsWithSelector` are keyed by it.
 */
export class WorkloadSelector {
  /** Image name, such as `nginx`. */
  readonly image: string;
  /** Image tag; `*` matches every tag. */
  readonly tag: string;

  /**
   * @param tag - `""` means `latest`, `*` any tag.
   * @throws {InvalidArgumentError} when `image` is empty.
   */
  constructor(image: string, tag = '') {
    if (image === '') throw new InvalidArgumentError('a workload selector needs an image name');
    this.image = image;
    this.tag = tag === '' ? 'latest' : tag;
  }

  /** The selector of a dump's tags (`image_name:`, `image_tag:`), `undefined` without an image name. */
  static fromTags(tags: readonly string[]): WorkloadSelector | undefined {
    const image = tagValue(tags, 'image_name');
    return image === '' ? undefined : new WorkloadSelector(image, tagValue(tags, 'image_tag'));
  }

  /** Same image, and the same tag unless either side is `*`. */
  matches(other: WorkloadSelector): boolean {
    if (this.image !== other.image) return false;
    return this.tag === ANY_TAG || other.tag === ANY_TAG || this.tag === other.tag;
  }

  /** A key that is equal for equal selectors (image and exact tag). */
  key(): string {
    return `${this.image}\u0000${this.tag}`;
  }

  /** The selector as tags: `image_name:<image>`, `image_tag:<tag>`. */
  toTags(): string[] {
    return [`image_name:${this.image}`, `image_tag:${this.tag}`];
  }

  /** The agent's text form: `[image_name:<image> image_tag:<tag>]`. */
  toString(): string {
    return `[image_name:${this.image} image_tag:${this.tag}]`;
  }
}
