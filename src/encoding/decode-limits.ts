import { InvalidArgumentError } from '../errors.js';

/**
 * Bounds a decoder enforces so that hostile or broken input fails with an
 * `InputTooLargeError` instead of exhausting memory or the stack.
 */
export interface DecodeLimits {
  /**
   * Largest input accepted, in bytes of (decompressed) input. For text input the check uses the
   * string length, which never exceeds its UTF-8 byte length.
   * @default 268435456 (256 MiB)
   */
  maxBytes: number;
  /**
   * Deepest JSON nesting accepted: every `{` or `[` opens one level. Checked by a linear scan
   * before the text is parsed.
   * @default 512
   */
  maxDepth: number;
  /**
   * Most tree nodes created, all kinds together (process, file, DNS, socket, bind, IMDS, syscall,
   * capability, network device and flow nodes).
   * @default 5000000
   */
  maxNodes: number;
}

/** The limits used when a caller does not override them. */
export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: 256 * 1024 * 1024,
  maxDepth: 512,
  maxNodes: 5_000_000,
});

const LIMIT_NAMES = ['maxBytes', 'maxDepth', 'maxNodes'] as const;

/**
 * Fills the missing limits from {@link DEFAULT_DECODE_LIMITS} and checks every value is a
 * non-negative integer (or `Infinity`, meaning no limit).
 * @throws {InvalidArgumentError} when a limit is not a non-negative integer or `Infinity`.
 */
export function resolveDecodeLimits(limits: Partial<DecodeLimits> = {}): DecodeLimits {
  const out: DecodeLimits = { ...DEFAULT_DECODE_LIMITS };
  for (const name of LIMIT_NAMES) {
    const value = limits[name];
    if (value !== undefined) out[name] = value;
  }
  checkDecodeLimits(out);
  return out;
}

/**
 * Checks every limit is a non-negative integer or `Infinity`.
 * @throws {InvalidArgumentError} otherwise.
 */
export function checkDecodeLimits(limits: DecodeLimits): void {
  for (const name of LIMIT_NAMES) {
    const value: unknown = limits[name];
    const valid =
      typeof value === 'number' &&
      value >= 0 &&
      (Number.isInteger(value) || value === Number.POSITIVE_INFINITY);
    if (!valid) {
      throw new InvalidArgumentError(
        `${name} must be a non-negative integer or Infinity, got ${String(value)}`,
      );
    }
  }
}
