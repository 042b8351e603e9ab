import { DUMP_FORMATS } from '../encoding/dump-format.js';
import { transcodeFile } from '../encoding/transcode.js';
import { type Command, parseCommandArgs } from './command.js';
import { UsageError } from './usage-error.js';

/** `activity-dump transcode <file> --format <list> --output <dir> [--compression]`. */
export const transcodeCommand: Command = {
  name: 'transcode',
  summary: 'convert a dump file into other formats',
  usage: [
    'Usage: activity-dump transcode <file> --format <formats> --output <dir> [--compression]',
    '                               [--input-format <format>] [--name <name>]',
    '',
    'Decodes a dump file and writes it in each requested format to a directory, as',
    '<name>.<format>[.gz] (the Datadog Agent naming).',
    '',
    'Options:',
    `  --format <formats>      comma-separated: ${DUMP_FORMATS.join(', ')} (may repeat)`,
    '  --output <dir>          directory to write to (created when missing)',
    '  --compression           gzip the files',
    '  --input-format <format> format of the input (default: its extension, else its content)',
    "  --name <name>           base name of the files (default: the dump's name)",
  ].join('\n'),
  async run(args, io) {
    const { positionals, values } = parseCommandArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
        compression: { type: 'boolean' },
        'input-format': { type: 'string' },
        name: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one input file');
    const formats = (values.format ?? []).flatMap((f) => f.split(',')).filter((f) => f.trim() !== '');
    if (formats.length === 0) throw new UsageError('--format is required');
    if (values.output === undefined) throw new UsageError('--output is required');
    const inputFormat = values['input-format'];
    const written = await transcodeFile(positionals[0]!, {
      formats,
      outputDir: values.output,
      compression: values.compression === true,
      ...(values.name === undefined ? {} : { name: values.name }),
      ...(inputFormat === undefined ? {} : { decode: { format: inputFormat } }),
    });
    for (const file of written)
      io.stdout(`${file.format.padEnd(8)} ${String(file.size).padStart(10)} B  ${file.path}\n`);
    return 0;
  },
};
