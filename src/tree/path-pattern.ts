/**
 * Options of {@link pathPatternMatch}. All values are integers; each one defaults to the Go zero value,
 * which means "no constraint" for every option except `wildcardLimit` (where 0 allows no wildcard).
 */
export interface PathPatternMatchOptions {
  /**
   * Maximum number of differing components ("wildcards"). 0 means the paths must be identical.
   * @default 0
   */
  wildcardLimit?: number;
  /**
   * Number of leading components that must be identical (the first N after the root `/`); a wildcard
   * may only stand after them. 0 means no constraint.
   * @default 0
   */
  prefixNodeRequired?: number;
  /**
   * Number of identical components required after the last wildcard (the empty root before the first
   * `/` counts as one when nothing differs). 0 means no constraint.
   * @default 0
   */
  suffixNodeRequired?: number;
  /**
   * Minimum size, in UTF-8 bytes **including the leading `/`**, of the `path` component standing where a
   * wildcard is. 0 means no constraint.
   * @default 0
   */
  nodeSizeLimit?: number;
}

/**
 * The options the activity tree uses to decide whether two executables are the same process
 * identity (reference-activity-tree §5.4): up to 3 differing components, never the first one, never the
 * basename, and only where the new component is at least 7 characters long.
 */
export const NORMALIZED_PATH_MATCH: Readonly<Required<PathPatternMatchOptions>> = Object.freeze({
  wildcardLimit: 3,
  prefixNodeRequired: 1,
  suffixNodeRequired: 1,
  nodeSizeLimit: 8,
});

const SLASH = 0x2f;

/**
 * Whether `path` matches `pattern` component by component, with the agent's `PathPatternMatch`
 * semantics: both must be absolute (or both empty) and have the same number of `/`-separated
 * components; components that differ count as wildcards and must respect `options`.
 *
 * The two arguments are not symmetric: `nodeSizeLimit` measures the component of `path` (the new
 * path being looked up), never the one of `pattern` (the path already in the tree).
 *
 * Allocation-free: components are compared in place.
 *
 * @example
 * ```ts
 * pathPatternMatch('/tmp/123456789/script.sh', '/tmp/987654321/script.sh', NORMALIZED_PATH_MATCH); // true
 * pathPatternMatch('/var/123456789/script.sh', '/tmp/123456789/script.sh', NORMALIZED_PATH_MATCH); // false
 * ```
 */
export function pathPatternMatch(pattern: string, path: string, options: PathPatternMatchOptions): boolean {
  const patternLength = pattern.length;
  const pathLength = path.length;
  if (patternLength > 0 && pattern.charCodeAt(0) !== SLASH) return false;
  if (pathLength > 0 && path.charCodeAt(0) !== SLASH) return false;

  const wildcardLimit = options.wildcardLimit ?? 0;
  const prefixNodeRequired = options.prefixNodeRequired ?? 0;
  const suffixNodeRequired = options.suffixNodeRequired ?? 0;
  const nodeSizeLimit = options.nodeSizeLimit ?? 0;

  let wildcards = 0;
  let identicalSuffix = 0;
  // Component 0 is the empty text before the leading `/`: it always matches, since both strings start
  // with `/` (or are empty), and, as in the agent, it counts towards the suffix but not the prefix.
  let component = 0;
  let patternStart = 0;
  let pathStart = 0;
  for (;;) {
    let patternEnd = pattern.indexOf('/', patternStart);
    let pathEnd = path.indexOf('/', pathStart);
    const patternLast = patternEnd === -1;
    if (patternLast !== (pathEnd === -1)) return false; // different component counts
    if (patternLast) {
      patternEnd = patternLength;
      pathEnd = pathLength;
    }

    if (sameRange(pattern, patternStart, patternEnd, path, pathStart, pathEnd)) {
      identicalSuffix++;
    } else {
      wildcards++;
      if (wildcards > wildcardLimit) return false;
      if (component - 1 < prefixNodeRequired) return false;
      if (nodeSizeLimit !== 0 && utf8Length(path, pathStart, pathEnd) + 1 < nodeSizeLimit) return false;
      identicalSuffix = 0;
    }

    if (patternLast) break;
    component++;
    patternStart = patternEnd + 1;
    pathStart = pathEnd + 1;
  }
  return suffixNodeRequired === 0 || identicalSuffix >= suffixNodeRequired;
}

function sameRange(
  a: string,
  aStart: number,
  aEnd: number,
  b: string,
  bStart: number,
  bEnd: number,
): boolean {
  const length = aEnd - aStart;
  if (length !== bEnd - bStart) return false;
  for (let i = 0; i < length; i++) {
    if (a.charCodeAt(aStart + i) !== b.charCodeAt(bStart + i)) return false;
  }
  return true;
}

// The agent measures components in UTF-8 bytes; JS strings are UTF-16, so convert the length.
function utf8Length(s: string, start: number, end: number): number {
  let bytes = 0;
  for (let i = start; i < end; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0x80) {
      bytes += 1;
    } else if (unit < 0x800) {
      bytes += 2;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < end && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else {
      // Includes lone surrogates, which a UTF-8 encoder replaces with U+FFFD (3 bytes).
      bytes += 3;
    }
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
