import { readFile } from 'node:fs/promises';
import type { ActivityDump } from '../dump/activity-dump.js';
import { type DecodeOptions, decodeDump } from './decode-dump.js';
import { formatFromPath } from './file-naming.js';

/**
 * Reads and decodes a dump file. The format comes from `options.format`, else from the file's
 * extension (`.json`, `.protobuf`, `.msgpack`, `.profile`, each optionally `.gz`), else from its
 * content.
 */
export async function readDumpFile(path: string, options: DecodeOptions = {}): Promise<ActivityDump> {
  const bytes = await readFile(path);
  const format = options.format ?? formatFromPath(path);
  return decodeDump(bytes, format === undefined ? options : { ...options, format });
}
