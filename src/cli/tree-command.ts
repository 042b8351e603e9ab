import { readDumpFile } from '../encoding/read-dump-file.js';
import { renderTreeDebug } from '../tree/render-debug.js';
import { type Command, parseCommandArgs } from './command.js';
import { UsageError } from './usage-error.js';

/** `activity-dump tree <file>`: prints the agent's debug rendering of a dump's activity tree. */
export const treeCommand: Command = {
  name: 'tree',
  summary: "print a dump's process tree with its files, DNS names and IMDS requests",
  usage: [
    'Usage: activity-dump tree <file> [--format <format>]',
    '',
    'Prints the activity tree of a dump file in the Datadog Agent debug text form.',
    '',
    'Options:',
    '  --format <format>  format of the file (default: detected from its content)',
  ].join('\n'),
  async run(args, io) {
    const { positionals, values } = parseCommandArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one dump file');
    const dump = await readDumpFile(positionals[0]!, { format: values.format });
    const text = renderTreeDebug(dump.tree);
    io.stdout(text === '' ? '(empty tree)\n' : `${text}\n`);
    return 0;
  },
};
