import { InvalidArgumentError } from './errors.js';

/** What {@link checkFinite} accepts beyond finiteness. */
export interface FiniteBound {
  /** Above 0 rather than at least 0. @default false */
  positive?: boolean;
  /** How the value is named in the error. @default 'number' */
  unit?: string;
}

/**
 * A finite number at least 0 (or above 0), as an option or argument needs.
 * @throws {InvalidArgumentError} naming `name`, otherwise.
 */
export function checkFinite(value: number, name: string, bound: FiniteBound = {}): number {
  const positive = bound.positive === true;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new InvalidArgumentError(
      `${name} must be a finite ${bound.unit ?? 'number'} ${positive ? '> 0' : '>= 0'}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * A safe integer at least 0.
 * @throws {InvalidArgumentError} naming `name`, otherwise.
 */
export function checkCount(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be an integer >= 0, got ${String(value)}`);
  }
  return value;
}
