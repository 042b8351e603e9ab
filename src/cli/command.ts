import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

/** Where a command writes. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Environment variables (`DD_API_KEY`, …). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (progress bars instead of lines). @default false */
  isTTY?: boolean;
}

/** A CLI command: parses its own arguments, writes to the streams it is given, returns an exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: string[], io: CommandIo): Promise<number> | number;
}

/** Parses options strictly, turning parse failures into usage errors. */
export function parseCommandArgs<const T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
