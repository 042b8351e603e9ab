/** How a file was opened: the first return value, and the union of all flags and modes seen. */
export interface OpenNode {
  readonly retval: number;
  readonly flags: number;
  readonly mode: number;
}

// Most leaves share a handful of (retval, flags, mode) triples, so nodes point at one frozen
// copy of each instead of owning an object. The table is bounded; past it, copies are fresh.
const MAX_INTERNED = 4096;
const interned = new Map<string, OpenNode>();

/** A frozen open record, shared with every other node that has the same values. */
export function internOpen(retval: number, flags: number, mode: number): OpenNode {
  const key = `${retval}:${flags}:${mode}`;
  let open = interned.get(key);
  if (open === undefined) {
    open = Object.freeze({ retval, flags, mode });
    if (interned.size < MAX_INTERNED) interned.set(key, open);
  }
  return open;
}
