import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import { DEFAULT_DECODE_LIMITS, resolveDecodeLimits } from '../../src/encoding/decode-limits.js';
import { decodeMsgpack, encodeMsgpack } from '../../src/encoding/msgpack-codec.js';
import { CorruptInputError, InputTooLargeError } from '../../src/errors.js';
import { canonicalDump } from '../support/canonical-dump.js';
import { DATADOG_FIXTURES, hasDatadogFixtures } from '../support/fixtures.js';
import { sampleDump } from '../support/sample-dump.js';

const limits = resolveDecodeLimits();
const roundTrip = (bytes: Uint8Array) => decodeMsgpack(bytes, limits);

function expectTypedFailure(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error instanceof CorruptInputError || error instanceof InputTooLargeError).toBe(true);
    return;
  }
}

describe('msgpack format', () => {
  it('round-trips a dump with every node kind, exactly', () => {
    const dump = sampleDump();
    const decoded = roundTrip(encodeMsgpack(dump));
    expect(canonicalDump(decoded)).toEqual(canonicalDump(dump));
    expect(decoded.tree.stats.processNodes).toBe(dump.tree.stats.processNodes);
    expect(decoded.tree.differentiateArgs).toBe(true);
    expect(decoded.metadata?.end).toBe(2n ** 64n - 1n);
  });

  it('keeps a decoded tree usable: the same events add nothing', () => {
    const dump = sampleDump();
    const decoded = roundTrip(encodeMsgpack(dump));
    const again = encodeMsgpack(decoded);
    expect(canonicalDump(roundTrip(again))).toEqual(canonicalDump(dump));
  });

  it.skipIf(!hasDatadogFixtures)('round-trips every tree of the agent suite (json → msgpack → json)', () => {
    const dir = join(DATADOG_FIXTURES, 'activity-tree-suite');
    const files = readdirSync(dir).filter((f) => f.endsWith('_tree.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const dump = decodeDump(readFileSync(join(dir, file)), { format: 'json' });
      expect(canonicalDump(roundTrip(encodeMsgpack(dump))), file).toEqual(canonicalDump(dump));
    }
  });

  it('rejects what is not one of its documents with typed errors', () => {
    expect(() => roundTrip(new Uint8Array([0x93, 1, 2, 3]))).toThrow(CorruptInputError);
    expect(() => roundTrip(new Uint8Array([]))).toThrow(CorruptInputError);
    expect(() => roundTrip(new Uint8Array([0xdd, 0x7f, 0xff, 0xff, 0xff]))).toThrow(CorruptInputError);
    expect(() => roundTrip(new Uint8Array(200_000).fill(0x91))).toThrow(InputTooLargeError);
  });

  it('enforces maxNodes and maxDepth', () => {
    const bytes = encodeMsgpack(sampleDump());
    expect(() => decodeMsgpack(bytes, { ...DEFAULT_DECODE_LIMITS, maxNodes: 3 })).toThrow(InputTooLargeError);
    expect(() => decodeMsgpack(bytes, { ...DEFAULT_DECODE_LIMITS, maxDepth: 1 })).toThrow(InputTooLargeError);
  });

  it('turns every truncation and bit flip into a typed error or a valid dump', () => {
    const bytes = encodeMsgpack(sampleDump());
    for (let cut = 0; cut < bytes.length; cut++) expectTypedFailure(() => roundTrip(bytes.subarray(0, cut)));
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const flipped = bytes.slice();
        flipped[at]! ^= 1 << bit;
        expectTypedFailure(() => roundTrip(flipped));
      }),
      { numRuns: 500 },
    );
  });

  it('turns random bytes into typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => expectTypedFailure(() => roundTrip(bytes))),
      { numRuns: 500 },
    );
  });
});
