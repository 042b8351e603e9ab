import { DUMP_FORMATS } from '../encoding/dump-format.js';
import { outputNameOf } from '../encoding/file-naming.js';
import { readDumpFile } from '../encoding/read-dump-file.js';
import { transcodeDump } from '../encoding/transcode.js';
import { RemoteStorage } from '../storage/remote-storage.js';
import { StorageManager } from '../storage/storage-manager.js';
import { parseStorageRequests } from '../storage/storage-request.js';
import { type Command, parseCommandArgs } from './command.js';
import { UsageError } from './usage-error.js';

/** `activity-dump transcode <file> --format <list> (--output <dir> | --remote <url>) [--compression]`. */
export const transcodeCommand: Command = {
  name: 'transcode',
  summary: 'convert a dump file into other formats, to a directory or an intake',
  usage: [
    'Usage: activity-dump transcode <file> --format <formats> --output <dir> [--compression]',
    '       activity-dump transcode <file> --format <formats> --remote <url> [--compression]',
    '                               [--input-format <format>] [--name <name>]',
    '',
    'Decodes a dump file and writes it in each requested format to a directory, as',
    '<name>.<format>[.gz] (the Datadog Agent naming), and/or uploads it to a Datadog',
    'intake (POST <url>/api/v2/secdump) with the API key from DD_API_KEY.',
    '',
    'Options:',
    `  --format <formats>      comma-separated: ${DUMP_FORMATS.join(', ')} (may repeat)`,
    '  --output <dir>          directory to write to (created when missing)',
    '  --remote <url>          intake to upload to, such as https://cws-intake.datadoghq.com',
    '  --compression           gzip the files, or the upload bodies',
    '  --input-format <format> format of the input (default: its extension, else its content)',
    "  --name <name>           base name of the files (default: the dump's name)",
    '',
    'Environment:',
    '  DD_API_KEY              API key of --remote (never printed)',
  ].join('\n'),
  async run(args, io) {
    const { positionals, values } = parseCommandArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
        remote: { type: 'string' },
        compression: { type: 'boolean' },
        'input-format': { type: 'string' },
        name: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one input file');
    const formats = (values.format ?? []).flatMap((f) => f.split(',')).filter((f) => f.trim() !== '');
    if (formats.length === 0) throw new UsageError('--format is required');
    if (values.output === undefined && values.remote === undefined) {
      throw new UsageError('--output or --remote is required');
    }
    const apiKey = (io.env ?? process.env).DD_API_KEY;
    if (values.remote !== undefined && (apiKey === undefined || apiKey === '')) {
      throw new UsageError('--remote needs the API key in the DD_API_KEY environment variable');
    }
    const inputFormat = values['input-format'];
    const input = positionals[0]!;
    const dump = await readDumpFile(input, inputFormat === undefined ? undefined : { format: inputFormat });
    const name = values.name ?? outputNameOf(dump, input);
    const compression = values.compression === true;
    let failed = 0;
    if (values.output !== undefined) {
      const written = await transcodeDump(dump, {
        formats,
        outputDir: values.output,
        compression,
        name,
      });
      for (const file of written) {
        io.stdout(`${file.format.padEnd(8)} ${String(file.size).padStart(10)} B  ${file.path}\n`);
      }
    }
    if (values.remote !== undefined) {
      if (dump.metadata !== undefined) dump.metadata.name = name;
      dump.storageRequests.splice(
        0,
        dump.storageRequests.length,
        ...parseStorageRequests({ remoteStorageFormats: formats, remoteStorageCompression: compression }),
      );
      const storage = new StorageManager({
        backends: [new RemoteStorage({ endpoints: [{ url: values.remote, apiKey: apiKey! }] })],
      });
      try {
        for (const outcome of await storage.persist(dump)) {
          const format = outcome.request.format.padEnd(8);
          if (outcome.ok) {
            io.stdout(`${format} ${String(outcome.size).padStart(10)} B  sent to ${outcome.location}\n`);
          } else {
            failed++;
            io.stderr(`${format} not sent: ${outcome.error.message}\n`);
          }
        }
      } finally {
        await storage.shutdown();
      }
    }
    return failed > 0 ? 1 : 0;
  },
};
