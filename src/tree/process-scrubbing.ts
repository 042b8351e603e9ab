import { InvalidArgumentError } from '../errors.js';

/**
 * Environment variables whose value the agent keeps (`envs_with_value` default); every other variable
 * is reduced to its name.
 */
export const DEFAULT_ENVS_WITH_VALUE = [
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'PATH',
  'HISTSIZE',
  'HISTFILESIZE',
  'GLIBC_TUNABLES',
] as const;

/**
 * Reduces an environment to variable names: each `NAME=value` becomes `NAME` unless `NAME` is in
 * `keepValueOf`, which keeps the whole entry. An entry without `=` is kept as is; the name ends at the
 * first `=`.
 *
 * @example
 * ```ts
 * reduceEnvs(['HOME=/root', 'PATH=/bin'], new Set(DEFAULT_ENVS_WITH_VALUE)); // ['HOME', 'PATH=/bin']
 * ```
 */
export function reduceEnvs(envs: readonly string[], keepValueOf: ReadonlySet<string>): string[] {
  return envs.map((env) => {
    const equals = env.indexOf('=');
    if (equals === -1) return env;
    const name = env.slice(0, equals);
    return keepValueOf.has(name) ? env : name;
  });
}

/**
 * The process agent's default sensitive words (Linux list). `*` stands for any run of characters
 * inside the key.
 */
export const DEFAULT_SENSITIVE_WORDS = [
  '*password*',
  '*passwd*',
  '*mysql_pwd*',
  '*access_token*',
  '*auth_token*',
  '*api_key*',
  '*apikey*',
  '*secret*',
  '*credentials*',
  'stripetoken',
] as const;

/**
 * Words the security agent (CWS) adds after the default and custom ones: in process arguments a token
 * is assumed to be a secret.
 */
export const CWS_SENSITIVE_WORDS = ['*token*', '*jwt*'] as const;

const REDACTED = '********';
// Arguments are joined with NUL, which a kernel argv (C strings) cannot contain, so that argument
// boundaries survive the rewrite; NUL is treated wherever the agent's regex expects a space.
const SEPARATOR = '\0';
const VALID_WORD = /^[A-Za-z0-9_*]+$/;
// The agent's `\s` is RE2's: [\t\n\f\r ] (no \v, no Unicode spaces).
const TRAILING_WILDCARD = '[^ =:\\x00]*';
const INNER_WILDCARD = '[^\\t\\n\\f\\r =:$/\\x00]*';

/**
 * Redacts secrets from process arguments like the agent's data scrubber: for every sensitive word, a
 * key made of a separator, an optional `-` or `--` and the word (any case), then a delimiter (spaces
 * or argument boundary, `=` or `:`), has the value that follows replaced with `********`:
 * `--password=x` → `--password=********`, `password:x` → `password:********`,
 * `['--password', 'x']` → `['--password', '********']`. `-p x` is not a secret for the agent and is
 * kept. Spaces inside one argument separate keys and values as well, so `sh -c "mysql --password x"`
 * is redacted too.
 *
 * Two deliberate differences with the agent:
 * - the first argument can be a key: the agent scrubs the arguments after `argv[0]` joined by spaces,
 *   so a leading `--password=x` never matched and leaked;
 * - argument boundaries are kept: the agent re-splits the whole command line on spaces after a
 *   redaction, changing the argument count. For arguments without whitespace both give the same
 *   result.
 */
export class ArgsScrubber {
  readonly #patterns: readonly RegExp[];
  // The longest literal piece of every word; no argument containing none of them can be redacted.
  readonly #hint: RegExp;

  /**
   * @param extraSensitiveWords - words added after {@link DEFAULT_SENSITIVE_WORDS} and before
   *   {@link CWS_SENSITIVE_WORDS}, as the agent's `custom_sensitive_words`. Letters, digits, `_`
   *   and single `*` wildcards only.
   * @throws {@link InvalidArgumentError} when a word is empty, `*`, has `**` or another character.
   */
  constructor(extraSensitiveWords: readonly string[] = []) {
    for (const word of extraSensitiveWords) {
      if (!VALID_WORD.test(word) || word === '*' || word.includes('**')) {
        throw new InvalidArgumentError(
          `invalid sensitive word ${JSON.stringify(word)}: use letters, digits, _ and single * wildcards`,
        );
      }
    }
    const words = new Set<string>([
      ...DEFAULT_SENSITIVE_WORDS,
      ...extraSensitiveWords,
      ...CWS_SENSITIVE_WORDS,
    ]);
    this.#patterns = [...words].map(compileWord);
    this.#hint = new RegExp([...words].map(longestLiteral).join('|'), 'iu');
  }

  /**
   * Returns the arguments (those after `argv[0]`) with secrets redacted. When nothing is redacted the
   * same array is returned; otherwise a new one of the same length (arguments are C strings: one
   * holding a NUL character would be split there).
   */
  scrub(args: string[]): string[];
  scrub(args: readonly string[]): readonly string[];
  scrub(args: readonly string[]): readonly string[] {
    if (!this.#mayHoldSecret(args)) return args;
    const joined = SEPARATOR + args.join(SEPARATOR);
    let scrubbed = joined;
    for (const pattern of this.#patterns) {
      scrubbed = scrubbed.replace(pattern, `$1$2${REDACTED}`);
    }
    return scrubbed === joined ? args : scrubbed.slice(1).split(SEPARATOR);
  }

  // The common case: a plain loop over one case-insensitive regex, no joined string, no allocation.
  #mayHoldSecret(args: readonly string[]): boolean {
    for (let i = 0; i < args.length; i++) {
      if (this.#hint.test(args[i]!)) return true;
    }
    return false;
  }
}

function compileWord(word: string): RegExp {
  let key = '';
  for (let i = 0; i < word.length; i++) {
    const char = word[i]!;
    if (char !== '*') key += char;
    else key += i === word.length - 1 ? TRAILING_WILDCARD : INNER_WILDCARD;
  }
  // $1 = key (kept), $2 = delimiter (kept), then the value (replaced); `u` so that case folding is
  // Unicode's, like Go's (?i).
  return new RegExp(`((?:[ \\x00]+|[ \\x00]-{1,2})${key})([ \\x00]+|=|:)[^\\t\\n\\f\\r \\x00]*`, 'giu');
}

function longestLiteral(word: string): string {
  let best = '';
  for (const piece of word.split('*')) {
    if (piece.length > best.length) best = piece;
  }
  return best;
}
