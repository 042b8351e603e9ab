import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import { parseCwsEvent } from '../../src/events/cws-json.js';
import { GenerationType } from '../../src/tree/generation-type.js';
import { renderTreeDebug } from '../../src/tree/render-debug.js';
import { DATADOG_FIXTURES, hasDatadogFixtures, MISSING_FIXTURES_REASON } from '../support/fixtures.js';

const SUITE = join(DATADOG_FIXTURES, 'activity-tree-suite');

// Cases are discovered from the folder, so a case dropped in later runs without code changes.
function discoverCases(): string[] {
  if (!hasDatadogFixtures) return [];
  return readdirSync(SUITE)
    .filter((f) => f.endsWith('_input_event.json'))
    .map((f) => f.slice(0, -'_input_event.json'.length))
    .sort();
}

const cases = discoverCases();

describe.skipIf(!hasDatadogFixtures)('agent shared activity-tree suite', () => {
  if (!hasDatadogFixtures) console.warn(MISSING_FIXTURES_REASON);

  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s', (name) => {
    const read = (suffix: string) => readFileSync(join(SUITE, `${name}_${suffix}.json`));
    const dump = decodeDump(read('input_tree'), { format: 'json' });
    const wanted = decodeDump(read('wanted_tree'), { format: 'json' });
    const event = parseCwsEvent(read('input_event').toString('utf8'));

    dump.tree.insert(event, { generationType: GenerationType.Runtime, imageTag: 'tag' });

    expect(renderTreeDebug(dump.tree).trim()).toBe(renderTreeDebug(wanted.tree).trim());
  });
});
