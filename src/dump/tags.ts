/** The name of a `name:value` tag: the text before the first `:` (the whole tag without one). */
export function tagName(tag: string): string {
  const colon = tag.indexOf(':');
  return colon < 0 ? tag : tag.slice(0, colon);
}

/** The value of the first `name:value` tag with this name (`""` when there is none). */
export function tagValue(tags: readonly string[], name: string): string {
  for (const tag of tags) {
    const colon = tag.indexOf(':');
    if (colon >= 0 && tag.slice(0, colon) === name) return tag.slice(colon + 1);
  }
  return '';
}

/** Whether some tag has this name. */
export function hasTagNamed(tags: readonly string[], name: string): boolean {
  for (const tag of tags) if (tagName(tag) === name) return true;
  return false;
}

/** Appends each tag of `extra` that `tags` does not hold yet (exact text), keeping order. */
export function mergeTags(tags: string[], extra: readonly string[]): void {
  const known = new Set(tags);
  for (const tag of extra) {
    if (!known.has(tag)) {
      tags.push(tag);
      known.add(tag);
    }
  }
}
