import type { ActivityDump } from '../dump/activity-dump.js';
import { readDumpFile as readFileWithOptions } from '../encoding/read-dump-file.js';

/** Reads and decodes a dump file; the format comes from `--format`, else the file's extension, else its content. */
export function readDumpFile(path: string, format: string | undefined): Promise<ActivityDump> {
  return readFileWithOptions(path, format === undefined ? {} : { format });
}
