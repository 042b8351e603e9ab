/** When a node was first and last seen under one image tag (ns since the Unix epoch). */
export interface ImageTagTimes {
  /** Image tag, such as a container image version. */
  readonly tag: string;
  /** First time the node was seen under this tag. */
  firstSeen: bigint;
  /** Last time the node was seen under this tag. */
  lastSeen: bigint;
}

/**
 * Records that a node was seen under `tag` at `time`: refreshes `lastSeen` of a known tag, or
 * appends a new entry. An empty tag is ignored. Returns the (possibly new) list.
 */
export function touchImageTag(
  tags: ImageTagTimes[] | undefined,
  tag: string,
  time: bigint,
): ImageTagTimes[] | undefined {
  if (tag === '') return tags;
  if (tags === undefined) return [{ tag, firstSeen: time, lastSeen: time }];
  for (let i = 0; i < tags.length; i++) {
    const entry = tags[i]!;
    if (entry.tag === tag) {
      entry.lastSeen = time;
      return tags;
    }
  }
  tags.push({ tag, firstSeen: time, lastSeen: time });
  return tags;
}
