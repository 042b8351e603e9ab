import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActivityDump } from '../dump/activity-dump.js';
import { InvalidArgumentError } from '../errors.js';
import { writeFileAtomically } from '../storage/atomic-write.js';
import type { DecodeOptions } from './decode-dump.js';
import { type DumpFormat, parseDumpFormat } from './dump-format.js';
import { encodeDump } from './encode-dump.js';
import { dumpFileName, isSafeDumpName, outputNameOf } from './file-naming.js';
import { readDumpFile } from './read-dump-file.js';

/** Options of {@link transcodeDump} and {@link transcodeFile}. */
export interface TranscodeOptions {
  /** Formats to write (case-insensitive names); each is written once. */
  formats: readonly string[];
  /** Directory the files go to; created when missing. */
  outputDir: string;
  /**
   * Gzip every file (and add `.gz`).
   * @default false
   */
  compression?: boolean;
  /**
   * Base name of the files.
   * @default the dump's metadata name, else the input file's name without extensions
   */
  name?: string;
}

/** One file {@link transcodeDump} wrote. */
export interface TranscodedFile {
  format: DumpFormat;
  compression: boolean;
  path: string;
  /** Bytes written. */
  size: number;
}

/**
 * Writes a dump in each requested format to a directory (the agent's "generate encoding"
 * flow, done locally).
 * @throws {UnsupportedFormatError} for an unknown format name (before anything is written).
 * @throws {InvalidArgumentError} when no usable file name can be derived.
 */
export async function transcodeDump(
  dump: ActivityDump,
  options: TranscodeOptions,
): Promise<TranscodedFile[]> {
  const formats = [...new Set(options.formats.map(parseDumpFormat))];
  const name = options.name ?? dump.metadata?.name ?? '';
  if (!isSafeDumpName(name)) {
    throw new InvalidArgumentError(
      `cannot use ${JSON.stringify(name)} as a dump file name (letters, digits, '.', '_' and '-' only)`,
    );
  }
  const compression = options.compression === true;
  const encoded = formats.map((format) => ({ format, bytes: encodeDump(dump, format, { compression }) }));
  await mkdir(options.outputDir, { recursive: true });
  const written: TranscodedFile[] = [];
  for (const { format, bytes } of encoded) {
    const path = join(options.outputDir, dumpFileName(name, format, compression));
    await writeFileAtomically(path, bytes);
    written.push({ format, compression, path, size: bytes.length });
  }
  return written;
}

/**
 * Decodes a dump file (format from `decode.format`, else from its extension, else from its
 * content) and writes it in each requested format.
 */
export async function transcodeFile(
  inputPath: string,
  options: TranscodeOptions & { decode?: DecodeOptions },
): Promise<TranscodedFile[]> {
  const dump = await readDumpFile(inputPath, options.decode);
  return transcodeDump(dump, { ...options, name: options.name ?? outputNameOf(dump, inputPath) });
}
