import { writeFile } from 'node:fs/promises';
import { encodeDot } from '../encoding/dot-encoder.js';
import { readDumpFile } from '../encoding/read-dump-file.js';
import { type Command, parseCommandArgs } from './command.js';
import { loadViz, renderSvg, tryLoadViz, VIZ_MISSING, type VizLoader } from './svg-renderer.js';
import { UsageError } from './usage-error.js';

/** Builds the `render` command; `load` replaces the `@viz-js/viz` import (tests use it). */
export function createRenderCommand(load: VizLoader = loadViz): Command {
  return {
    name: 'render',
    summary: "draw a dump's activity tree as a Graphviz graph (SVG or dot)",
    usage: [
      'Usage: activity-dump render <file> -o <out.svg|out.dot> [--format <format>]',
      '',
      "Draws the activity tree of a dump file as the Datadog Agent's Graphviz graph. A .dot output",
      'gets the Graphviz source; a .svg output is laid out with @viz-js/viz (an optional dependency:',
      'npm install @viz-js/viz).',
      '',
      'Options:',
      '  -o, --output <path>  file to write; its extension (.svg or .dot) picks the output',
      '  --format <format>    format of the dump file (default: detected from its content)',
    ].join('\n'),
    async run(args, io) {
      const { positionals, values } = parseCommandArgs({
        args,
        allowPositionals: true,
        options: { output: { type: 'string', short: 'o' }, format: { type: 'string' } },
      });
      if (positionals.length !== 1) throw new UsageError('expected exactly one dump file');
      const output = values.output;
      if (output === undefined) throw new UsageError('missing -o <out.svg|out.dot>');
      const kind = outputKind(output);
      if (kind === undefined)
        throw new UsageError(`cannot tell the output format of '${output}': use .svg or .dot`);

      // Load the renderer before the (possibly long) decode, so a missing package fails fast.
      const viz = kind === 'svg' ? await tryLoadViz(load) : undefined;
      if (viz === null) {
        io.stderr(
          `activity-dump render: ${VIZ_MISSING}or write the Graphviz source instead: -o <file>.dot\n`,
        );
        return 1;
      }
      const dump = await readDumpFile(positionals[0]!, { format: values.format });
      const dot = encodeDot(dump);
      if (viz === undefined) {
        await writeFile(output, dot);
      } else {
        const svg = await renderSvg(viz, dot);
        if (svg.error !== undefined) {
          io.stderr(`activity-dump render: Graphviz could not render the graph: ${svg.error}\n`);
          return 1;
        }
        await writeFile(output, svg.output);
      }
      io.stdout(`wrote ${output}\n`);
      return 0;
    },
  };
}

/** `activity-dump render <file> -o <out>`: draws a dump's activity tree as SVG or Graphviz dot. */
export const renderCommand: Command = createRenderCommand();

function outputKind(path: string): 'svg' | 'dot' | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.dot')) return 'dot';
  return undefined;
}
