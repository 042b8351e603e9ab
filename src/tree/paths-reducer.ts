import { InvalidArgumentError } from '../errors.js';

/** What {@link PathsReducer.reduce} knows about the event whose path it reduces. */
export interface PathsReducerContext {
  /** Pid of the process node the path is attached to (a `/proc/<pid>/` of its own becomes `/proc/self/`). */
  pid: number;
  /** File system of the file event (`sysfs`, `ext4`, …), if known. */
  filesystem?: string | undefined;
  /**
   * Whether a file event accompanies the path. Without one, the agent skips every filesystem
   * pre-check, so rules restricted to a filesystem apply unconditionally.
   */
  hasFile: boolean;
}

/**
 * Returns the text replacing a matched group, or `undefined` to leave this match alone. Must be pure:
 * it may be called for any path, in any order.
 */
export type PathsReducerReplacer = (text: string, context: PathsReducerContext) => string | undefined;

/** One rewriting rule of a {@link PathsReducer}. */
export interface PathsReducerRule {
  /**
   * What to look for. The reducer compiles its own copy with the `g` and `d` flags added (`y` dropped),
   * so every match of the path is rewritten and the caller's regex state is never touched.
   */
  readonly pattern: RegExp;
  /**
   * A substring every match contains. When the path lacks it the regex is not run at all: this keeps
   * the common case (nothing to reduce) cheap.
   */
  readonly hint?: string;
  /**
   * A cheap test every path with a match passes, for rules without a fixed substring (the
   * container-id rule needs 8 hex digits in a row). When it returns false the rule is skipped.
   */
  readonly prefilter?: (path: string) => boolean;
  /**
   * Only apply the rule to file events on this file system (`sysfs` for cgroup and block-device paths).
   * Ignored when the context has no file event, as in the agent.
   */
  readonly filesystem?: string;
  /**
   * Which capture group is replaced; 0 is the whole match.
   * @default 0
   */
  readonly group?: number;
  /** Replacement text, or a function computing it from the group's text. */
  readonly replace: string | PathsReducerReplacer;
}

const INT64_MAX = 9223372036854775807n;
const TWO_POW_32 = 4294967296;

// The agent parses the pid with strconv.Atoi (int64; an overflow leaves the match alone) and compares
// it with the node's pid after a uint32 conversion; mirror both so reduced paths are the agent's.
function procPidReplacement(digits: string, context: PathsReducerContext): string | undefined {
  let pid: number;
  if (digits.length <= 15) {
    pid = Number(digits) % TWO_POW_32; // exact: below 2^53
  } else {
    const value = BigInt(digits);
    if (value > INT64_MAX) return undefined;
    pid = Number(BigInt.asUintN(32, value));
  }
  return pid === context.pid ? 'self' : '*';
}

/**
 * The agent's rules (reference-activity-tree §7), in the order it applies them: pids and tids under
 * `/proc`, kubepods and cri-containerd cgroup names on sysfs, container ids (the newest agent regex:
 * 64 hex digits, AWS ECS `<32 hex>-<10 digits>`, Garden `<8 hex>-<4 hex>×4`), dm/loop block devices
 * on sysfs, and the dated directory of Kubernetes service-account tokens.
 */
export const DEFAULT_PATHS_REDUCER_RULES: readonly PathsReducerRule[] = Object.freeze([
  { pattern: /\/proc\/(\d+)\//, hint: 'proc', group: 1, replace: procPidReplacement },
  { pattern: /\/task\/(\d+)\//, hint: 'task', group: 1, replace: '*' },
  {
    pattern: /kubepods-([^/]*)\.(?:slice|scope)/,
    hint: 'kubepods',
    filesystem: 'sysfs',
    group: 1,
    replace: '*',
  },
  {
    pattern: /cri-containerd-([^/]*)\.(?:slice|scope)/,
    hint: 'cri-containerd',
    filesystem: 'sysfs',
    group: 1,
    replace: '*',
  },
  {
    pattern: /(([0-9a-fA-F]{64})|([0-9a-fA-F]{32}-[0-9]{10})|([0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){4}))/,
    prefilter: (path) => hasHexRun(path, 8),
    replace: '*',
  },
  {
    pattern: /\/sys\/devices\/virtual\/block\/(?:dm-|loop)([0-9]+)/,
    hint: 'devices',
    filesystem: 'sysfs',
    group: 1,
    replace: '*',
  },
  {
    pattern: /secrets\/kubernetes\.io\/serviceaccount\/([0-9._]+)/,
    hint: 'serviceaccount',
    group: 1,
    replace: '*',
  },
]);

/** Whether `text` holds `length` hexadecimal digits in a row (every container-id form does). */
export function hasHexRun(text: string, length: number): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) {
      if (++run >= length) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

interface CompiledRule {
  readonly regex: RegExp;
  readonly hint: string | undefined;
  readonly prefilter: ((path: string) => boolean) | undefined;
  readonly filesystem: string | undefined;
  readonly group: number;
  readonly replace: string | PathsReducerReplacer;
}

/**
 * Rewrites the variable parts of file paths (pids, container ids, cgroup names, …) into `self` or `*`
 * before they enter the activity tree, so that the same file opened by different workloads or
 * processes lands on the same node.
 *
 * Rules apply in order, each one on the output of the previous one. Within a rule every match is
 * rewritten; matches are found on the rule's input, so the result equals the agent's right-to-left
 * rewriting.
 *
 * @example
 * ```ts
 * const reducer = new PathsReducer();
 * reducer.reduce('/host/proc/2144/smaps', { pid: 2144, hasFile: true }); // '/host/proc/self/smaps'
 * ```
 */
export class PathsReducer {
  readonly #rules: readonly CompiledRule[];
  // Every rule's trigger (hint or prefilter); most paths have none, and then nothing can change.
  readonly #hints: RegExp | undefined;
  readonly #prefilters: readonly ((path: string) => boolean)[];
  readonly #alwaysRun: boolean;

  /**
   * @param rules - the rules to apply, in order; defaults to the agent's ({@link DEFAULT_PATHS_REDUCER_RULES}).
   * @throws {@link InvalidArgumentError} when a rule's `group` is not a capture group of its pattern.
   */
  constructor(rules: readonly PathsReducerRule[] = DEFAULT_PATHS_REDUCER_RULES) {
    this.#rules = rules.map(compileRule);
    const hints = this.#rules.flatMap((r) => (r.hint === undefined ? [] : [escapeRegExp(r.hint)]));
    this.#hints = hints.length === 0 ? undefined : new RegExp(hints.join('|'));
    this.#prefilters = this.#rules.flatMap((r) => (r.hint === undefined && r.prefilter ? [r.prefilter] : []));
    this.#alwaysRun = this.#rules.some((r) => r.hint === undefined && r.prefilter === undefined);
  }

  // A rule only fires when its trigger occurs in the path. When the path holds none of them the
  // first rule cannot fire, so the path stays as it is and no later rule can fire either.
  #mayChange(path: string): boolean {
    if (this.#alwaysRun || this.#hints?.test(path) === true) return true;
    for (const prefilter of this.#prefilters) if (prefilter(path)) return true;
    return false;
  }

  /**
   * Returns `path` with every rule applied. When no rule rewrites anything the very same string is
   * returned, so the common case allocates nothing.
   */
  reduce(path: string, context: PathsReducerContext): string {
    if (!this.#mayChange(path)) return path;
    let current = path;
    for (const rule of this.#rules) {
      if (rule.filesystem !== undefined && context.hasFile && context.filesystem !== rule.filesystem)
        continue;
      if (rule.hint !== undefined && !current.includes(rule.hint)) continue;
      if (rule.prefilter !== undefined && !rule.prefilter(current)) continue;
      current = applyRule(rule, current, context);
    }
    return current;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileRule(rule: PathsReducerRule, index: number): CompiledRule {
  const flags = `${rule.pattern.flags.replace(/[gyd]/g, '')}gd`;
  const group = rule.group ?? 0;
  // An alternative that matches the empty string makes exec() report every group of the pattern.
  const groupCount = (new RegExp(`${rule.pattern.source}|`, flags).exec('')?.length ?? 1) - 1;
  if (!Number.isInteger(group) || group < 0 || group > groupCount) {
    throw new InvalidArgumentError(
      `paths reducer rule ${index}: group ${group} is not a capture group of /${rule.pattern.source}/`,
    );
  }
  return {
    regex: new RegExp(rule.pattern.source, flags),
    hint: rule.hint,
    prefilter: rule.prefilter,
    filesystem: rule.filesystem,
    group,
    replace: rule.replace,
  };
}

function applyRule(rule: CompiledRule, path: string, context: PathsReducerContext): string {
  const { regex, group, replace } = rule;
  let output: string | undefined;
  let cursor = 0;
  let previousEnd = -1;
  regex.lastIndex = 0;
  for (let match = regex.exec(path); match !== null; match = regex.exec(path)) {
    const end = match.index + match[0].length;
    if (match[0].length === 0) {
      regex.lastIndex++; // step over an empty match, or exec() would return it forever
      if (match.index === previousEnd) continue; // Go ignores an empty match right after a match
    }
    previousEnd = end;
    const span = match.indices?.[group];
    const text = match[group];
    if (span === undefined || text === undefined) continue; // the group did not take part
    const replacement = typeof replace === 'string' ? replace : replace(text, context);
    if (replacement === undefined || replacement === text) continue;
    output = `${output ?? ''}${path.slice(cursor, span[0])}${replacement}`;
    cursor = span[1];
  }
  return output === undefined ? path : output + path.slice(cursor);
}
