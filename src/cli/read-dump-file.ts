import { readFile } from 'node:fs/promises';
import type { ActivityDump } from '../dump/activity-dump.js';
import { decodeDump } from '../encoding/decode-dump.js';

/** Reads and decodes a dump file; the format comes from `--format`, else is sniffed from the bytes. */
export async function readDumpFile(path: string, format: string | undefined): Promise<ActivityDump> {
  const bytes = await readFile(path);
  return decodeDump(bytes, format === undefined ? {} : { format });
}
