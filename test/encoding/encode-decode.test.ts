import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDump } from '../../src/encoding/decode-dump.js';
import { DECODABLE_FORMATS, DUMP_FORMATS, parseDumpFormat } from '../../src/encoding/dump-format.js';
import { encodeDump } from '../../src/encoding/encode-dump.js';
import { CorruptInputError, InputTooLargeError, UnsupportedFormatError } from '../../src/errors.js';
import { canonicalDump } from '../support/canonical-dump.js';
import { sampleDump } from '../support/sample-dump.js';

describe('encodeDump / decodeDump', () => {
  const dump = sampleDump();

  it.each(['json', 'protobuf', 'msgpack'])(
    'round-trips %s, plain and gzipped, with the format named or sniffed',
    (format) => {
      // Only msgpack keeps DNS answers: the agent's schema has no field for them.
      const options = { dnsAnswers: format === 'msgpack' };
      const expected = canonicalDump(dump, options);
      for (const compression of [false, true]) {
        const bytes = encodeDump(dump, format, { compression });
        expect(canonicalDump(decodeDump(bytes, { format }), options)).toEqual(expected);
        expect(canonicalDump(decodeDump(bytes), options)).toEqual(expected);
      }
    },
  );

  it('round-trips the tree of a profile (its metadata, tags and tree)', () => {
    const decoded = decodeDump(encodeDump(dump, 'profile'), { format: 'profile' });
    const tree = (d: typeof dump) => (canonicalDump(d, { dnsAnswers: false }) as { tree: unknown }).tree;
    expect(tree(decoded)).toEqual(tree(dump));
    expect(decoded.metadata).toEqual(dump.metadata);
  });

  it('takes format names in any case and rejects unknown ones', () => {
    expect(parseDumpFormat('PROTOBUF')).toBe('protobuf');
    expect(parseDumpFormat(' Json ')).toBe('json');
    expect(() => encodeDump(dump, 'yaml')).toThrow(UnsupportedFormatError);
    expect(() => decodeDump(new Uint8Array([1]), { format: 'dot' })).toThrow(UnsupportedFormatError);
    expect(DECODABLE_FORMATS.every((f) => DUMP_FORMATS.includes(f))).toBe(true);
  });

  it('writes DOT text', () => {
    const dot = new TextDecoder().decode(encodeDump(dump, 'dot'));
    expect(dot.startsWith('digraph {')).toBe(true);
  });

  it('stops a gzip bomb at maxBytes with a typed error, quickly', () => {
    // 1 GiB of zeros compresses to about 1 MiB.
    const bomb = gzipSync(Buffer.alloc(1024 * 1024 * 1024), { level: 9 });
    const started = performance.now();
    expect(() => decodeDump(bomb, { limits: { maxBytes: 16 * 1024 * 1024 } })).toThrow(InputTooLargeError);
    expect(() => decodeDump(bomb)).toThrow(InputTooLargeError);
    // Generous: the cap stops inflating early, without writing the gigabyte.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('rejects oversized input before decoding it', () => {
    const bytes = encodeDump(dump, 'protobuf');
    expect(() => decodeDump(bytes, { limits: { maxBytes: 10 } })).toThrow(InputTooLargeError);
    expect(() =>
      decodeDump(encodeDump(dump, 'json', { compression: true }), { limits: { maxBytes: 10 } }),
    ).toThrow(InputTooLargeError);
  });

  it('turns corrupt gzip into a typed error', () => {
    const bytes = encodeDump(dump, 'json', { compression: true });
    expect(() => decodeDump(bytes.subarray(0, bytes.length - 12))).toThrow(CorruptInputError);
  });

  it('gives a typed error, never another exception, for any bytes in any format', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(undefined, ...DECODABLE_FORMATS),
        (bytes, format) => {
          try {
            decodeDump(bytes, format === undefined ? {} : { format });
          } catch (error) {
            expect(
              error instanceof CorruptInputError ||
                error instanceof InputTooLargeError ||
                error instanceof UnsupportedFormatError,
            ).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
