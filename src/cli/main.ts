import { readFileSync } from 'node:fs';
import { ActivityDumpError } from '../errors.js';
import type { Command, CommandIo } from './command.js';
import { inspectCommand } from './inspect-command.js';
import { recordCommand } from './record-command.js';
import { renderCommand } from './render-command.js';
import { transcodeCommand } from './transcode-command.js';
import { treeCommand } from './tree-command.js';
import { UsageError } from './usage-error.js';

const COMMANDS: readonly Command[] = [
  recordCommand,
  inspectCommand,
  treeCommand,
  renderCommand,
  transcodeCommand,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function help(): string {
  const lines = [
    'Usage: activity-dump <command> [options]',
    '',
    'Record, inspect and convert activity dumps (Datadog Agent compatible).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: activity-dump <command> --help)',
    '  -v, --version  show the version',
  ];
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI with `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '-v' || name === '--version') {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr(`activity-dump: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.stdout(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`activity-dump ${command.name}: ${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (error instanceof ActivityDumpError) {
      io.stderr(`activity-dump ${command.name}: ${error.message} [${error.code}]\n`);
      return 1;
    }
    if (isNodeError(error)) {
      io.stderr(`activity-dump ${command.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
