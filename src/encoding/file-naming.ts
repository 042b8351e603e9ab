import { basename } from 'node:path';
import type { ActivityDump } from '../dump/activity-dump.js';
import { type DumpFormat, FORMAT_EXTENSIONS, parseDumpFormat } from './dump-format.js';

/** The file name of a dump in a format: `<name>.<ext>`, plus `.gz` when compressed (the agent's naming). */
export function dumpFileName(name: string, format: DumpFormat, compression: boolean): string {
  return `${name}.${FORMAT_EXTENSIONS[format]}${compression ? '.gz' : ''}`;
}

/** Whether a dump name can be used as a file name: no separators, no `.`/`..`, nothing unusual. */
export function isSafeDumpName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name) && name !== '.' && name !== '..';
}

/** The format a file name says (after an optional `.gz`), or `undefined` when it says none. */
export function formatFromPath(path: string): DumpFormat | undefined {
  const name = basename(path).replace(/\.gz$/i, '');
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  try {
    return parseDumpFormat(name.slice(dot + 1));
  } catch {
    return undefined;
  }
}

/** The name of a dump file without its format and compression extensions. */
export function dumpFileStem(path: string): string {
  const name = basename(path).replace(/\.gz$/i, '');
  return formatFromPath(name) === undefined ? name : name.slice(0, name.lastIndexOf('.'));
}

/**
 * The base name to write a decoded dump under: its own name when that can be a file name, else
 * the name of the file it came from, without its extensions.
 */
export function outputNameOf(dump: ActivityDump, inputPath: string): string {
  const name = dump.metadata?.name ?? '';
  return isSafeDumpName(name) ? name : dumpFileStem(inputPath);
}
